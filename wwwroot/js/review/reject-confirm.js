// @ts-check
// The confirmation a single reject waits for: a visible bar on the desk ("Reject image 12? Delete or Enter rejects,
// Esc cancels") with the same two answers as buttons, so keyboard and mouse users both answer it. While it is open
// the desk is outlined (class reject-armed).

export class RejectConfirm {
    /**
     * @param {HTMLElement} desk
     * @param {HTMLElement} bar the bar (hidden while nothing waits)
     * @param {() => void} onConfirm
     */
    constructor(desk, bar, onConfirm) {
        this.desk = desk;
        this.bar = bar;
        this.open = false;
        this.text = /** @type {HTMLElement} */ (bar.querySelector("[data-confirm-text]"));
        bar.querySelector("[data-confirm-yes]")?.addEventListener("click", () => this.confirm());
        bar.querySelector("[data-confirm-no]")?.addEventListener("click", () => this.cancel());
        this.onConfirm = onConfirm;
    }

    /** @param {number} imageId */
    ask(imageId) {
        this.open = true;
        this.desk.classList.add("reject-armed");
        this.bar.dataset.imageId = String(imageId);
        this.text.textContent = `Reject image ${imageId} as a bad image?`;
        this.bar.hidden = false;
    }

    confirm() {
        if (!this.open) return;
        this.cancel();
        this.onConfirm();
    }

    cancel() {
        if (!this.open) return;
        this.open = false;
        this.desk.classList.remove("reject-armed");
        this.bar.hidden = true;
    }
}
