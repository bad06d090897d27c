// Live crawl page: while the crawl runs, fetch the page again every 1.5 s and swap in its live section (counts,
// hosts, images, reasons), so nothing needs a status API of its own.
(() => {
    async function refresh() {
        const live = document.getElementById("crawl-live");
        if (!live || live.dataset.live !== "true") return;
        try {
            const response = await fetch(location.href, { headers: { "Accept": "text/html" } });
            if (response.ok) {
                const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("crawl-live");
                if (fresh) live.replaceWith(document.importNode(fresh, true));
            }
        } catch { /* transient: try again on the next tick */ }
        setTimeout(refresh, 1500);
    }
    document.addEventListener("DOMContentLoaded", () => setTimeout(refresh, 1000));
})();
