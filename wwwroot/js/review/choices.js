// @ts-check
// The classes 1-9 choose from and the desk's status line, as pure functions (node tests them).

/** @typedef {{ id: number, name: string }} ClassRef */

/**
 * The image's own choices first (votes, neighbours), then the rest of the dataset's; filtered by what was typed.
 * @param {ClassRef[]} quick
 * @param {ClassRef[]} classes
 * @param {string} typed
 * @returns {ClassRef[]}
 */
export function listed(quick, classes, typed) {
    const q = typed.trim().toLowerCase();
    const quickIds = new Set(quick.map(c => c.id));
    const all = [...quick, ...classes.filter(c => !quickIds.has(c.id))];
    return q ? all.filter(c => c.name.toLowerCase().includes(q)) : all;
}

/**
 * @param {{ decided: number, total: number, saved: number, pending: number }} s
 * @returns {{ text: string, pageDone: boolean }}
 */
export function statusText({ decided, total, saved, pending }) {
    if (decided === total && pending === 0) return { text: `All ${total} images on this page are decided · saved ${saved}. `, pageDone: true };
    return { text: `${decided} of ${total} on this page decided · saved ${saved}` + (pending ? ` · sending ${pending}` : ""), pageDone: false };
}
