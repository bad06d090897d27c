// @ts-check
// Zoom, pan and full screen for one image, shared by the labelling, review and image pages. The image keeps its
// fitted layout; a CSS transform scales and moves it, so zooming never reflows the page. Wheel over the image zooms
// about the cursor, dragging pans once zoomed, a double click resets; full screen takes the element the page names
// (the labelling bench and the review desk keep their class lists beside the image).

export const Min = 1, Max = 8, Step = 1.25;

/**
 * The new zoom after a step about a point, pure so node can test it. Coordinates are relative to the viewport's
 * centre; the point under the cursor stays where it is: t' = p - (p - t) * next / scale.
 * @param {{ scale: number, x: number, y: number }} view
 * @param {number} factor
 * @param {number} px
 * @param {number} py
 * @returns {{ scale: number, x: number, y: number }}
 */
export function zoomAbout(view, factor, px, py) {
    const next = Math.min(Max, Math.max(Min, view.scale * factor));
    if (next === view.scale) return view;
    if (next === 1) return { scale: 1, x: 0, y: 0 };
    return { scale: next, x: px - (px - view.x) * next / view.scale, y: py - (py - view.y) * next / view.scale };
}

export class Zoom {
    /**
     * @param {HTMLElement} viewport the element the image sits in (clips it)
     * @param {HTMLImageElement} img
     * @param {HTMLElement} fullscreenTarget
     */
    constructor(viewport, img, fullscreenTarget) {
        this.viewport = viewport;
        this.img = img;
        this.target = fullscreenTarget;
        this.scale = 1;
        this.x = 0;
        this.y = 0;
        img.draggable = false;
        viewport.addEventListener("wheel", e => {
            if (img.hidden) return;
            e.preventDefault();
            this.zoomAt(e.deltaY < 0 ? Step : 1 / Step, e.clientX, e.clientY);
        }, { passive: false });
        viewport.addEventListener("dblclick", () => this.reset());
        /** @type {{ x: number, y: number, id: number } | null} */
        let drag = null;
        viewport.addEventListener("pointerdown", e => {
            if (this.scale <= 1 || e.button !== 0) return;
            drag = { x: e.clientX - this.x, y: e.clientY - this.y, id: e.pointerId };
            viewport.setPointerCapture(e.pointerId);
            viewport.classList.add("dragging");
        });
        viewport.addEventListener("pointermove", e => {
            if (!drag || drag.id !== e.pointerId) return;
            this.x = e.clientX - drag.x;
            this.y = e.clientY - drag.y;
            this.apply();
        });
        const end = () => { drag = null; viewport.classList.remove("dragging"); };
        viewport.addEventListener("pointerup", end);
        viewport.addEventListener("pointercancel", end);
        document.addEventListener("fullscreenchange", () => {
            const on = document.fullscreenElement === this.target;
            this.target.querySelectorAll("[data-action=fullscreen], [data-viewer=fullscreen]").forEach(b => b.setAttribute("aria-pressed", String(on)));
        });
    }

    /** @param {number} factor @param {number} [clientX] @param {number} [clientY] */
    zoomAt(factor, clientX, clientY) {
        const r = this.viewport.getBoundingClientRect();
        const px = (clientX ?? r.left + r.width / 2) - (r.left + r.width / 2);
        const py = (clientY ?? r.top + r.height / 2) - (r.top + r.height / 2);
        const view = zoomAbout(this, factor, px, py);
        if (view.scale === this.scale && view.x === this.x && view.y === this.y) return;
        Object.assign(this, { scale: view.scale, x: view.x, y: view.y });
        this.apply();
    }

    zoomIn() { this.zoomAt(Step); }
    zoomOut() { this.zoomAt(1 / Step); }

    reset() {
        this.scale = 1; this.x = 0; this.y = 0;
        this.apply();
    }

    apply() {
        this.img.style.transform = this.scale === 1 ? "" : `translate(${this.x}px, ${this.y}px) scale(${this.scale})`;
        this.viewport.dataset.zoom = this.scale.toFixed(2);
        this.viewport.classList.toggle("zoomed", this.scale > 1);
    }

    async toggleFullscreen() {
        try {
            if (document.fullscreenElement) await document.exitFullscreen();
            else await this.target.requestFullscreen();
        } catch {
            // Refused (no user gesture, or not allowed): the page simply stays as it is.
        }
    }

    /** @param {ViewerAction} name */
    run(name) {
        switch (name) {
            case "zoom-in": this.zoomIn(); break;
            case "zoom-out": this.zoomOut(); break;
            case "zoom-reset": this.reset(); break;
            case "fullscreen": this.toggleFullscreen(); break;
        }
    }
}

/** @typedef {"zoom-in" | "zoom-out" | "zoom-reset" | "fullscreen"} ViewerAction */

/**
 * The viewer's keys on the review and image pages (the labelling page has its own key model, keys.js): + or =
 * zooms in, - out, 0 or * resets, Alt+F toggles full screen, and plain F too where no letter types elsewhere.
 * Never inside a text field, so "-" still types in a class filter.
 * @param {{ key: string, code?: string, altKey?: boolean, ctrlKey?: boolean, metaKey?: boolean }} e
 * @param {{ inField: boolean, letters: boolean }} ctx letters: plain letters are free for the viewer on this page
 * @returns {ViewerAction | null}
 */
export function viewerKey(e, ctx) {
    if (e.ctrlKey || e.metaKey) return null;
    if (e.altKey) return e.code === "KeyF" ? "fullscreen" : null;
    if (ctx.inField) return null;
    switch (e.key) {
        case "+": case "=": return "zoom-in";
        case "-": return "zoom-out";
        case "0": case "*": return "zoom-reset";
        case "f": case "F": return ctx.letters ? "fullscreen" : null;
        default: return null;
    }
}

/**
 * Buttons with data-viewer="zoom-in" (etc.) inside the toolbar run on the zoom.
 * @param {Zoom} zoom
 * @param {ParentNode} toolbar
 */
export function bindButtons(zoom, toolbar) {
    toolbar.querySelectorAll("button[data-viewer]").forEach(b => b.addEventListener("click", () => {
        zoom.run(/** @type {ViewerAction} */ (/** @type {HTMLElement} */ (b).dataset.viewer));
    }));
}
