// @ts-check
// A page of thumbnails: select many, assign one class. Tiles are kept per image id: a keystroke or an assignment
// updates, inserts or removes only the tiles that changed, never the whole grid.

/** @typedef {import("./main.js").Bench} Bench */
/** @typedef {import("./main.js").Image} Image */
/** @typedef {import("./main.js").Page} Page */

const ActionText = { noise: "noise", reject: "rejected" };

/** @param {Bench} bench @returns {Page} */
export function startGrid(bench) {
    const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
    const tiles = $("tiles");
    const selectedLine = $("grid-selected");
    /** @type {Image[]} images on the grid, in order */
    let items = [];
    let focus = 0;
    /** @type {number | null} */
    let anchor = null;
    /** @type {Set<number>} */
    const selected = new Set();
    /** @type {Map<number, HTMLElement>} */
    const tileOf = new Map();

    /** @param {Image} image */
    function tile(image) {
        const t = document.createElement("div");
        t.className = "tile";
        t.dataset.imageId = String(image.id);
        t.setAttribute("role", "option");
        const thumb = document.createElement("img");
        thumb.src = image.thumb;
        thumb.alt = `image ${image.id}`;
        thumb.loading = "lazy";
        const sugg = document.createElement("span");
        sugg.className = "sugg";
        const origin = document.createElement("span");
        origin.className = "origin";
        origin.textContent = image.alt || image.origin;
        t.title = [image.alt, image.pageTitle, image.origin].filter(Boolean).join(" · ");
        const s = image.suggestions[0];
        t.append(thumb, origin);
        if (s) { sugg.textContent = `${s.name} ${Math.round(s.confidence * 100)}%`; t.append(sugg); }
        t.addEventListener("click", e => clickTile(image.id, e));
        return t;
    }

    function render() {
        $("stage-loading").hidden = true;
        $("stage-empty").hidden = items.length > 0;
        const keep = new Set(items.map(i => i.id));
        for (const [id, t] of tileOf) if (!keep.has(id)) { t.remove(); tileOf.delete(id); }
        items.forEach((image, i) => {
            let t = tileOf.get(image.id);
            if (!t) { t = tile(image); tileOf.set(image.id, t); }
            t.classList.toggle("selected", selected.has(image.id));
            t.classList.toggle("focused", i === focus);
            t.setAttribute("aria-selected", String(selected.has(image.id)));
            if (tiles.children[i] !== t) tiles.insertBefore(t, tiles.children[i] ?? null);
        });
        selectedLine.dataset.count = String(selected.size);
        selectedLine.textContent = `${selected.size} selected of ${items.length}`;
    }

    /** @param {number} id @param {MouseEvent} e */
    function clickTile(id, e) {
        const i = items.findIndex(x => x.id === id);
        if (i < 0) return;
        if (e.shiftKey && anchor !== null) {
            const [from, to] = [Math.min(anchor, i), Math.max(anchor, i)];
            for (let k = from; k <= to; k++) selected.add(items[k].id);
        } else if (selected.has(id)) selected.delete(id); else selected.add(id);
        anchor = i;
        focus = i;
        render();
    }

    const columns = () => {
        const first = /** @type {HTMLElement | undefined} */ (tiles.children[0]);
        if (!first) return 1;
        let n = 0;
        for (const t of /** @type {HTMLCollectionOf<HTMLElement>} */ (tiles.children)) { if (t.offsetTop !== first.offsetTop) break; n++; }
        return Math.max(1, n);
    };
    /** @param {number} delta @param {boolean} extend */
    function move(delta, extend) {
        if (!items.length) return;
        focus = Math.max(0, Math.min(items.length - 1, focus + delta));
        if (extend) selected.add(items[focus].id);
        render();
        tileOf.get(items[focus].id)?.scrollIntoView({ block: "nearest" });
    }
    function toggleFocused() {
        const id = items[focus]?.id;
        if (id === undefined) return;
        if (selected.has(id)) selected.delete(id); else selected.add(id);
        anchor = focus;
        render();
    }

    const excludeNow = () => [...items.map(i => i.id), ...bench.queue.pendingImageIds()];
    /** @param {string} url @param {boolean} replace */
    async function load(url, replace) {
        try {
            const images = await bench.fetchImages(url);
            const known = new Set(excludeNow());
            const fresh = images.filter(i => !known.has(i.id));
            const freshIds = new Set(fresh.map(f => f.id));
            items = replace ? [...fresh, ...items.filter(i => !freshIds.has(i.id))] : [...items, ...fresh];
            focus = 0;
            render();
        } catch (e) { bench.report(e); }
    }
    const loadMore = () => load(`${bench.api}/next?count=${bench.config.count}&exclude=${excludeNow().join(",")}`, false);

    /** @param {"label" | "noise" | "reject"} action @param {number} [classId] */
    function assign(action, classId) {
        if (bench.queue.halted) return;
        const chosen = items.filter(i => selected.has(i.id));
        if (!chosen.length) { bench.transient("Select images first (click, Shift+click, arrows + Space, Ctrl+A)."); return; }
        bench.transient("");
        const what = action === "label" ? bench.className(/** @type {number} */ (classId)) : ActionText[action];
        const text = chosen.length === 1 ? `image ${chosen[0].id} → ${what}` : `${chosen.length} images → ${what}`;
        bench.submit(chosen.map(i => ({ imageId: i.id, action, classId: classId ?? null, suggestions: i.suggestions })),
            text, chosen.length, chosen.map(i => i.id), chosen);
        items = items.filter(i => !selected.has(i.id));
        selected.clear();
        focus = 0;
        anchor = null;
        render();
        if (items.length < 10) loadMore();
    }

    tiles.addEventListener("keydown", e => {
        /** @type {Record<string, number>} */
        const keys = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns(), ArrowUp: -columns() };
        if (e.key in keys && !e.altKey && !e.ctrlKey) { e.preventDefault(); e.stopPropagation(); move(keys[e.key], e.shiftKey); }
        else if (e.key === " " && !e.altKey && !e.ctrlKey) { e.preventDefault(); e.stopPropagation(); toggleFocused(); }
    });

    if (bench.config.seed) load(`${bench.api}/expand?seed=${bench.config.seed}&count=${bench.config.count}`, true); else loadMore();
    tiles.focus();
    return {
        pick: classId => assign("label", classId),
        action: name => {
            switch (name) {
                case "noise": case "reject": assign(name); return true;
                case "expand": { const seed = items[focus]; if (seed) load(`${bench.api}/expand?seed=${seed.id}&count=${bench.config.count}`, true); return true; }
                case "more": loadMore(); return true;
                case "toggle": toggleFocused(); return true;
                case "select-all": items.forEach(i => selected.add(i.id)); render(); return true;
                case "escape": selected.clear(); render(); return true;
                default: return false;
            }
        },
        putBack: entry => {
            const back = /** @type {Image[]} */ (entry.payload);
            const ids = new Set(back.map(i => i.id));
            items = [...back, ...items.filter(i => !ids.has(i.id))];
            render();
        },
    };
}
