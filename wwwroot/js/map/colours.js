// @ts-check
// Colours of the map: one per class (evenly spaced hues, stable for a class's place in the name-sorted list), and
// fixed colours for the codes the server sends for "no label", "rejected" and "noise without a class".

export const NONE = -1, REJECTED = -2, NOISE = -3;

const special = new Map([
    [NONE, "#b8bec6"],
    [REJECTED, "#1f2328"],
    [NOISE, "#8c6d46"],
]);

/**
 * The colour of a label code. Classes get hues spread by the golden angle, so neighbours in the list differ, with
 * three lightness bands so that a hundred classes stay tellable apart; the noise class is drawn as noise.
 * @param {number} code  a class index (0..classCount-1) or one of the special codes
 * @param {{ noise: boolean }[]} classes
 */
export function colourOf(code, classes) {
    if (code < 0 || code >= classes.length) return special.get(code) ?? special.get(NONE) ?? "#b8bec6";
    if (classes[code].noise) return special.get(NOISE) ?? "#8c6d46";
    const hue = Math.round((code * 137.508) % 360);
    const lightness = [45, 60, 35][code % 3];
    return `hsl(${hue} 70% ${lightness}%)`;
}

/**
 * Legend rows: every code present, most frequent first (ties by name), with its count and colour.
 * @param {ArrayLike<number>} codes
 * @param {{ name: string, noise: boolean }[]} classes
 * @returns {{ code: number, name: string, count: number, colour: string }[]}
 */
export function legend(codes, classes) {
    /** @type {Map<number, number>} */
    const counts = new Map();
    for (let i = 0; i < codes.length; i++) counts.set(codes[i], (counts.get(codes[i]) ?? 0) + 1);
    return [...counts.entries()]
        .map(([code, count]) => ({ code, count, name: nameOf(code, classes), colour: colourOf(code, classes) }))
        .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
}

/** @param {number} code @param {{ name: string }[]} classes */
export function nameOf(code, classes) {
    if (code >= 0 && code < classes.length) return classes[code].name;
    return code === REJECTED ? "rejected" : code === NOISE ? "noise" : "no label";
}

/**
 * Point indices grouped by colour, so the canvas changes fill style once per colour rather than once per point.
 * @param {ArrayLike<number>} codes
 * @param {{ noise: boolean }[]} classes
 * @returns {Map<string, number[]>}
 */
export function byColour(codes, classes) {
    /** @type {Map<string, number[]>} */
    const groups = new Map();
    for (let i = 0; i < codes.length; i++) {
        const colour = colourOf(codes[i], classes);
        const group = groups.get(colour);
        if (group) group.push(i); else groups.set(colour, [i]);
    }
    return groups;
}

/**
 * The class most of the given points carry (the lower index on a tie), or -1 when none of them has a class: what the
 * "label the selection as" picker starts on.
 * @param {ArrayLike<number>} codes
 * @param {Iterable<number>} points
 */
export function majorityClass(codes, points) {
    /** @type {Map<number, number>} */
    const counts = new Map();
    for (const i of points) if (codes[i] >= 0) counts.set(codes[i], (counts.get(codes[i]) ?? 0) + 1);
    let best = -1, bestCount = 0;
    for (const [code, count] of counts) if (count > bestCount || (count === bestCount && code < best)) { best = code; bestCount = count; }
    return best;
}
