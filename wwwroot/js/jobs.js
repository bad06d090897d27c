// Live job progress: polls /api/jobs/status for the runs on the page that are not finished yet.
(() => {
    const fmt = n => (n ?? 0).toLocaleString("en-US");
    function pending() {
        return [...document.querySelectorAll(".progress[data-job-id]")]
            .filter(p => p.dataset.finished !== "true").map(p => p.dataset.jobId);
    }
    // Parts of a page rendered by the server that the status API does not carry (start and finish times, the item
    // errors): once a run finishes while the page is open, they are fetched again so the page does not show a
    // succeeded run that never "finished".
    async function refreshFinishedParts() {
        const stale = [...document.querySelectorAll("[data-refresh-when-finished][id]")];
        if (stale.length === 0) return;
        try {
            const response = await fetch(location.href, { headers: { "Accept": "text/html" } });
            if (!response.ok) return;
            const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
            stale.forEach(el => {
                const replacement = fresh.getElementById(el.id);
                if (replacement) el.replaceWith(document.importNode(replacement, true));
            });
        } catch { /* the live parts are right already; a manual reload shows the rest */ }
    }
    function render(s) {
        let justFinished = false;
        document.querySelectorAll(`.progress[data-job-id="${s.id}"]`).forEach(p => {
            justFinished ||= s.finished && p.dataset.finished !== "true";
            const pct = Math.round((s.fraction ?? 0) * 100);
            const bar = p.querySelector(".bar");
            bar.style.width = pct + "%";
            bar.className = "bar state-" + s.state.toLowerCase();
            p.querySelector(".pct").textContent = pct + "%";
            p.querySelector(".state").textContent = s.state;
            p.querySelector(".counts").textContent = `${fmt(s.processed)}/${s.total == null ? "?" : fmt(s.total)}`;
            p.dataset.finished = s.finished ? "true" : "false";
        });
        const set = (field, value) => document.querySelectorAll(`[data-field="${field}"][data-job-id="${s.id}"]`)
            .forEach(el => el.textContent = value);
        set("succeeded", fmt(s.succeeded));
        set("duplicates", fmt(s.duplicates));
        set("failed", fmt(s.failed));
        set("message", s.message ?? "");
        set("error", s.error ?? "");
        set("rate", s.itemsPerSecond == null ? "—" : `${s.itemsPerSecond.toFixed(1)} items/s` +
            (s.total && s.itemsPerSecond > 0 && !s.finished ? `, ETA ${Math.ceil((s.total - s.processed) / s.itemsPerSecond)} s` : ""));
        if (s.finished) {
            document.getElementById("cancel-form")?.remove();
        }
        if (justFinished) refreshFinishedParts();
    }
    async function poll() {
        const ids = pending();
        if (ids.length === 0) return;
        try {
            const response = await fetch(`/api/jobs/status?ids=${ids.join(",")}`, { headers: { "Accept": "application/json" } });
            if (response.ok) (await response.json()).forEach(render);
        } catch { /* transient: try again on the next tick */ }
        setTimeout(poll, 1000);
    }
    document.addEventListener("DOMContentLoaded", () => setTimeout(poll, 500));
})();
