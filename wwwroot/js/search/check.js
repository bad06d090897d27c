// @ts-check
// Whether a dropped, pasted or chosen file can be a query image, before anything is sent: pure, so node tests it.
// The server checks the content again (ImageValidator); this only spares a round trip and names the problem.

export const Formats = ["jpeg", "png", "gif", "bmp", "webp"];
const Extensions = /\.(jpe?g|png|gif|bmp|webp)$/i;

/** @param {number} bytes */
export function megabytes(bytes) {
    return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, "")} MB`;
}

/**
 * @param {{ name: string, type: string, size: number }} file
 * @param {number} maxBytes
 * @returns {string | null} why it cannot be searched with, or null
 */
export function checkFile(file, maxBytes) {
    const type = file.type.toLowerCase();
    const known = type ? type.startsWith("image/") && Formats.includes(type.slice(6).replace(/^x-ms-/, "")) : Extensions.test(file.name);
    const name = file.name || "the pasted item";
    if (!known) return `${name} is not an image this search reads (${type || "unknown type"}): use a JPEG, PNG, GIF, BMP or WebP file.`;
    if (file.size === 0) return `${name} is empty.`;
    if (file.size > maxBytes) return `${name} is ${megabytes(file.size)}, over the ${megabytes(maxBytes)} limit for a query image.`;
    return null;
}

/**
 * The first file among a drop's or a paste's items (a paste of copied text has none).
 * @param {DataTransfer | null} data
 * @returns {File | null}
 */
export function firstFile(data) {
    if (!data) return null;
    if (data.files && data.files.length > 0) return data.files[0];
    const items = data.items;
    for (let i = 0; items && i < items.length; i++) {
        if (items[i].kind === "file") return items[i].getAsFile();
    }
    return null;
}
