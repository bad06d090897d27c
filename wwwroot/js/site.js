// Small progressive enhancements; every page works without script.
document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form[data-confirm]").forEach(form => {
        form.addEventListener("submit", e => { if (!confirm(form.dataset.confirm)) e.preventDefault(); });
    });
});
