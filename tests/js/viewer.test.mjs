// The shared image viewer: zoom about a point keeps that point still, stays within its bounds, and the keys of the
// review and image pages.
import { test } from "node:test";
import assert from "node:assert/strict";
import { zoomAbout, viewerKey, Min, Max, Step } from "../../wwwroot/js/viewer/zoom.js";

test("zooming about a point keeps the image point under it where it was", () => {
    let view = { scale: 1, x: 0, y: 0 };
    const p = { x: 120, y: -40 };
    for (let i = 0; i < 4; i++) {
        const next = zoomAbout(view, Step, p.x, p.y);
        // The image point under p before: (p - t) / scale; after, it must map back onto p.
        const ix = (p.x - view.x) / view.scale, iy = (p.y - view.y) / view.scale;
        assert.ok(Math.abs(next.x + ix * next.scale - p.x) < 1e-9);
        assert.ok(Math.abs(next.y + iy * next.scale - p.y) < 1e-9);
        assert.ok(next.scale > view.scale);
        view = next;
    }
});

test("the scale stays between its bounds, and back at 1 the image is centred again", () => {
    let view = { scale: 1, x: 0, y: 0 };
    for (let i = 0; i < 30; i++) view = zoomAbout(view, Step, 50, 50);
    assert.equal(view.scale, Max);
    for (let i = 0; i < 30; i++) view = zoomAbout(view, 1 / Step, 50, 50);
    assert.deepEqual(view, { scale: Min, x: 0, y: 0 });
});

test("viewer keys: + = - 0 * outside fields; F only where letters are free; Alt+F always", () => {
    const page = { inField: false, letters: true };
    assert.equal(viewerKey({ key: "+" }, page), "zoom-in");
    assert.equal(viewerKey({ key: "=" }, page), "zoom-in");
    assert.equal(viewerKey({ key: "-" }, page), "zoom-out");
    assert.equal(viewerKey({ key: "0" }, page), "zoom-reset");
    assert.equal(viewerKey({ key: "*" }, page), "zoom-reset");
    assert.equal(viewerKey({ key: "f" }, page), "fullscreen");
    assert.equal(viewerKey({ key: "f" }, { ...page, letters: false }), null);
    assert.equal(viewerKey({ key: "+" }, { ...page, inField: true }), null);
    assert.equal(viewerKey({ key: "f", code: "KeyF", altKey: true }, { inField: true, letters: false }), "fullscreen");
    assert.equal(viewerKey({ key: "+", ctrlKey: true }, page), null);
    assert.equal(viewerKey({ key: "x" }, page), null);
});
