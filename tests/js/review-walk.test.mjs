// The review desk's order: after a decision the next undecided image (wrapping round), Backspace back through the
// images decided on the page, latest first; and the listed classes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Walk, nextOpen } from "../../wwwroot/js/review/walk.js";
import { listed, statusText } from "../../wwwroot/js/review/choices.js";

test("nextOpen skips decided images, wraps round, retries conflicts, and stays put when all are decided", () => {
    assert.equal(nextOpen(["open", "saved", "open"], 0), 2);
    assert.equal(nextOpen(["open", "saved", "sending"], 2), 0);
    assert.equal(nextOpen(["saved", "conflict", "saved"], 2), 1);
    assert.equal(nextOpen(["saved", "saved", "sending"], 1), 1);
});

test("decisions advance to the next open image; back walks the decided ones in reverse order", () => {
    const states = ["open", "open", "open", "open"];
    const walk = new Walk(4);
    walk.go(1);
    states[1] = "saved";
    assert.equal(walk.decided(states), 2);
    states[2] = "saved";
    assert.equal(walk.decided(states), 3);
    states[3] = "saved";
    // Wraps round to the first image, still open.
    assert.equal(walk.decided(states), 0);
    assert.equal(walk.back(), true);
    assert.equal(walk.current, 3);
    assert.equal(walk.back(), true);
    assert.equal(walk.current, 2);
    assert.equal(walk.back(), true);
    assert.equal(walk.current, 1);
    // Nothing decided before: back is the previous image, wrapping to the last.
    assert.equal(walk.back(), false);
    assert.equal(walk.current, 0);
    assert.equal(walk.back(), false);
    assert.equal(walk.current, 3);
});

test("go wraps negative and large indexes round the page", () => {
    const walk = new Walk(5);
    assert.equal(walk.go(-1), 4);
    assert.equal(walk.go(7), 2);
});

test("the image's own classes come first, the rest after, filtered by what was typed", () => {
    const quick = [{ id: 3, name: "barrel" }];
    const classes = [{ id: 1, name: "accordion" }, { id: 2, name: "airplanes" }, { id: 3, name: "barrel" }];
    assert.deepEqual(listed(quick, classes, "").map(c => c.id), [3, 1, 2]);
    assert.deepEqual(listed(quick, classes, " AIR ").map(c => c.id), [2]);
    assert.deepEqual(listed(quick, classes, "zzz"), []);
});

test("the status says how many are decided and when the page is done", () => {
    assert.deepEqual(statusText({ decided: 2, total: 5, saved: 1, pending: 1 }), { text: "2 of 5 on this page decided · saved 1 · sending 1", pageDone: false });
    assert.equal(statusText({ decided: 5, total: 5, saved: 5, pending: 0 }).pageDone, true);
    assert.equal(statusText({ decided: 5, total: 5, saved: 4, pending: 1 }).pageDone, false);
});
