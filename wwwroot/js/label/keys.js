// @ts-check
// The labelling pages' keyboard model, as a pure function from a key event to what it means; no DOM here, so the
// node tests can run every key through it. The one rule that matters most: a letter without a modifier only ever
// types into the class filter. Actions live on digits, Enter, Space, Backspace, Delete, Escape, ?, / and on letters
// behind Alt (a labeller typing "sun" must never skip, undo and mark noise).

/** @typedef {"single" | "grid"} Mode */
/**
 * @typedef {object} KeyLike
 * @property {string} key
 * @property {string} [code]
 * @property {boolean} [altKey]
 * @property {boolean} [ctrlKey]
 * @property {boolean} [metaKey]
 * @property {boolean} [shiftKey]
 */
/**
 * @typedef {object} KeyContext
 * @property {Mode} mode
 * @property {boolean} inFilter the class filter has the focus
 * @property {string} filterText
 * @property {boolean} digitsInNames some class name holds a digit: in the filter, digits are typed
 * @property {boolean} overlayOpen the key list is shown
 * @property {Map<string, number>} hotkeys "F2" / "Alt+K" → class id
 */
/**
 * @typedef {{ type: "native" }                    // leave it to the browser (typing in the filter, Tab, F5 ...)
 *   | { type: "none" }                             // swallow it
 *   | { type: "filter", text: string }             // focus the filter and type this
 *   | { type: "pick", index: number }              // the n-th listed class (0-based)
 *   | { type: "class", classId: number }           // a class by its hotkey
 *   | { type: "action", name: ActionName }} KeyAction
 */
/** @typedef {"accept" | "skip" | "undo" | "noise" | "reject" | "expand" | "more" | "toggle" | "select-all" | "escape"
 *   | "help" | "help-close" | "focus-filter" | "zoom-in" | "zoom-out" | "zoom-reset" | "fullscreen"} ActionName */

/** Alt+letter actions; a class hotkey on one of these letters is shadowed (the dataset admin is told). */
export const altActions = /** @type {const} */ ({ KeyN: "noise", KeyX: "reject", KeyS: "skip", KeyE: "expand", KeyM: "more", KeyU: "undo", KeyF: "fullscreen" });

/** @param {string} hotkey @returns {ActionName | null} the action an Alt+letter hotkey would shadow */
export function reservedBy(hotkey) {
    const m = /^Alt\+([A-Z])$/.exec(hotkey);
    return m ? /** @type {Record<string, ActionName>} */ (altActions)[`Key${m[1]}`] ?? null : null;
}

/**
 * A hotkey from the page config, written as "F1".."F12", "Alt+A".."Alt+Z" or "Alt+0".."Alt+9"; anything else
 * (absent, null, a typo) is no hotkey.
 * @param {unknown} value
 * @returns {string | null}
 */
export function normaliseHotkey(value) {
    if (typeof value !== "string") return null;
    const v = value.trim();
    let m = /^f([1-9]|1[0-2])$/i.exec(v);
    if (m) return `F${m[1]}`;
    m = /^alt\s*\+\s*([a-z0-9])$/i.exec(v);
    return m ? `Alt+${m[1].toUpperCase()}` : null;
}

/**
 * The hotkey a key event is, in the config's spelling, or null. Alt+letters go by the physical key (code): on a Mac
 * Alt+N types "˜" in key.
 * @param {KeyLike} e
 * @returns {string | null}
 */
export function hotkeyOf(e) {
    if (e.ctrlKey || e.metaKey) return null;
    if (!e.altKey) return /^F([1-9]|1[0-2])$/.test(e.key) ? e.key : null;
    const code = e.code ?? "";
    let m = /^Key([A-Z])$/.exec(code);
    if (m) return `Alt+${m[1]}`;
    m = /^(?:Digit|Numpad)([0-9])$/.exec(code);
    if (m) return `Alt+${m[1]}`;
    return /^[a-z0-9]$/i.test(e.key) ? `Alt+${e.key.toUpperCase()}` : null;
}

/**
 * @param {KeyLike} e
 * @param {KeyContext} ctx
 * @returns {KeyAction}
 */
