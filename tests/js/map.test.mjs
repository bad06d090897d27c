// The embedding map's pure parts: point in polygon, lasso selection, hit testing, colours and the canvas fit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { pointInPolygon, selectInPolygon, extendLasso, fitSquare, toCanvas, toMap } from "../../wwwroot/js/map/geometry.js";
import { PointGrid } from "../../wwwroot/js/map/hit.js";
import { colourOf, legend, nameOf, byColour, majorityClass, NONE, REJECTED, NOISE } from "../../wwwroot/js/map/colours.js";

const square = [{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 10, y: 10 }, { x: 0, y: 10 }];
// A "U": the notch between its arms is outside although it lies within the bounding box.
const u = [{ x: 0, y: 0 }, { x: 3, y: 0 }, { x: 3, y: 7 }, { x: 7, y: 7 }, { x: 7, y: 0 }, { x: 10, y: 0 }, { x: 10, y: 10 }, { x: 0, y: 10 }];

test("point in polygon: inside, outside, and the notch of a concave lasso", () => {
    assert.equal(pointInPolygon(5, 5, square), true);
    assert.equal(pointInPolygon(11, 5, square), false);
    assert.equal(pointInPolygon(-0.1, 5, square), false);
    assert.equal(pointInPolygon(5, 3, u), false, "the notch is outside");
    assert.equal(pointInPolygon(1, 3, u), true, "an arm is inside");
    assert.equal(pointInPolygon(5, 9, u), true, "the base is inside");
});

test("a self-crossing lasso (a figure eight) holds both loops, even-odd", () => {
    const eight = [{ x: 0, y: 0 }, { x: 10, y: 10 }, { x: 10, y: 0 }, { x: 0, y: 10 }];
    assert.equal(pointInPolygon(1, 5, eight), true);
    assert.equal(pointInPolygon(9, 5, eight), true);
    assert.equal(pointInPolygon(5, 1, eight), false);
});

test("lasso selection returns exactly the indices inside, in index order", () => {
    const xs = [1, 5, 5, 9, 20, 2, 5];
    const ys = [1, 3, 9, 9, 5, 8, 5];
    assert.deepEqual(selectInPolygon(xs, ys, u), [0, 2, 3, 5]);
    assert.deepEqual(selectInPolygon(xs, ys, square), [0, 1, 2, 3, 5, 6]);
    assert.deepEqual(selectInPolygon(xs, ys, [{ x: 0, y: 0 }, { x: 1, y: 1 }]), [], "two vertices enclose nothing");
});

test("selection agrees with a brute-force check on random points and a random star polygon", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const xs = Array.from({ length: 2000 }, () => random() * 100);
    const ys = Array.from({ length: 2000 }, () => random() * 100);
    const star = Array.from({ length: 14 }, (_, k) => {
        const r = k % 2 ? 15 : 40, a = (k / 14) * 2 * Math.PI;
        return { x: 50 + r * Math.cos(a), y: 50 + r * Math.sin(a) };
    });
    const expected = xs.map((_, i) => i).filter(i => pointInPolygon(xs[i], ys[i], star));
    assert.deepEqual(selectInPolygon(xs, ys, star), expected);
    assert.ok(expected.length > 100 && expected.length < 1500, `${expected.length} inside`);
});

test("the lasso drops vertices closer than the gap to the last one", () => {
    const lasso = [{ x: 0, y: 0 }];
    extendLasso(lasso, { x: 1, y: 1 }, 3);
    extendLasso(lasso, { x: 3, y: 0 }, 3);
    assert.deepEqual(lasso, [{ x: 0, y: 0 }, { x: 3, y: 0 }]);
});

test("hit testing finds the nearest point within the radius, and none beyond it, as brute force does", () => {
    const xs = [100, 110, 5000, 9990, 0];
    const ys = [100, 100, 5000, 9990, 10000];
    const grid = new PointGrid(xs, ys, 10000, 64);
    assert.equal(grid.nearest(104, 101, 20), 0);
    assert.equal(grid.nearest(108, 99, 20), 1);
    assert.equal(grid.nearest(5000, 5030, 20), -1, "30 away with radius 20");
    assert.equal(grid.nearest(10000, 10000, 20), 3, "the far corner's cell");
    assert.equal(grid.nearest(3, 9999, 5), 4);
    // Across cell borders: a point just over the border in the next cell is still found.
    const border = new PointGrid([156.5, 160], [10, 10], 10000, 64);
    assert.equal(border.nearest(155, 10, 3), 0);
    assert.equal(border.nearest(159, 10, 3), 1);
});

test("class colours are distinct for 102 classes, stable, and the special codes have their own", () => {
    const classes = Array.from({ length: 102 }, (_, i) => ({ name: `c${i}`, noise: i === 5 }));
    const colours = classes.map((_, i) => colourOf(i, classes)).filter((_, i) => i !== 5);
    assert.equal(new Set(colours).size, colours.length);
    assert.equal(colourOf(3, classes), colourOf(3, classes));
    assert.equal(colourOf(5, classes), colourOf(NOISE, classes), "the noise class is drawn as noise");
    const specials = [NONE, REJECTED, NOISE].map(c => colourOf(c, classes));
    assert.equal(new Set(specials).size, 3);
    for (const s of specials) assert.ok(!colours.includes(s));
    assert.equal(colourOf(999, classes), colourOf(NONE, classes), "an unknown index reads as no label");
});

test("legend counts every code, most frequent first, and names the special codes", () => {
    const classes = [{ name: "anchor", noise: false }, { name: "bass", noise: false }];
    const rows = legend([1, 1, 0, NONE, 1, REJECTED, NONE, NOISE], classes);
    assert.deepEqual(rows.map(r => [r.name, r.count]), [["bass", 3], ["no label", 2], ["anchor", 1], ["noise", 1], ["rejected", 1]]);
    assert.equal(nameOf(0, classes), "anchor");
    const groups = byColour([0, 1, 0], classes);
    assert.deepEqual(groups.get(colourOf(0, classes)), [0, 2]);
});

test("the canvas fit maps the map's square into the canvas, centred, and back", () => {
    const fit = fitSquare(800, 600, 10000, 10);
    assert.deepEqual(toCanvas(fit, 0, 0), { x: 110, y: 10 });
    assert.deepEqual(toCanvas(fit, 10000, 10000), { x: 690, y: 590 });
    const back = toMap(fit, 400, 300);
    assert.ok(Math.abs(back.x - 5000) < 1e-9 && Math.abs(back.y - 5000) < 1e-9);
});

test("the picker starts on the class most selected points carry, ignoring unlabelled ones", () => {
    const codes = [2, 2, NONE, 1, NONE, NONE, 1, 2, REJECTED];
    assert.equal(majorityClass(codes, [0, 1, 2, 3, 4, 5]), 2);
    assert.equal(majorityClass(codes, [3, 6, 0]), 1);
    assert.equal(majorityClass(codes, [0, 3]), 1, "a tie goes to the lower index");
    assert.equal(majorityClass(codes, [2, 4, 8]), -1, "no class among them");
});
