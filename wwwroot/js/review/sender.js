// @ts-check
// Sending decisions: one serial chain (a decision's body is built when its turn comes, so it carries the version the
// one before produced) and a post that retries network trouble and server errors with the same body, hence the same
// client id (a retry never decides twice). A refusal (4xx) is thrown with its status. No DOM: node tests it.

export class RefusedError extends Error {
    /** @param {string} message @param {number} status */
    constructor(message, status) {
        super(message);
        this.status = status;
    }
}

/**
 * @typedef {(path: string, body: unknown) => Promise<{ ok: boolean, status: number, body: any }>} Transport
 *   throws on network trouble
 */

/**
 * @param {{ transport: Transport, onTrouble?: (text: string) => void, sleep?: (ms: number) => Promise<void> }} options
 * @returns {(path: string, body: unknown) => Promise<any>}
 */
export function poster({ transport, onTrouble = () => {}, sleep = ms => new Promise(r => setTimeout(r, ms)) }) {
    return async (path, body) => {
        for (let attempt = 0; ; attempt++) {
            try {
                const response = await transport(path, body);
                if (response.ok) return response.body;
                if (response.status < 500) throw new RefusedError(response.body?.detail || `refused (${response.status})`, response.status);
            } catch (e) {
                if (e instanceof RefusedError) throw e;
            }
            // Network trouble or a server error: the same body again, after a growing pause.
            onTrouble("Connection trouble; retrying…");
            await sleep(Math.min(5000, 250 * 2 ** attempt));
        }
    };
}

/** Runs tasks one after another; a failed task does not stop the ones after it. */
export class Serial {
    constructor() {
        /** @type {Promise<void>} */
        this.tail = Promise.resolve();
    }

    /** @param {() => Promise<void>} task @returns {Promise<void>} when this task is done */
    run(task) {
        const done = this.tail.then(task).catch(() => {});
        this.tail = done;
        return done;
    }
}

/** @returns {string} a client id: 32 hex digits */
export function newClientId() {
    // randomUUID exists only in secure contexts (https or localhost); a LAN address over http has none.
    if (typeof crypto.randomUUID === "function" && globalThis.isSecureContext) return crypto.randomUUID().replaceAll("-", "");
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), b => b.toString(16).padStart(2, "0")).join("");
}
