// @ts-check
// Zoom, pan and full screen for the one-by-one stage. The image keeps its fitted layout; a CSS transform scales
// and moves it, so zooming never reflows the page. Wheel over the image (towards the cursor), + and - keys or the
// buttons zoom; dragging pans; a double click or * resets; full screen takes the whole bench (the class list stays).

const Min = 1, Max = 8, Step = 1.25;

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
            document.querySelectorAll("[data-action=fullscreen]").forEach(b => b.setAttribute("aria-pressed", String(document.fullscreenElement === this.target)));
        });
    }

    /** @param {number} factor @param {number} [clientX] @param {number} [clientY] */
    zoomAt(factor, clientX, clientY) {
        const next = Math.min(Max, Math.max(Min, this.scale * factor));
        if (next === this.scale) return;
        // Keep the point under the cursor where it is: p' = p - (p - t) * next / scale, p relative to the centre.
        const r = this.viewport.getBoundingClientRect();
        const px = (clientX ?? r.left + r.width / 2) - (r.left + r.width / 2);
        const py = (clientY ?? r.top + r.height / 2) - (r.top + r.height / 2);
        this.x = px - (px - this.x) * next / this.scale;
        this.y = py - (py - this.y) * next / this.scale;
        this.scale = next;
        if (this.scale === 1) { this.x = 0; this.y = 0; }
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
}
