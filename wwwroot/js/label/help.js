// @ts-check
// The "?" overlay: every key of the page, from the same list the keyboard model is written against, and the
// classes' own hotkeys.
import { keyList, reservedBy } from "./keys.js";

/** @typedef {import("./keys.js").Mode} Mode */
/** @typedef {import("./class-picker.js").LabelClass} LabelClass */

export class KeysHelp {
    /**
     * @param {HTMLElement} dialog
     * @param {Mode} mode
     * @param {readonly LabelClass[]} classes
     */
    constructor(dialog, mode, classes) {
        this.dialog = dialog;
        /** @type {Element | null} */
        this.returnFocus = null;
        const rows = /** @type {HTMLTableSectionElement} */ (dialog.querySelector("tbody"));
        for (const { keys, does } of keyList(mode)) rows.append(row(keys, does));
        const hot = classes.filter(c => c.hotkey);
        for (const c of hot) {
            const shadowed = reservedBy(/** @type {string} */ (c.hotkey));
            const tr = row([/** @type {string} */ (c.hotkey)], shadowed ? `${c.name} (not on this page: the key is ${shadowed})` : c.name);
            tr.dataset.classId = String(c.id);
            rows.append(tr);
        }
        dialog.querySelector("[data-close]")?.addEventListener("click", () => this.close());
        dialog.addEventListener("click", e => { if (e.target === dialog) this.close(); });
    }

    get open() { return !this.dialog.hidden; }

    show() {
        this.returnFocus = document.activeElement;
        this.dialog.hidden = false;
        /** @type {HTMLElement | null} */ (this.dialog.querySelector("[data-close]"))?.focus();
    }

    close() {
        this.dialog.hidden = true;
        if (this.returnFocus instanceof HTMLElement) this.returnFocus.focus();
    }
}

/** @param {string[]} keys @param {string} does */
function row(keys, does) {
    const tr = document.createElement("tr");
    const k = document.createElement("td");
    keys.forEach((key, i) => {
        if (key === "…") { k.append(" … "); return; }
        const kbd = document.createElement("kbd");
        kbd.textContent = key;
        k.append(...(i > 0 && keys[i - 1] !== "…" ? [" "] : []), kbd);
    });
    const d = document.createElement("td");
    d.textContent = does;
    tr.append(k, d);
    return tr;
}
