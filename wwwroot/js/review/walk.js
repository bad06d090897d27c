// @ts-check
// Which image the desk shows, and in what order: after a decision the next undecided image (wrapping round), and
// Backspace walks back through the images decided on this page, latest first. Pure: node tests it.

/** @typedef {"open" | "sending" | "saved" | "conflict"} DecisionState */

/**
 * The next image not yet decided after `from`, wrapping round; `from` itself when all are decided.
 * @param {DecisionState[]} states one per image, in page order
 * @param {number} from
 */
export function nextOpen(states, from) {
    for (let step = 1; step <= states.length; step++) {
        const i = (from + step) % states.length;
        if (states[i] === "open" || states[i] === "conflict") return i;
    }
    return from;
}

export class Walk {
    /** @param {number} count images on the page (at least one) */
    constructor(count) {
        this.count = count;
        this.current = 0;
        /** @type {number[]} indexes decided on this page, latest last */
        this.history = [];
    }

    /** @param {number} index any integer: wraps round the page */
    go(index) {
        this.current = ((index % this.count) + this.count) % this.count;
        return this.current;
    }

    /**
     * The current image was decided: remember it for Backspace and move to the next open one (the last open
     * image decided: the desk stays on it).
     * @param {DecisionState[]} states the states after the decision
     */
    decided(states) {
        this.history.push(this.current);
        return this.go(nextOpen(states, this.current));
    }

    /** Back to the image decided before; with none left, the previous image. @returns {boolean} whether one was decided */
    back() {
        const previous = this.history.pop();
        this.go(previous ?? this.current - 1);
        return previous !== undefined;
    }
}
