// @ts-check
// One serial queue for every action the labelling pages send. No DOM here: the node tests drive it with a fake
// transport. Rules: actions go out one at a time in the order taken (an undo always follows the submit it names);
// a network failure or a server error (5xx) is retried with the same body, so the same client id (the server
// answers a repeat with the stored result, never a second event); a refusal (4xx) halts the queue, because the
// actions after it were built on one that was not saved.

/** @typedef {{ ok: boolean, status: number, body: any }} Answer */
/** @typedef {(path: string, body: unknown) => Promise<Answer>} Transport  Rejects on network failure only. */

/** A 4xx answer: the server understood and said no; retrying would not help. */
export class RefusedError extends Error {
    /** @param {string} message @param {number} status */
    constructor(message, status) {
        super(message);
        this.status = status;
    }
}

/** An action queued behind one that was refused: never sent. */
export class SkippedError extends Error {}

/**
 * @typedef {object} QueueOptions
 * @property {Transport} transport
 * @property {(ms: number) => Promise<void>} [sleep] the pause before a retry (tests pass one that does not wait)
 * @property {() => void} [onChange] the pending count or the halt state changed
 * @property {(message: string) => void} [onHalt]
 * @property {(message: string) => void} [onTrouble] "" when a send went through again
 */

/**
 * @typedef {object} Job
 * @property {string} path
 * @property {unknown | (() => unknown)} body a function is called when the job's turn comes (an undo names the
 *   submission it takes back, known only once that submission is answered); it is called once, so retries send
 *   the very same body
 * @property {readonly number[]} [imageIds] images this job is about: kept out of "next" requests while it is pending
 */

export const retryDelay = (/** @type {number} */ attempt) => Math.min(5000, 250 * 2 ** attempt);

export class SendQueue {
    /** @param {QueueOptions} options */
    constructor(options) {
        this.options = options;
        /** @type {Promise<unknown>} */
        this.chain = Promise.resolve();
        this.pending = 0;
        this.halted = false;
        /** @type {string | null} */
        this.haltReason = null;
        /** @type {Map<number, number>} image id → how many pending jobs name it */
        this.pendingImages = new Map();
    }

    /** @returns {number[]} */
    pendingImageIds() { return [...this.pendingImages.keys()]; }

    /**
     * Queues a job; resolves with the server's answer body, rejects with RefusedError (this one halted the queue)
     * or SkippedError (an earlier one did).
     * @param {Job} job
     * @returns {Promise<any>}
     */
    enqueue(job) {
        const ids = job.imageIds ?? [];
        this.pending++;
        ids.forEach(id => this.pendingImages.set(id, (this.pendingImages.get(id) ?? 0) + 1));
        this.options.onChange?.();
        const run = this.chain.then(async () => {
            if (this.halted) throw new SkippedError("an earlier action was refused");
            const body = typeof job.body === "function" ? job.body() : job.body;
            return await this.send(job.path, body);
        });
        const settle = () => {
            this.pending--;
            ids.forEach(id => {
                const n = (this.pendingImages.get(id) ?? 1) - 1;
                if (n > 0) this.pendingImages.set(id, n); else this.pendingImages.delete(id);
            });
            this.options.onChange?.();
        };
        // The chain itself never rejects: one refusal must not reject every later link before it halts them.
        this.chain = run.then(settle, e => {
            if (e instanceof RefusedError && !this.halted) {
                this.halted = true;
                this.haltReason = e.message;
                this.options.onHalt?.(e.message);
            }
            settle();
        });
        return run;
    }

    /** @param {string} path @param {unknown} body */
    async send(path, body) {
        const sleep = this.options.sleep ?? (ms => new Promise(r => setTimeout(r, ms)));
        for (let attempt = 0; ; attempt++) {
            /** @type {Answer | null} */
            let answer = null;
            try {
                answer = await this.options.transport(path, body);
            } catch {
                answer = null;
            }
            if (answer?.ok) {
                if (attempt > 0) this.options.onTrouble?.("");
                return answer.body;
            }
            if (answer && answer.status >= 400 && answer.status < 500) {
                throw new RefusedError(answer.body?.detail || `refused (${answer.status})`, answer.status);
            }
            this.options.onTrouble?.("Connection trouble; retrying…");
            await sleep(retryDelay(attempt));
        }
    }

    /** Resolves once every job queued so far has settled. */
    idle() { return this.chain.then(() => undefined); }
}
