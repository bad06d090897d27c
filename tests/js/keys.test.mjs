// The keyboard model: letters only ever type into the class filter; actions are digits, Enter, Space, Backspace,
// Delete, Escape, ?, / and Alt+letters; class hotkeys are read defensively.
import { test } from "node:test";
import assert from "node:assert/strict";
import { keyAction, hotkeyOf, normaliseHotkey, keyList } from "../../wwwroot/js/label/keys.js";
import { hotkeyMap, readClasses, rankClasses } from "../../wwwroot/js/label/class-picker.js";

const base = { mode: "single", inFilter: false, filterText: "", digitsInNames: false, overlayOpen: false, hotkeys: new Map() };
const letters = [..."abcdefghijklmnopqrstuvwxyz"];

test("every letter a–z and A–Z without a modifier types into the filter, in both modes, never acts", () => {
    const contexts = [];
    for (const mode of ["single", "grid"]) for (const inFilter of [false, true]) for (const filterText of ["", "an"]) {
        contexts.push({ ...base, mode, inFilter, filterText, hotkeys: new Map([["Alt+A", 1], ["F2", 2]]) });
    }
    for (const ctx of contexts) {
        for (const l of [...letters, ...letters.map(x => x.toUpperCase())]) {
            const meaning = keyAction({ key: l, code: `Key${l.toUpperCase()}`, shiftKey: l !== l.toLowerCase() }, ctx);
            // Outside the filter the page moves the letter into it; in the filter the browser types it.
            assert.deepEqual(meaning, ctx.inFilter ? { type: "native" } : { type: "filter", text: l }, `${l} in ${JSON.stringify({ ...ctx, hotkeys: undefined })}`);
        }
    }
});

test("typing a class name letter by letter never yields an action", () => {
    // "anchor", "sunflower", "saxophone", "elephant": a, n, s, u, x, e were all actions once.
    for (const name of ["anchor", "sunflower", "saxophone", "elephant", "barrel"]) {
        let text = "";
        for (const ch of name) {
            const meaning = keyAction({ key: ch, code: `Key${ch.toUpperCase()}` }, { ...base, inFilter: text.length > 0, filterText: text });
            assert.ok(meaning.type === "filter" || meaning.type === "native", `${ch} of ${name}: ${JSON.stringify(meaning)}`);
            text += ch;
        }
    }
});

test("the action keys", () => {
    const a = (key, extra = {}, ctx = {}) => keyAction({ key, ...extra }, { ...base, ...ctx });
    assert.deepEqual(a("3"), { type: "pick", index: 2 });
    assert.deepEqual(a("Enter"), { type: "action", name: "accept" });
    assert.deepEqual(a(" "), { type: "action", name: "skip" });
    assert.deepEqual(a(" ", {}, { mode: "grid" }), { type: "action", name: "toggle" });
    assert.deepEqual(a("Backspace"), { type: "action", name: "undo" });
    assert.deepEqual(a("z", { ctrlKey: true, code: "KeyZ" }), { type: "action", name: "undo" });
    assert.deepEqual(a("n", { altKey: true, code: "KeyN" }), { type: "action", name: "noise" });
    // A Mac's Alt+N types a tilde: the physical key decides.
    assert.deepEqual(a("˜", { altKey: true, code: "KeyN" }), { type: "action", name: "noise" });
    assert.deepEqual(a("x", { altKey: true, code: "KeyX" }), { type: "action", name: "reject" });
    assert.deepEqual(a("Delete"), { type: "action", name: "reject" });
    assert.deepEqual(a("s", { altKey: true, code: "KeyS" }), { type: "action", name: "skip" });
    assert.deepEqual(a("e", { altKey: true, code: "KeyE" }, { mode: "grid" }), { type: "action", name: "expand" });
    assert.deepEqual(a("?", { shiftKey: true }), { type: "action", name: "help" });
    assert.deepEqual(a("Escape", {}, { overlayOpen: true }), { type: "action", name: "help-close" });
    assert.deepEqual(a("1", {}, { overlayOpen: true }), { type: "none" });
    assert.deepEqual(a("+"), { type: "action", name: "zoom-in" });
    assert.deepEqual(a("f", { altKey: true, code: "KeyF" }), { type: "action", name: "fullscreen" });
    // Typing in the filter: Backspace deletes, Space is part of the name, digits too when names hold digits.
    const typing = { inFilter: true, filterText: "so" };
    assert.deepEqual(a("Backspace", {}, typing), { type: "native" });
    assert.deepEqual(a(" ", {}, typing), { type: "native" });
    assert.deepEqual(a("-", {}, typing), { type: "native" });
    assert.deepEqual(a("2", {}, { ...typing, digitsInNames: true }), { type: "native" });
    assert.deepEqual(a("2", {}, typing), { type: "pick", index: 1 });
    assert.deepEqual(a("Enter", {}, typing), { type: "action", name: "accept" });
});

