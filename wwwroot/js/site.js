// Small progressive enhancements; every page works without script.
document.addEventListener("DOMContentLoaded", () => {
    // A select that reloads the page for its value (the evaluation form's dataset: its splits come with the page).
    document.querySelectorAll("select[data-navigate]").forEach(select => {
        select.addEventListener("change", () => { location.search = select.dataset.navigate.replace(/^\?/, "") + encodeURIComponent(select.value); });
    });
    document.querySelectorAll("form[data-confirm]").forEach(form => {
        form.addEventListener("submit", e => { if (!confirm(form.dataset.confirm)) e.preventDefault(); });
    });
    // Slow submits (a model registration takes a second or two): say so and stop a second click.
    document.querySelectorAll("form[data-busy]").forEach(form => {
        form.addEventListener("submit", e => {
            const button = e.submitter;
            if (!button) return;
            // After this tick: the submission has already taken the button's formaction and value.
            setTimeout(() => {
                button.dataset.label = button.textContent;
                button.textContent = form.dataset.busy;
                button.disabled = true;
            });
        });
    });
});
// Back/forward cache: a page left mid-submit comes back with its buttons usable.
window.addEventListener("pageshow", e => {
    if (!e.persisted) return;
    document.querySelectorAll("form[data-busy] button[data-label]").forEach(b => {
        b.textContent = b.dataset.label;
        b.disabled = false;
        delete b.dataset.label;
    });
});
