// @ts-check
// The image page (Images/Details): zoom, pan and full screen on the image. No letter types anywhere here, so F
// toggles full screen beside Alt+F. Without script the image simply shows fitted.
import { Zoom, bindButtons, viewerKey } from "./zoom.js";

const viewport = document.getElementById("image-viewport");
const img = document.getElementById("full-image");
const figure = document.getElementById("image-viewer");
const tools = document.getElementById("image-tools");
if (viewport && img instanceof HTMLImageElement && figure && tools) {
    const zoom = new Zoom(viewport, img, figure);
    bindButtons(zoom, tools);
    tools.hidden = false;
    document.addEventListener("keydown", e => {
        const target = /** @type {HTMLElement} */ (e.target);
        const action = viewerKey(e, { inField: !!target.closest?.("input, select, textarea, [contenteditable]"), letters: true });
        if (!action) return;
        e.preventDefault();
        zoom.run(action);
    });
}
