// @ts-check
// Bulk accept: the list's checkboxes select images with a majority, one button accepts all their majorities in one
// request. One click, no confirmation: an accept is undone by deciding the image again.
import { $ } from "./desk-view.js";

/** @typedef {import("./desk-view.js").Item} Item */
/** @typedef {import("./desk-view.js").Decision} Decision */

export class Bulk {
    /**
     * @param {{ decisions: Map<number, Decision>, accept: (chosen: Item[]) => void, items: Item[] }} deps
     */
    constructor({ decisions, accept, items }) {
        /** @type {Set<number>} */
        this.selected = new Set();
        this.button = /** @type {HTMLButtonElement} */ ($("bulk-accept"));
        this.halted = false;
        const boxes = () => /** @type {HTMLInputElement[]} */ ([...document.querySelectorAll("input[data-bulk]")]);
        this.boxes = boxes;
        boxes().forEach(box => box.addEventListener("change", () => {
            const id = Number(box.dataset.bulk);
            if (box.checked) this.selected.add(id); else this.selected.delete(id);
            this.show();
        }));
        $("bulk-select-all").addEventListener("click", () => {
            boxes().forEach(box => {
                const d = decisions.get(Number(box.dataset.bulk));
                if (!box.disabled && d?.state !== "saved" && d?.state !== "sending" && !box.checked) { box.checked = true; this.selected.add(Number(box.dataset.bulk)); }
            });
            this.show();
        });
        $("bulk-clear").addEventListener("click", () => {
            boxes().forEach(box => { box.checked = false; });
            this.selected.clear();
            this.show();
        });
        this.button.addEventListener("click", () => {
            const chosen = items.filter(i => this.selected.has(i.id) && i.majority);
            if (chosen.length > 0) accept(chosen);
        });
    }

    /** Space on the desk: the current image in or out of the selection; false when it has no majority to accept. @param {number} id */
    toggle(id) {
        const box = /** @type {HTMLInputElement | null} */ (document.querySelector(`input[data-bulk="${id}"]`));
        if (!box || box.disabled) return false;
        box.checked = !box.checked;
        box.dispatchEvent(new Event("change"));
        return true;
    }

    /** @param {Item[]} done leave the selection */
    settle(done) {
        done.forEach(i => this.selected.delete(i.id));
        this.boxes().forEach(box => { box.checked = this.selected.has(Number(box.dataset.bulk)); });
        this.show();
    }

    show() {
        this.button.dataset.count = String(this.selected.size);
        this.button.textContent = `Accept majorities of ${this.selected.size} selected`;
        this.button.disabled = this.selected.size === 0 || this.halted;
    }
}
