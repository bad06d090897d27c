// @ts-check
// Which image the one-by-one page shows, and in what order; no DOM (the node tests drive it). Images are fetched
// ahead into a queue. Every change of what is shown takes a new generation number: an advance that had to wait for
// the server shows its image only if nothing else was shown meanwhile. So an undo pressed while the next image
// loads keeps the undone image on screen; the next one waits in front of the queue.

/** @typedef {{ id: number }} Shown */

/**
 * @template {Shown} T
 * @typedef {object} NavigatorOptions
 * @property {(count: number, exclude: number[]) => Promise<T[]>} fetch asks the server for more images
 * @property {(image: T | null) => void} show
 * @property {() => number[]} [busy] images with a send pending (never asked for again meanwhile)
 * @property {(fn: () => void, ms: number) => void} [later] when the server had nothing: ask again later
 * @property {(e: unknown) => void} [onError]
 */

/** @template {Shown} T */
export class Navigator {
    /** @param {NavigatorOptions<T>} options */
    constructor(options) {
        this.options = options;
        /** @type {T | null} */
        this.current = null;
        /** @type {T[]} */
        this.queue = [];
        this.generation = 0;
        /** @type {Promise<void> | null} */
        this.fetching = null;
        this.exhausted = false;
        this.stopped = false;
        this.ahead = 3;
    }

    wanted() { return [this.current?.id, ...this.queue.map(i => i.id), ...(this.options.busy?.() ?? [])].filter(x => x !== undefined && x !== null); }

    /** @returns {Promise<void>} */
    refill() {
        if (this.fetching) return this.fetching;
        if (this.exhausted || this.queue.length >= this.ahead) return Promise.resolve();
        this.fetching = this.options.fetch(this.ahead - this.queue.length, /** @type {number[]} */ (this.wanted()))
            .then(images => {
                const known = new Set(this.wanted());
                images.filter(i => !known.has(i.id)).forEach(i => this.queue.push(i));
                if (images.length === 0) {
                    // Others may hold the last images for a while: ask again later rather than never.
                    this.exhausted = true;
                    (this.options.later ?? setTimeout)(() => { this.exhausted = false; if (!this.current && !this.stopped) this.advance(); }, 30000);
                }
            })
            .catch(e => this.options.onError?.(e))
            .finally(() => { this.fetching = null; });
        return this.fetching;
    }

    /** @param {T | null} image */
    display(image) {
        this.generation++;
        this.current = image;
        this.options.show(image);
    }

    /** Shows the next image, waiting for the server if none is fetched yet; a stale wait shows nothing. */
    async advance() {
        const generation = ++this.generation;
        if (!this.queue.length) { await this.refill(); if (!this.queue.length) await this.refill(); }
        if (generation !== this.generation || this.stopped) { this.refill(); return; }
        this.display(this.queue.shift() ?? null);
        this.refill();
    }

    /**
     * The image acted on; nothing is current until the next is shown, so a key pressed while it loads does not act
     * on this one again.
     * @returns {T | null}
     */
    take() {
        const image = this.current;
        if (!image) return null;
        this.current = null;
        this.generation++;
        return image;
    }

    /**
     * An undone image comes back now; the one on screen (if any) waits in front of the queue.
     * @param {T} image
     */
    restore(image) {
        if (this.current && this.current.id !== image.id) this.queue.unshift(this.current);
        this.queue = this.queue.filter(i => i.id !== image.id);
        this.exhausted = false;
        this.display(image);
    }
}