export function keyAction(e, ctx) {
    /** @type {(name: ActionName) => KeyAction} */
    const act = name => ({ type: "action", name });
    const typing = ctx.inFilter && ctx.filterText.length > 0;
    if (ctx.overlayOpen) return e.key === "Escape" || e.key === "?" ? act("help-close") : { type: "none" };
    if (e.metaKey) return { type: "native" };

    const hotkey = hotkeyOf(e);
    if (hotkey) {
        if (e.altKey && e.code && e.code in altActions) {
            const name = /** @type {Record<string, ActionName>} */ (altActions)[e.code];
            if (name === "expand" || name === "more") return ctx.mode === "grid" ? act(name) : { type: "none" };
            if (name === "skip" && ctx.mode === "grid") return { type: "none" };
            if (name === "fullscreen" && ctx.mode === "grid") return { type: "none" };
            return act(name);
        }
        const classId = ctx.hotkeys.get(hotkey);
        if (classId !== undefined) return { type: "class", classId };
        return { type: "native" };
    }
    if (e.altKey) return { type: "native" };

    if (e.ctrlKey) {
        const k = e.key.toLowerCase();
        if (k === "z") return typing ? { type: "native" } : act("undo");
        if (k === "a" && ctx.mode === "grid" && !ctx.inFilter) return act("select-all");
        return { type: "native" };
    }

    switch (e.key) {
        case "Escape": return act("escape");
        case "?": return act("help");
        case "Enter": return act("accept");
        case " ": return typing ? { type: "native" } : act(ctx.mode === "grid" ? "toggle" : "skip");
        case "Backspace": return typing ? { type: "native" } : act("undo");
        case "Delete": return typing ? { type: "native" } : act("reject");
        case "/": return ctx.inFilter ? { type: "native" } : act("focus-filter");
    }
    if (/^[1-9]$/.test(e.key)) return ctx.inFilter && ctx.digitsInNames ? { type: "native" } : { type: "pick", index: Number(e.key) - 1 };
    if (ctx.mode === "single" && !ctx.inFilter) {
        if (e.key === "+" || e.key === "=") return act("zoom-in");
        if (e.key === "-") return act("zoom-out");
        if (e.key === "*") return act("zoom-reset");
    }
    // Any other character (letters above all) is part of a class name.
    if (e.key.length === 1) return ctx.inFilter ? { type: "native" } : { type: "filter", text: e.key };
    return { type: "native" };
}

/**
 * Every key of a page, for the "?" overlay and the buttons (one list, so the overlay cannot miss one).
 * @param {Mode} mode
 * @returns {{ keys: string[], does: string }[]}
 */
export function keyList(mode) {
    const common = [
        { keys: ["a–z"], does: "type into the class filter (letters never act)" },
        { keys: ["1", "…", "9"], does: mode === "grid" ? "assign the n-th listed class to the selection" : "label with the n-th listed class" },
        { keys: ["Enter"], does: mode === "grid" ? "assign the first filtered class to the selection" : "the first filtered class, or the first suggestion when the filter is empty" },
        { keys: ["Backspace"], does: "undo the last action (in the filter: delete a letter)" },
        { keys: ["Ctrl+Z"], does: "undo the last action" },
        { keys: ["Alt+U"], does: "undo the last action" },
        { keys: ["Alt+N"], does: "noise / background" },
        { keys: ["Alt+X"], does: "reject (bad image)" },
        { keys: ["Delete"], does: "reject (bad image)" },
    ];
    const own = mode === "grid"
        ? [
            { keys: ["←", "→", "↑", "↓"], does: "move the focus (Shift: select on the way)" },
            { keys: ["Space"], does: "select or unselect the focused image" },
            { keys: ["Ctrl+A"], does: "select all" },
            { keys: ["Alt+E"], does: "expand from the focused image (its nearest unlabelled neighbours)" },
            { keys: ["Alt+M"], does: "load more images" },
            { keys: ["Esc"], does: "clear the filter, then the selection" },
        ]
        : [
            { keys: ["Space"], does: "skip this image" },
            { keys: ["Alt+S"], does: "skip this image" },
            { keys: ["+", "−"], does: "zoom in, out (also the mouse wheel over the image; drag to pan)" },
            { keys: ["*"], does: "reset the zoom (also a double click)" },
            { keys: ["Alt+F"], does: "full screen on or off" },
            { keys: ["Esc"], does: "clear the filter" },
        ];
    return [...common, ...own,
        { keys: ["/"], does: "focus the class filter" },
        { keys: ["?"], does: "show this list (Esc closes it)" },
        { keys: ["F1", "…", "F12", "Alt+letter"], does: "a class's own hotkey, where the dataset sets one (listed below)" },
    ];
}
