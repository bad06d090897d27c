// @ts-check
// Hit testing for hover: a uniform grid over the points, so the point under the pointer is found by looking at a
// few cells instead of all 100k points on every mouse move.

export class PointGrid {
    /**
     * @param {ArrayLike<number>} xs
     * @param {ArrayLike<number>} ys
     * @param {number} extent  coordinates lie in [0, extent]
     * @param {number} cells  cells per side
     */
    constructor(xs, ys, extent, cells) {
        this.xs = xs;
        this.ys = ys;
        this.cells = Math.max(1, Math.floor(cells));
        this.size = extent / this.cells;
        /** @type {Map<number, number[]>} */
        this.buckets = new Map();
        for (let i = 0; i < xs.length; i++) {
            const key = this.key(this.cell(xs[i]), this.cell(ys[i]));
            const bucket = this.buckets.get(key);
            if (bucket) bucket.push(i); else this.buckets.set(key, [i]);
        }
    }

    /** @param {number} v */
    cell(v) { return Math.min(this.cells - 1, Math.max(0, Math.floor(v / this.size))); }

    /** @param {number} cx @param {number} cy */
    key(cx, cy) { return cy * this.cells + cx; }

    /**
     * The index of the point nearest to (x, y) within radius (map units), or -1; the lower index wins a tie.
     * @param {number} x
     * @param {number} y
     * @param {number} radius
     */
    nearest(x, y, radius) {
        let best = -1, bestD = radius * radius;
        const [x0, x1, y0, y1] = [this.cell(x - radius), this.cell(x + radius), this.cell(y - radius), this.cell(y + radius)];
        for (let cy = y0; cy <= y1; cy++) {
            for (let cx = x0; cx <= x1; cx++) {
                for (const i of this.buckets.get(this.key(cx, cy)) ?? []) {
                    const d = (this.xs[i] - x) ** 2 + (this.ys[i] - y) ** 2;
                    if (d < bestD || (d === bestD && best >= 0 && i < best)) { best = i; bestD = d; }
                }
            }
        }
        return best;
    }
}
