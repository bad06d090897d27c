// @ts-check
// The review desk's keyboard model, as a pure function from a key event to what it means (no DOM, so node tests run
// every key through it). Letters only ever type into the class filter; decisions live on Enter, digits and Delete;
// a reject waits for its confirmation (Delete or Enter again; Esc or any other key cancels and does nothing else).
import { viewerKey } from "../viewer/zoom.js";

/**
 * @typedef {object} KeyLike
 * @property {string} key
 * @property {string} [code]
 * @property {boolean} [altKey]
 * @property {boolean} [ctrlKey]
 * @property {boolean} [metaKey]
 */
/**
 * @typedef {object} DeskContext
 * @property {boolean} inFilter the class filter has the focus
 * @property {boolean} inOtherField another field (a list's class select, a checkbox) has it: its keys are its own
 * @property {string} filterText
 * @property {boolean} confirming a reject waits for its confirmation
 */
/**
 * @typedef {"accept" | "reject" | "reject-confirm" | "reject-cancel" | "back" | "next" | "previous" | "select"
 *   | "help" | "clear-filter" | import("../viewer/zoom.js").ViewerAction} DeskAction
 */
/**
 * @typedef {{ type: "native" }                 // leave it to the browser
 *   | { type: "action", name: DeskAction }
 *   | { type: "pick", index: number }           // the n-th listed class (0-based)
 *   | { type: "filter", text: string }} DeskKey  // focus the filter and type this
 */

/**
 * @param {KeyLike} e
 * @param {DeskContext} ctx
 * @returns {DeskKey}
 */
export function deskKey(e, ctx) {
    /** @type {(name: DeskAction) => DeskKey} */
    const act = name => ({ type: "action", name });
    if (ctx.inOtherField) return { type: "native" };
    if (ctx.confirming) {
        if (e.key === "Delete" || e.key === "Enter") return act("reject-confirm");
        // Modifier keys alone (Shift held before a key) neither answer nor cancel.
        if (["Shift", "Control", "Alt", "Meta"].includes(e.key)) return { type: "native" };
        return act("reject-cancel");
    }
    const viewer = viewerKey(e, { inField: ctx.inFilter, letters: false });
    if (viewer) return act(viewer);
    if (e.ctrlKey || e.metaKey || e.altKey) return { type: "native" };
    const typing = ctx.inFilter && ctx.filterText.length > 0;
    switch (e.key) {
        case "Enter": return act("accept");
        case "Delete": return act("reject");
        case "Escape": return act("clear-filter");
        case "Backspace": return typing ? { type: "native" } : act("back");
        case "ArrowRight": return typing ? { type: "native" } : act("next");
        case "ArrowLeft": return typing ? { type: "native" } : act("previous");
        case "?": return act("help");
        case " ": return ctx.inFilter ? { type: "native" } : act("select");
    }
    if (/^[1-9]$/.test(e.key)) return { type: "pick", index: Number(e.key) - 1 };
    // Any other character only ever types into the filter: it never decides anything.
    if (e.key.length === 1) return ctx.inFilter ? { type: "native" } : { type: "filter", text: e.key };
    return { type: "native" };
}
