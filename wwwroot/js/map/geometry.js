// @ts-check
// Pure geometry of the map: the lasso polygon, which points it holds, and the mapping between map units and the canvas.

/** @typedef {{ x: number, y: number }} Point */
/** @typedef {{ scale: number, offsetX: number, offsetY: number }} Fit */

/**
 * Even-odd ray casting: whether (x, y) lies inside the polygon (its vertices in order; the closing edge is implied).
 * A point exactly on an edge may fall either side; lasso polygons are drawn by hand, so that does not matter.
 * @param {number} x
 * @param {number} y
 * @param {Point[]} polygon
 */
export function pointInPolygon(x, y, polygon) {
    let inside = false;
    for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
        const a = polygon[i], b = polygon[j];
        if ((a.y > y) !== (b.y > y) && x < (b.x - a.x) * (y - a.y) / (b.y - a.y) + a.x) {
            inside = !inside;
        }
    }
    return inside;
}

/**
 * Indices of the points (parallel coordinate arrays) inside the polygon, in index order. The bounding box is checked
 * first, so a small lasso over 100k points tests few of them against every edge.
 * @param {ArrayLike<number>} xs
 * @param {ArrayLike<number>} ys
 * @param {Point[]} polygon
 * @returns {number[]}
 */
export function selectInPolygon(xs, ys, polygon) {
    if (polygon.length < 3) return [];
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const p of polygon) {
        minX = Math.min(minX, p.x); maxX = Math.max(maxX, p.x);
        minY = Math.min(minY, p.y); maxY = Math.max(maxY, p.y);
    }
    const selected = [];
    for (let i = 0; i < xs.length; i++) {
        const x = xs[i], y = ys[i];
        if (x < minX || x > maxX || y < minY || y > maxY) continue;
        if (pointInPolygon(x, y, polygon)) selected.push(i);
    }
    return selected;
}

/**
 * Adds a vertex to a lasso being drawn unless it is within minGap of the last one (pointer moves come many per pixel).
 * @param {Point[]} polygon
 * @param {Point} point
 * @param {number} minGap
 */
export function extendLasso(polygon, point, minGap) {
    const last = polygon[polygon.length - 1];
    if (!last || Math.hypot(point.x - last.x, point.y - last.y) >= minGap) polygon.push(point);
    return polygon;
}

/**
 * The scale and offsets that fit the square of map units [0, extent]² into a width x height canvas with a margin,
 * centred; y grows downwards on both.
 * @param {number} width
 * @param {number} height
 * @param {number} extent
 * @param {number} margin
 * @returns {Fit}
 */
export function fitSquare(width, height, extent, margin) {
    const scale = Math.max(0, Math.min(width, height) - 2 * margin) / extent;
    return { scale, offsetX: (width - extent * scale) / 2, offsetY: (height - extent * scale) / 2 };
}

/** @param {Fit} fit @param {number} x @param {number} y @returns {Point} canvas pixels of map units */
export function toCanvas(fit, x, y) {
    return { x: fit.offsetX + x * fit.scale, y: fit.offsetY + y * fit.scale };
}

/** @param {Fit} fit @param {number} x @param {number} y @returns {Point} map units of canvas pixels */
export function toMap(fit, x, y) {
    return fit.scale > 0 ? { x: (x - fit.offsetX) / fit.scale, y: (y - fit.offsetY) / fit.scale } : { x: 0, y: 0 };
}
