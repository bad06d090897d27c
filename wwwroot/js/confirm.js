// @ts-check
// Submit buttons with data-confirm ask before they submit (a form-level data-confirm is handled in site.js).
// Without script the server-side checks still stand (deleting needs "I understand" ticked).

document.addEventListener("click", e => {
    const target = e.target instanceof Element ? e.target.closest("button[data-confirm]") : null;
    if (!(target instanceof HTMLButtonElement) || target.closest("form[data-confirm]")) return;
    if (!confirm(target.dataset.confirm ?? "Are you sure?")) e.preventDefault();
});
