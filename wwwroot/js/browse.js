// @ts-check
// The data browser: "select all on this page" and a count of the selection. The page works without it.

const form = /** @type {HTMLFormElement | null} */ (document.getElementById("bulk"));
const all = /** @type {HTMLInputElement | null} */ (document.querySelector("[data-select-all]"));
const count = document.getElementById("selected-count");

/** @returns {HTMLInputElement[]} */
const boxes = () => form ? [...form.querySelectorAll("input[data-tile]")].map(b => /** @type {HTMLInputElement} */ (b)) : [];

function update() {
    const list = boxes();
    const selected = list.filter(b => b.checked).length;
    if (count) count.textContent = selected ? `${selected} selected` : "";
    if (all) {
        all.checked = selected > 0 && selected === list.length;
        all.indeterminate = selected > 0 && selected < list.length;
    }
    for (const b of list) b.closest(".browse-tile")?.classList.toggle("selected", b.checked);
    // The delete confirmation states how many images go.
    const del = /** @type {HTMLButtonElement | null} */ (document.getElementById("delete"));
    if (del?.dataset.confirmTemplate) del.dataset.confirm = del.dataset.confirmTemplate.replace("{n}", String(selected));
}

all?.addEventListener("change", () => {
    for (const b of boxes()) b.checked = all.checked;
    update();
});
form?.addEventListener("change", e => { if (e.target instanceof HTMLInputElement && e.target.dataset.tile !== undefined) update(); });
update();
