// The review desk's keyboard model: letters only type into the filter, a reject waits for its confirmation, and the
// viewer's keys zoom only outside the filter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deskKey } from "../../wwwroot/js/review/keys.js";

const base = { inFilter: false, inOtherField: false, filterText: "", confirming: false };
const letters = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"];

test("every letter types into the filter and never decides, in the filter or out of it", () => {
    for (const l of letters) {
        assert.deepEqual(deskKey({ key: l, code: `Key${l.toUpperCase()}` }, base), { type: "filter", text: l }, l);
        assert.deepEqual(deskKey({ key: l, code: `Key${l.toUpperCase()}` }, { ...base, inFilter: true, filterText: "ba" }), { type: "native" }, l);
    }
});

test("Enter accepts, digits pick the n-th listed class, Delete asks to reject", () => {
    assert.deepEqual(deskKey({ key: "Enter" }, base), { type: "action", name: "accept" });
    for (let d = 1; d <= 9; d++) assert.deepEqual(deskKey({ key: String(d) }, base), { type: "pick", index: d - 1 });
    assert.deepEqual(deskKey({ key: "Delete" }, base), { type: "action", name: "reject" });
});

test("while a reject waits: Delete or Enter confirms, Escape and any other key only cancel", () => {
    const waiting = { ...base, confirming: true };
    assert.deepEqual(deskKey({ key: "Delete" }, waiting), { type: "action", name: "reject-confirm" });
    assert.deepEqual(deskKey({ key: "Enter" }, waiting), { type: "action", name: "reject-confirm" });
    for (const key of ["Escape", "1", "a", " ", "Backspace", "ArrowRight", "+"]) {
        assert.deepEqual(deskKey({ key }, waiting), { type: "action", name: "reject-cancel" }, key);
    }
    // Shift held on its way to a key neither answers nor cancels.
    assert.deepEqual(deskKey({ key: "Shift" }, waiting), { type: "native" });
});

test("Backspace and the arrows move through images, except while a filter is being typed", () => {
    assert.deepEqual(deskKey({ key: "Backspace" }, base), { type: "action", name: "back" });
    assert.deepEqual(deskKey({ key: "ArrowRight" }, base), { type: "action", name: "next" });
    assert.deepEqual(deskKey({ key: "ArrowLeft" }, base), { type: "action", name: "previous" });
    const typing = { ...base, inFilter: true, filterText: "ac" };
    for (const key of ["Backspace", "ArrowRight", "ArrowLeft"]) assert.deepEqual(deskKey({ key }, typing), { type: "native" }, key);
    // An empty, focused filter: Backspace still goes back.
    assert.deepEqual(deskKey({ key: "Backspace" }, { ...base, inFilter: true }), { type: "action", name: "back" });
});

test("+ - 0 zoom outside the filter and type inside it; Alt+F is full screen anywhere, F alone types", () => {
    assert.deepEqual(deskKey({ key: "+" }, base), { type: "action", name: "zoom-in" });
    assert.deepEqual(deskKey({ key: "=" }, base), { type: "action", name: "zoom-in" });
    assert.deepEqual(deskKey({ key: "-" }, base), { type: "action", name: "zoom-out" });
    assert.deepEqual(deskKey({ key: "0" }, base), { type: "action", name: "zoom-reset" });
    const inFilter = { ...base, inFilter: true, filterText: "t" };
    for (const key of ["+", "-", "0"]) assert.deepEqual(deskKey({ key }, inFilter), { type: "native" }, key);
    assert.deepEqual(deskKey({ key: "f", code: "KeyF", altKey: true }, base), { type: "action", name: "fullscreen" });
    assert.deepEqual(deskKey({ key: "f", code: "KeyF", altKey: true }, inFilter), { type: "action", name: "fullscreen" });
    assert.deepEqual(deskKey({ key: "f", code: "KeyF" }, base), { type: "filter", text: "f" });
});

test("other fields keep their keys, and modifiers are the browser's", () => {
    for (const key of ["Enter", "Delete", "1", "a", " "]) assert.deepEqual(deskKey({ key }, { ...base, inOtherField: true }), { type: "native" }, key);
    assert.deepEqual(deskKey({ key: "a", ctrlKey: true }, base), { type: "native" });
    assert.deepEqual(deskKey({ key: "Delete", altKey: true, code: "Delete" }, base), { type: "native" });
    assert.deepEqual(deskKey({ key: " " }, base), { type: "action", name: "select" });
    assert.deepEqual(deskKey({ key: " " }, { ...base, inFilter: true }), { type: "native" });
});
