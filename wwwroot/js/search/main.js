// @ts-check
// The search page's upload: drop an image on the drop zone or paste one (Ctrl+V) and the search starts; the image
// shows as a preview while the form is sent. The file goes into the form's own file input and the form submits as
// it does without script, so both paths are one; a file that cannot be a query gets a message and is not sent.
import { checkFile, firstFile } from "./check.js";

const form = document.getElementById("search-form");
const zone = document.getElementById("drop-zone");
const input = document.getElementById("Upload");
if (form instanceof HTMLFormElement && zone && input instanceof HTMLInputElement) start(form, zone, input);

/** @param {HTMLFormElement} form @param {HTMLElement} zone @param {HTMLInputElement} input */
function start(form, zone, input) {
    const maxBytes = Number(zone.dataset.maxBytes) || 50 * 1024 * 1024;
    const error = /** @type {HTMLElement} */ (document.getElementById("drop-error"));
    const preview = /** @type {HTMLElement} */ (document.getElementById("drop-preview"));
    const previewImage = /** @type {HTMLImageElement} */ (document.getElementById("drop-preview-image"));
    const previewText = /** @type {HTMLElement} */ (document.getElementById("drop-preview-text"));
    zone.classList.add("live");
    /** @type {string | null} */
    let previewUrl = null;

    /** @param {File} file */
    function showPreview(file) {
        if (previewUrl) URL.revokeObjectURL(previewUrl);
        previewUrl = URL.createObjectURL(file);
        previewImage.src = previewUrl;
        previewText.textContent = file.name;
        preview.hidden = false;
    }

    /** @param {string} message */
    function refuse(message) {
        error.textContent = message;
        zone.classList.add("refused");
        preview.hidden = true;
    }

    /** @param {File | null} file @returns {boolean} whether it may be sent */
    function accept(file) {
        if (!file) { refuse("Nothing to search with: drop or paste an image file."); return false; }
        const problem = checkFile(file, maxBytes);
        if (problem) { refuse(problem); return false; }
        error.textContent = "";
        zone.classList.remove("refused");
        showPreview(file);
        return true;
    }

    /** A dropped or pasted file: into the form's input, then the form's own submit. @param {File | null} file */
    function searchWith(file) {
        if (!accept(file) || !file) return;
        const transfer = new DataTransfer();
        transfer.items.add(file);
        input.files = transfer.files;
        previewText.textContent = `${file.name} · searching…`;
        form.requestSubmit();
    }

    input.addEventListener("change", () => { if (input.files?.length) accept(input.files[0]); });
    form.addEventListener("submit", e => {
        // Only the upload's submit (the dataset select's reload goes as a GET without a file).
        if (form.method.toLowerCase() !== "post") return;
        const file = input.files?.[0] ?? null;
        if (file && !accept(file)) e.preventDefault();
    });

    for (const type of ["dragenter", "dragover"]) {
        zone.addEventListener(type, e => {
            e.preventDefault();
            zone.classList.add("over");
        });
    }
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", e => {
        e.preventDefault();
        zone.classList.remove("over");
        searchWith(firstFile(e.dataTransfer));
    });
    // A file dropped next to the zone would make the browser open it and leave the page: refused there.
    window.addEventListener("dragover", e => e.preventDefault());
    window.addEventListener("drop", e => { if (!zone.contains(/** @type {Node} */ (e.target))) e.preventDefault(); });

    document.addEventListener("paste", e => {
        const file = firstFile(e.clipboardData);
        // Text pasted into a field stays text; only a pasted file starts a search.
        if (!file) return;
        e.preventDefault();
        searchWith(file);
    });
}
