// Tables with class "sortable": click a header with data-sort ("num" or "text") to sort by that column; again to reverse.
// Numeric cells sort by their data-value (the unrounded figure) when they have one.
document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("table.sortable").forEach(table => {
        const headers = [...table.tHead.rows[0].cells];
        headers.forEach((th, column) => {
            const kind = th.dataset.sort;
            if (!kind) return;
            th.classList.add("sortable-header");
            th.tabIndex = 0;
            const sort = () => {
                const ascending = th.getAttribute("aria-sort") !== "ascending";
                headers.forEach(h => h.removeAttribute("aria-sort"));
                th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
                const body = table.tBodies[0];
                const key = row => {
                    const cell = row.cells[column];
                    const raw = cell.dataset.value ?? cell.textContent.trim();
                    if (kind !== "num") return raw.toLowerCase();
                    const n = parseFloat(String(raw).replace(/[^0-9eE.+-]/g, ""));
                    return Number.isNaN(n) ? -Infinity : n;
                };
                const rows = [...body.rows].map(r => [key(r), r]);
                rows.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0) * (ascending ? 1 : -1));
                rows.forEach(([, r]) => body.appendChild(r));
            };
            th.addEventListener("click", sort);
            th.addEventListener("keydown", e => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
        });
    });
});