test("class hotkeys: F-keys and Alt+letters or digits pick their class; action letters stay actions", () => {
    const classes = readClasses([
        { id: 1, name: "anchor", noise: false, hotkey: "F2" },
        { id: 2, name: "ant", noise: false, hotkey: "alt+k" },
        { id: 3, name: "barrel", noise: false, hotkey: "Alt+7" },
        { id: 4, name: "bass", noise: false, hotkey: "Alt+N" },
        { id: 5, name: "camera", noise: false },
        { id: 6, name: "dolphin", noise: false, hotkey: "Ctrl+Q" },
        { id: 7, name: "elephant", noise: true, hotkey: 12 },
        { nonsense: true },
    ]);
    assert.deepEqual(classes.map(c => c.hotkey), ["F2", "Alt+K", "Alt+7", "Alt+N", null, null, null]);
    const hotkeys = hotkeyMap(classes);
    assert.deepEqual([...hotkeys], [["F2", 1], ["Alt+K", 2], ["Alt+7", 3]]);
    const ctx = { ...base, hotkeys };
    assert.deepEqual(keyAction({ key: "F2" }, ctx), { type: "class", classId: 1 });
    assert.deepEqual(keyAction({ key: "k", code: "KeyK", altKey: true }, ctx), { type: "class", classId: 2 });
    assert.deepEqual(keyAction({ key: "7", code: "Digit7", altKey: true }, ctx), { type: "class", classId: 3 });
    assert.deepEqual(keyAction({ key: "n", code: "KeyN", altKey: true }, ctx), { type: "action", name: "noise" });
    assert.deepEqual(keyAction({ key: "F5" }, ctx), { type: "native" });
    assert.equal(hotkeyOf({ key: "F2", ctrlKey: true }), null);
    assert.equal(normaliseHotkey(" f11 "), "F11");
    assert.equal(normaliseHotkey("F13"), null);
    assert.equal(normaliseHotkey(undefined), null);
});

test("the key list names every action key the model knows", () => {
    for (const mode of ["single", "grid"]) {
        const listed = new Set(keyList(mode).flatMap(k => k.keys));
        const needed = ["1", "9", "Enter", "Space", "Backspace", "Ctrl+Z", "Alt+N", "Alt+X", "Delete", "Esc", "?", "/", "Alt+U"];
        for (const k of [...needed, ...(mode === "grid" ? ["Alt+E", "Alt+M", "Ctrl+A"] : ["Alt+S", "Alt+F", "+", "*"])]) assert.ok(listed.has(k), `${mode}: ${k}`);
    }
});

test("the filter ranks the exact name, then prefixes, then the rest", () => {
    const classes = readClasses(["elephant", "ant", "anchor", "giant"].map((name, id) => ({ id, name })));
    assert.deepEqual(rankClasses(classes, "an").map(c => c.name), ["ant", "anchor", "elephant", "giant"]);
    assert.deepEqual(rankClasses(classes, "ant").map(c => c.name), ["ant", "elephant", "giant"]);
    assert.deepEqual(rankClasses(classes, "").map(c => c.name), ["elephant", "ant", "anchor", "giant"]);
});
