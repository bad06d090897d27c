// @ts-check
// The class list beside the image: filtered as the labeller types, the first nine numbered. Each class keeps its
// own list item, so a keystroke reorders and hides items instead of rebuilding the list.
import { normaliseHotkey, reservedBy } from "./keys.js";

/** @typedef {{ id: number, name: string, noise: boolean, hotkey: string | null }} LabelClass */

/**
 * The config's classes, read defensively: the hotkey field may be missing or malformed.
 * @param {unknown} raw
 * @returns {LabelClass[]}
 */
export function readClasses(raw) {
    if (!Array.isArray(raw)) return [];
    return raw.filter(c => c && typeof c.id === "number" && typeof c.name === "string")
        .map(c => ({ id: c.id, name: c.name, noise: c.noise === true, hotkey: normaliseHotkey(c.hotkey) }));
}

/**
 * Classes whose name contains the term: the exact name first, then names that start with it ("ant" picks ant,
 * not elephant), then the rest, each group in the config's order.
 * @param {readonly LabelClass[]} classes
 * @param {string} term
 * @returns {LabelClass[]}
 */
export function rankClasses(classes, term) {
    const t = term.trim().toLowerCase();
    if (!t) return [...classes];
    const rank = (/** @type {LabelClass} */ c) => { const n = c.name.toLowerCase(); return n === t ? 0 : n.startsWith(t) ? 1 : 2; };
    return classes.filter(c => c.name.toLowerCase().includes(t)).map((c, i) => ({ c, i, r: rank(c) }))
        .sort((a, b) => a.r - b.r || a.i - b.i).map(x => x.c);
}

/**
 * Hotkey → class id, leaving out hotkeys an action owns (Alt+N is noise whatever a class says).
 * @param {readonly LabelClass[]} classes
 * @returns {Map<string, number>}
 */
export function hotkeyMap(classes) {
    const map = new Map();
    for (const c of classes) if (c.hotkey && !reservedBy(c.hotkey) && !map.has(c.hotkey)) map.set(c.hotkey, c.id);
    return map;
}

const Shown = 60;

export class ClassPicker {
    /**
     * @param {HTMLInputElement} filter
     * @param {HTMLOListElement} list
     * @param {LabelClass[]} classes
     * @param {(classId: number) => void} onPick
     */
    constructor(filter, list, classes, onPick) {
        this.filter = filter;
        this.list = list;
        this.classes = classes;
        this.hotkeys = hotkeyMap(classes);
        /** @type {LabelClass[]} */
        this.visible = classes;
        /** @type {Map<number, HTMLLIElement>} */
        this.items = new Map();
        this.more = document.createElement("li");
        this.more.className = "hint";
        for (const c of classes) this.items.set(c.id, this.item(c, onPick));
        filter.addEventListener("input", () => this.render());
        this.render();
    }

    /** @param {LabelClass} c @param {(classId: number) => void} onPick */
    item(c, onPick) {
        const li = document.createElement("li");
        li.dataset.classId = String(c.id);
        const number = document.createElement("kbd");
        number.className = "n";
        const name = document.createElement("span");
        name.className = "name";
        name.textContent = c.name;
        li.append(number, " ", name);
        if (c.noise) { const b = document.createElement("span"); b.className = "badge"; b.textContent = "noise"; li.append(" ", b); }
        if (c.hotkey) {
            const h = document.createElement("kbd");
            h.className = "hotkey";
            h.textContent = c.hotkey;
            const shadowed = reservedBy(c.hotkey);
            if (shadowed) { h.classList.add("shadowed"); h.title = `${c.hotkey} is ${shadowed} on this page`; }
            li.dataset.hotkey = c.hotkey;
            li.append(h);
        }
        li.addEventListener("click", () => onPick(c.id));
        return li;
    }

    render() {
        this.visible = rankClasses(this.classes, this.filter.value);
        const shown = this.visible.slice(0, Shown);
        const keep = new Set(shown.map(c => c.id));
        for (const [id, li] of this.items) if (!keep.has(id) && li.parentNode) li.remove();
        // Append in order: appending an item already in the list moves it, so only the order changes.
        shown.forEach((c, i) => {
            const li = /** @type {HTMLLIElement} */ (this.items.get(c.id));
            /** @type {HTMLElement} */ (li.querySelector("kbd.n")).textContent = i < 9 ? String(i + 1) : "\u00a0";
            if (this.list.children[i] !== li) this.list.insertBefore(li, this.list.children[i] ?? null);
        });
        if (this.visible.length > Shown) { this.more.textContent = `… ${this.visible.length - Shown} more: type to filter`; this.list.append(this.more); }
        else this.more.remove();
    }

    /** @param {string} text */
    type(text) {
        this.filter.focus();
        this.filter.value += text;
        this.render();
    }

    clear() {
        this.filter.value = "";
        this.render();
        this.filter.blur();
    }

    get inFilter() { return document.activeElement === this.filter; }
}
