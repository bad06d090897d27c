// @ts-check
// What the labeller did, on screen: the last actions ("image 8 → anchor"), each with its state and an Undo of its
// own, and one honest counter. The model (ActionLog, Tally) is plain data for the node tests; LogView draws it.

/**
 * @typedef {object} Entry
 * @property {number} id
 * @property {string} text "image 8 → anchor"
 * @property {"action" | "undo"} kind an undo's own line ("undone: image 8 → anchor") cannot be undone
 * @property {"sending" | "saved" | "undoing" | "undone" | "failed"} state
 * @property {number[]} imageIds
 * @property {number} counted images this action labels (0 for a skip)
 * @property {number | null} submissionId the server's, once answered
 * @property {any} [payload] what the page needs to put the images back on undo
 */

export class ActionLog {
    constructor(limit = 10) {
        this.limit = limit;
        /** @type {Entry[]} newest last; older ones drop off */
        this.entries = [];
        this.nextId = 1;
    }

    /**
     * @param {Omit<Entry, "id" | "submissionId">} fields
     * @returns {Entry}
     */
    add(fields) {
        const entry = { ...fields, id: this.nextId++, submissionId: null };
        this.entries.push(entry);
        if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
        return entry;
    }

    /** @param {Entry} entry */
    undoable(entry) { return entry.kind === "action" && (entry.state === "sending" || entry.state === "saved"); }

    /** The newest entry an undo key takes back, or null. */
    latestUndoable() {
        for (let i = this.entries.length - 1; i >= 0; i--) if (this.undoable(this.entries[i])) return this.entries[i];
        return null;
    }

    /** @param {number} id */
    find(id) { return this.entries.find(e => e.id === id) ?? null; }
}

/** Counts what the server holds, never what the page hopes: labelled goes up when a label is answered, down when its undo is. */
export class Tally {
    constructor() {
        this.labelled = 0;  // standing labels, noise and rejects saved this session
        this.saved = 0;     // every label, noise and reject ever answered, undone ones too
    }

    /** @param {number} n */
    submitted(n) { this.labelled += n; this.saved += n; }

    /** @param {number} n */
    undone(n) { this.labelled -= n; }

    /** @param {number} sending */
    text(sending) { return `${this.labelled} labelled` + (sending ? ` · ${sending} sending` : ""); }
}

const StateText = { sending: "sending…", saved: "", undoing: "undoing…", undone: "(undone)", failed: "not saved" };

export class LogView {
    /**
     * @param {HTMLOListElement} list
     * @param {ActionLog} log
     * @param {(entry: Entry) => void} onUndo
     */
    constructor(list, log, onUndo) {
        this.list = list;
        this.log = log;
        this.onUndo = onUndo;
        /** @type {Map<number, HTMLLIElement>} */
        this.items = new Map();
    }

    /** Newest first; items are kept per entry, so a screen reader hears only the new line (aria-relevant additions). */
    render() {
        const keep = new Set(this.log.entries.map(e => e.id));
        for (const [id, li] of this.items) if (!keep.has(id)) { li.remove(); this.items.delete(id); }
        [...this.log.entries].reverse().forEach((entry, i) => {
            let li = this.items.get(entry.id);
            if (!li) { li = this.item(entry); this.items.set(entry.id, li); }
            li.dataset.state = entry.state;
            /** @type {HTMLElement} */ (li.querySelector(".state")).textContent = StateText[entry.state];
            const undo = /** @type {HTMLButtonElement | null} */ (li.querySelector("button"));
            if (undo) undo.hidden = !this.log.undoable(entry);
            if (this.list.children[i] !== li) this.list.insertBefore(li, this.list.children[i] ?? null);
        });
    }

    /** @param {Entry} entry */
    item(entry) {
        const li = document.createElement("li");
        li.dataset.entry = String(entry.id);
        if (entry.imageIds.length === 1) li.dataset.imageId = String(entry.imageIds[0]);
        const text = document.createElement("span");
        text.className = "what";
        text.textContent = entry.text;
        const state = document.createElement("span");
        state.className = "state";
        li.append(text, " ", state);
        li.dataset.kind = entry.kind;
        if (entry.kind === "action") {
            const undo = document.createElement("button");
            undo.type = "button";
            undo.className = "small undo";
            undo.textContent = "Undo";
            undo.setAttribute("aria-label", `Undo ${entry.text}`);
            undo.addEventListener("click", () => this.onUndo(entry));
            li.append(" ", undo);
        }
        return li;
    }
}
