// @ts-check
// The top bar's Menu button (under the CSS breakpoint) and the Admin drop-down: open, close on Escape or a click
// elsewhere. Without this module the bar wraps and the drop-down is a plain <details>, so every link stays reachable.

const bar = document.getElementById("topbar");
const toggle = /** @type {HTMLButtonElement | null} */ (document.getElementById("menu-toggle"));
const admin = /** @type {HTMLDetailsElement | null} */ (document.getElementById("admin-menu"));

/** @param {boolean} open */
function setMenu(open) {
    if (!bar || !toggle) return;
    bar.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", String(open));
}

if (bar && toggle) {
    bar.classList.add("collapsible");
    toggle.hidden = false;
    toggle.addEventListener("click", () => setMenu(!bar.classList.contains("open")));
}

document.addEventListener("keydown", e => {
    if (e.key !== "Escape") return;
    if (admin?.open) {
        admin.open = false;
        admin.querySelector("summary")?.focus();
    } else if (bar?.classList.contains("open")) {
        setMenu(false);
        toggle?.focus();
    }
});

document.addEventListener("click", e => {
    const target = /** @type {Node | null} */ (e.target);
    if (admin?.open && target && !admin.contains(target)) admin.open = false;
});
