// Small progressive enhancements; every page works without script.
document.documentElement.classList.add("js");
// Destructive actions (data-confirm on the form or its button): a dialog, and nothing happens when it is dismissed.
// Without script the form's required "sure" checkbox (label.confirm-check) asks instead; with it the box is hidden
// and ticked once the dialog is accepted. Delegated, so forms swapped in by live pages (crawls.js) are covered too.
// On click, not submit: the click comes before the browser checks the required box.
document.addEventListener("click", e => {
    const button = e.target instanceof Element ? e.target.closest("button, input[type=submit]") : null;
    const form = button?.form;
    if (!form || (button.type && button.type !== "submit")) return;
    const message = button.dataset.confirm ?? (button.hasAttribute("formnovalidate") ? undefined : form.dataset.confirm);
    if (!message) return;
    if (!confirm(message)) {
        e.preventDefault();
        return;
    }
    form.querySelectorAll(".confirm-check input[type=checkbox]").forEach(box => { box.checked = true; });
});
document.addEventListener("DOMContentLoaded", () => {
    // A select that reloads the page for its value (the evaluation form's dataset: its splits come with the page).
    document.querySelectorAll("select[data-navigate]").forEach(select => {
        select.addEventListener("change", () => { location.search = select.dataset.navigate.replace(/^\?/, "") + encodeURIComponent(select.value); });
    });
    // A select whose change reloads its form as a GET (the search page's dataset: its classes come with the page).
    document.querySelectorAll("select[data-reload-as-get]").forEach(select => {
        select.addEventListener("change", () => {
            const form = select.form;
            if (!form) return;
            form.method = "get";
            form.removeAttribute("enctype");
            form.submit();
        });
    });
    // Review queue: the "other class" select only takes part once chosen, so a quick button's class is the one sent.
    document.querySelectorAll("form.decide").forEach(form => {
        const select = form.querySelector("[data-other]");
        const set = form.querySelector("[data-other-submit]");
        if (!select || !set) return;
        select.disabled = false;
        select.removeAttribute("name");
        select.addEventListener("change", () => { set.disabled = !select.value; });
        set.addEventListener("click", () => { select.name = "Input.ClassId"; });
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
// Captions cut off with an ellipsis show their full text as a tooltip, on any page and in content rendered later
// (server-rendered captions carry a title already; this covers the rest).
document.addEventListener("mouseover", e => {
    const el = e.target instanceof HTMLElement ? e.target : null;
    if (!el || el.title || el.scrollWidth <= el.clientWidth) return;
    if (getComputedStyle(el).textOverflow !== "ellipsis") return;
    el.title = el.textContent.trim();
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
