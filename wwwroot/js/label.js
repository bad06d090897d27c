// The labelling pages (Label/Work and Label/Grid): keyboard first, nothing lost.
// Every action gets a client-generated id and goes through one serial queue: a failed send is retried with the
// same id (the server answers a repeat with the stored result, never a second event), and an undo always follows the
// actions before it. The next images are fetched and decoded ahead, so the page never waits for the server.
(() => {
    const bench = document.getElementById("bench");
    const configElement = document.getElementById("label-config");
    if (!bench || !configElement) return;
    // An attribute, not an inline script: the Content-Security-Policy allows no inline script at all.
    const config = JSON.parse(configElement.dataset.config);
    const api = `/api/label/${config.datasetId}`;
    const token = document.querySelector("input[name=__RequestVerificationToken]")?.value ?? "";
    const $ = id => document.getElementById(id);
    const filter = $("class-filter");
    const list = $("class-list");
    const statusLine = $("bench-status");
    const errorLine = $("bench-error");

    const newId = () => {
        if (window.crypto?.randomUUID) return crypto.randomUUID();
        const b = crypto.getRandomValues(new Uint8Array(16));
        return Array.from(b, x => x.toString(16).padStart(2, "0")).join("");
    };

    // ---- the send queue -------------------------------------------------------------------------------------------
    let chain = Promise.resolve();
    let done = 0, saved = 0, pending = 0;
    // A refused action (signed out, a class deleted meanwhile, ...) stops the page: the actions after it would be
    // built on one that was not saved. The unsaved images stay leased to this labeller and come back on reload.
    let halted = false;
    function halt(message) {
        halted = true;
        bench.classList.add("halted");
        errorLine.classList.add("sticky");
        errorLine.replaceChildren(`Not saved: ${message}. `);
        const reload = document.createElement("a");
        reload.href = location.pathname;
        reload.textContent = "Reload to go on";
        errorLine.append(reload, " (the images not saved come back first).");
    }
    const transient = text => { if (!halted) errorLine.textContent = text; };
    const pendingIds = new Set();
    const showStatus = () => {
        statusLine.dataset.done = done;
        statusLine.dataset.saved = saved;
        statusLine.dataset.pending = pending;
        statusLine.textContent = `Done ${done} · saved ${saved}` + (pending ? ` · sending ${pending}` : "");
    };
    async function post(path, body) {
        for (let attempt = 0; ; attempt++) {
            try {
                const response = await fetch(`${api}/${path}`, {
                    method: "POST",
                    headers: { "Content-Type": "application/json", "RequestVerificationToken": token },
                    body: JSON.stringify(body),
                });
                if (response.ok) { transient(""); return await response.json(); }
                const problem = await response.json().catch(() => ({}));
                if (response.status < 500) throw Object.assign(new Error(problem.detail || `refused (${response.status})`), { final: true });
            } catch (e) {
                if (e.final) throw e;
            }
            // Network trouble or a server error: same id again, after a growing pause.
            transient("Connection trouble; retrying…");
            await new Promise(r => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
        }
    }
    // body may be a function, called when the action's turn comes (an undo names the submission it takes back,
    // known only once that submission is answered).
    function enqueue(path, body, imageIds, onDone, counted = 0) {
        pending++;
        imageIds.forEach(id => pendingIds.add(id));
        showStatus();
        chain = chain.then(async () => {
            if (halted) throw Object.assign(new Error("an earlier action was refused"), { skipped: true });
            const payload = typeof body === "function" ? body() : body;
            const result = await post(path, payload);
            if (path === "submit") saved += payload.items.filter(i => i.action !== "skip").length;
            onDone?.(result);
        }).catch(e => {
            done -= counted;
            if (!e.skipped) halt(e.message);
        }).finally(() => { pending--; imageIds.forEach(id => pendingIds.delete(id)); showStatus(); });
    }

    // ---- the class picker -----------------------------------------------------------------------------------------
    let visible = config.classes;
    const digitsInNames = config.classes.some(c => /\d/.test(c.name));
    function renderClasses() {
        const term = filter.value.trim().toLowerCase();
        visible = config.classes.filter(c => !term || c.name.toLowerCase().includes(term));
        // The exact name first, then names that start with the term: "ant" picks ant, not elephant.
        const rank = c => { const n = c.name.toLowerCase(); return n === term ? 0 : n.startsWith(term) ? 1 : 2; };
        visible.sort((a, b) => rank(a) - rank(b));
        list.replaceChildren(...visible.slice(0, 60).map((c, i) => {
            const li = document.createElement("li");
            li.dataset.classId = c.id;
            li.innerHTML = `<kbd>${i < 9 ? i + 1 : "&nbsp;"}</kbd> <span></span>${c.noise ? ' <span class="badge">noise</span>' : ""}`;
            li.querySelector("span").textContent = c.name;
            li.addEventListener("click", () => pick(c.id));
            return li;
        }));
        if (visible.length > 60) {
            const li = document.createElement("li");
            li.className = "hint";
            li.textContent = `… ${visible.length - 60} more: type to filter`;
            list.append(li);
        }
    }
    filter.addEventListener("input", renderClasses);
    const clearFilter = () => { filter.value = ""; renderClasses(); filter.blur(); };

    // Keys shared by both pages; each page adds its own.
    const reserved = new Set(["n", "x", "s", "u", "e", "a"]);
    function handleKey(e, actions) {
        if (e.altKey || e.metaKey) return;
        const inFilter = document.activeElement === filter;
        if (e.key === "Escape") { if (filter.value || inFilter) { clearFilter(); e.preventDefault(); return; } actions.escape?.(); return; }
        if (halted) return;
        // Digits pick the n-th listed class, unless class names hold digits: then, in the filter, they are typed.
        if (/^[1-9]$/.test(e.key) && !e.ctrlKey && !(inFilter && digitsInNames)) {
            const c = visible[Number(e.key) - 1];
            if (c) { e.preventDefault(); pick(c.id); clearFilter(); }
            return;
        }
        if (e.key === "Enter") {
            e.preventDefault();
            if (filter.value.trim() && visible.length) { const c = visible[0]; clearFilter(); pick(c.id); }
            else actions.enter?.();
            return;
        }
        if (inFilter) return;
        if (e.key === "/") { e.preventDefault(); filter.focus(); return; }
        if (e.ctrlKey && e.key.toLowerCase() === "z") { e.preventDefault(); actions.undo(); return; }
        if (e.ctrlKey) { actions.ctrl?.(e); return; }
        const key = e.key.toLowerCase();
        if (key === "backspace") { e.preventDefault(); actions.undo(); return; }
        if (reserved.has(key) && actions[key]) { e.preventDefault(); actions[key](); return; }
        // Any other letter starts the filter.
        if (/^[a-z]$/i.test(e.key) && !reserved.has(key)) { e.preventDefault(); filter.focus(); filter.value += e.key; renderClasses(); }
    }
    let pick = () => {};
    bench.addEventListener("click", e => {
        const button = e.target.closest("button[data-action]");
        if (button) currentActions[button.dataset.action]?.();
    });
    let currentActions = {};
    document.addEventListener("keydown", e => handleKey(e, currentActions));

    const fetchImages = async url => {
        const response = await fetch(url, { headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error(`could not load images (${response.status})`);
        return (await response.json()).images;
    };
    const preload = image => { const img = new Image(); img.src = image.url; image.preloaded = img; };

    // ---- one image at a time --------------------------------------------------------------------------------------
    function single() {
        const img = $("current-image");
        const hint = $("source-hint");
        const sourceText = $("source-text");
        const suggestionsBox = $("suggestions");
        let current = null;
        const queue = [];
        const history = [];   // the images acted on, newest last: undo puts them back in front
        let fetching = null, exhausted = false;

        const wanted = () => [current?.id, ...queue.map(i => i.id), ...pendingIds].filter(Boolean);
        async function refill() {
            if (fetching || exhausted || queue.length >= 3) return fetching;
            fetching = fetchImages(`${api}/next?count=${3 - queue.length}&exclude=${wanted().join(",")}`)
                .then(images => {
                    images.filter(i => !wanted().includes(i.id)).forEach(i => { preload(i); queue.push(i); });
                    if (images.length === 0) {
                        // Others may hold the last images for a while: ask again later rather than never.
                        exhausted = true;
                        setTimeout(() => { exhausted = false; if (!current && !halted) advance(); }, 30000);
                    }
                })
                .catch(e => { transient(e.message); })
                .finally(() => { fetching = null; });
            return fetching;
        }
        function show(image) {
            current = image;
            $("stage-loading").hidden = true;
            $("stage-empty").hidden = !!image;
            img.hidden = !image;
            suggestionsBox.replaceChildren();
            hint.textContent = "";
            sourceText.replaceChildren();
            sourceText.hidden = true;
            if (!image) { img.removeAttribute("src"); delete img.dataset.imageId; return; }
            // What the page said about the image (crawled images): often the best hint to its class.
            if (image.alt || image.pageTitle) {
                if (image.alt) { const q = document.createElement("q"); q.className = "alt"; q.textContent = image.alt; sourceText.append(q); }
                if (image.pageTitle) { const t = document.createElement("span"); t.className = "page-title"; t.textContent = `${image.alt ? " on " : "page: "}${image.pageTitle}`; sourceText.append(t); }
                sourceText.hidden = false;
            }
            img.src = image.url;
            img.dataset.imageId = image.id;
            img.alt = `image ${image.id}`;
            hint.textContent = `${image.origin} · ${image.width}×${image.height}`;
            image.suggestions.forEach((s, i) => {
                const b = document.createElement("button");
                b.type = "button";
                b.className = "suggestion" + (i === 0 ? " first" : "");
                b.dataset.classId = s.classId;
                b.innerHTML = `${i === 0 ? "<kbd>Enter</kbd> " : ""}<span></span> <small>${Math.round(s.confidence * 100)}%</small>`;
                b.querySelector("span").textContent = s.name;
                b.addEventListener("click", () => pick(s.classId));
                suggestionsBox.append(b);
            });
            if (image.suggestions.length === 0) suggestionsBox.innerHTML = '<span class="hint">No suggestions yet (needs embeddings and labelled neighbours).</span>';
        }
        async function advance() {
            if (!queue.length) { await refill(); if (!queue.length) await refill(); }
            show(queue.shift() ?? null);
            refill();
        }
        function act(action, classId) {
            if (!current || halted) return;
            const image = current;
            // Nothing is current until the next image is shown: a key pressed while it loads must not act on this one again.
            current = null;
            const counted = action !== "skip" ? 1 : 0;
            const entry = { image, counted, submissionId: null };
            enqueue("submit", {
                clientId: newId(), source: "single",
                items: [{ imageId: image.id, action, classId: classId ?? null, suggestions: image.suggestions }],
            }, [image.id], result => { entry.submissionId = result.submissionId; }, counted);
            done += counted;
            history.push(entry);
            showStatus();
            advance();
        }
        pick = classId => act("label", classId);
        currentActions = {
            noise: () => act("noise"),
            reject: () => act("reject"),
            skip: () => act("skip"),
            n: () => act("noise"), x: () => act("reject"), s: () => act("skip"),
            a: () => current?.suggestions[0] && pick(current.suggestions[0].classId),
            enter: () => current?.suggestions[0] && pick(current.suggestions[0].classId),
            undo: () => {
                if (halted) return;
                const last = history.pop();
                if (!last) return;
                done -= last.counted;
                // Names the submission it takes back: if another tab labelled since, the server refuses instead of
                // undoing that tab's label.
                enqueue("undo", () => ({ clientId: newId(), submissionId: last.submissionId }), [last.image.id]);
                // The undone image comes back now; the one on screen waits in front of the queue.
                if (current) queue.unshift(current);
                exhausted = false;
                show(last.image);
            },
            u: () => currentActions.undo(),
        };
        renderClasses();
        advance();
    }

    // ---- the grid -------------------------------------------------------------------------------------------------
    function grid() {
        const tiles = $("tiles");
        const selectedLine = $("grid-selected");
        let items = [];          // images on the grid, in order
        let focus = 0, anchor = null;
        const selected = new Set();
        const history = [];      // [{ images }] per assignment, for undo

        const tileOf = id => tiles.querySelector(`[data-image-id="${id}"]`);
        function render() {
            $("stage-loading").hidden = true;
            $("stage-empty").hidden = items.length > 0;
            tiles.replaceChildren(...items.map((image, i) => {
                const tile = document.createElement("div");
                tile.className = "tile" + (selected.has(image.id) ? " selected" : "") + (i === focus ? " focused" : "");
                tile.dataset.imageId = image.id;
                tile.setAttribute("role", "option");
                tile.setAttribute("aria-selected", selected.has(image.id));
                tile.innerHTML = `<img loading="lazy" alt=""><span class="origin"></span>${image.suggestions[0] ? '<span class="sugg"></span>' : ""}`;
                tile.querySelector("img").src = image.thumb;
                tile.querySelector("img").alt = `image ${image.id}`;
                tile.querySelector(".origin").textContent = image.alt || image.origin;
                tile.title = [image.alt, image.pageTitle, image.origin].filter(Boolean).join(" · ");
                if (image.suggestions[0]) tile.querySelector(".sugg").textContent = `${image.suggestions[0].name} ${Math.round(image.suggestions[0].confidence * 100)}%`;
                tile.addEventListener("click", e => clickTile(i, e));
                return tile;
            }));
            selectedLine.dataset.count = selected.size;
            selectedLine.textContent = `${selected.size} selected of ${items.length}`;
        }
        function clickTile(i, e) {
            const id = items[i].id;
            if (e.shiftKey && anchor !== null) {
                const [from, to] = [Math.min(anchor, i), Math.max(anchor, i)];
                for (let k = from; k <= to; k++) selected.add(items[k].id);
            } else if (selected.has(id)) selected.delete(id); else selected.add(id);
            anchor = i;
            focus = i;
            render();
        }
        const columns = () => {
            const first = tiles.children[0];
            if (!first) return 1;
            const top = first.offsetTop;
            let n = 0;
            for (const t of tiles.children) { if (t.offsetTop !== top) break; n++; }
            return Math.max(1, n);
        };
        function move(delta, extend) {
            if (!items.length) return;
            focus = Math.max(0, Math.min(items.length - 1, focus + delta));
            if (extend) selected.add(items[focus].id);
            render();
            tileOf(items[focus].id)?.scrollIntoView({ block: "nearest" });
        }
        const excludeNow = () => [...items.map(i => i.id), ...pendingIds];
        async function load(url, replace) {
            try {
                const images = await fetchImages(url);
                const known = new Set(excludeNow());
                const fresh = images.filter(i => !known.has(i.id));
                items = replace ? [...fresh, ...items.filter(i => !fresh.some(f => f.id === i.id))] : [...items, ...fresh];
                focus = 0;
                render();
            } catch (e) { transient(e.message); }
        }
        const loadMore = () => load(`${api}/next?count=${config.count}&exclude=${excludeNow().join(",")}`, false);
        function assign(action, classId) {
            if (halted) return;
            const chosen = items.filter(i => selected.has(i.id));
            if (!chosen.length) { transient("Select images first (click, Shift+click, arrows + Space, Ctrl+A)."); return; }
            transient("");
            const entry = { images: chosen, submissionId: null };
            enqueue("submit", {
                clientId: newId(), source: "grid",
                items: chosen.map(i => ({ imageId: i.id, action, classId: classId ?? null, suggestions: i.suggestions })),
            }, chosen.map(i => i.id), result => { entry.submissionId = result.submissionId; }, chosen.length);
            done += chosen.length;
            history.push(entry);
            items = items.filter(i => !selected.has(i.id));
            selected.clear();
            focus = 0;
            anchor = null;
            showStatus();
            render();
            if (items.length < 10) loadMore();
        }
        pick = classId => assign("label", classId);
        currentActions = {
            noise: () => assign("noise"), reject: () => assign("reject"),
            n: () => assign("noise"), x: () => assign("reject"),
            undo: () => {
                if (halted) return;
                const last = history.pop();
                if (!last) return;
                done -= last.images.length;
                enqueue("undo", () => ({ clientId: newId(), submissionId: last.submissionId }), last.images.map(i => i.id));
                items = [...last.images, ...items];
                render();
            },
            u: () => currentActions.undo(),
            e: () => currentActions.expand(),
            expand: () => {
                const seed = items[focus];
                if (seed) load(`${api}/expand?seed=${seed.id}&count=${config.count}`, true);
            },
            more: () => loadMore(),
            escape: () => { selected.clear(); render(); },
            ctrl: e => { if (e.key.toLowerCase() === "a") { e.preventDefault(); items.forEach(i => selected.add(i.id)); render(); } },
        };
        tiles.addEventListener("keydown", e => {
            const keys = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns(), ArrowUp: -columns() };
            if (e.key in keys) { e.preventDefault(); e.stopPropagation(); move(keys[e.key], e.shiftKey); }
            else if (e.key === " ") {
                e.preventDefault(); e.stopPropagation();
                const id = items[focus]?.id;
                if (id) { if (selected.has(id)) selected.delete(id); else selected.add(id); anchor = focus; render(); }
            }
        });
        renderClasses();
        if (config.seed) load(`${api}/expand?seed=${config.seed}&count=${config.count}`, true); else loadMore();
        tiles.focus();
    }

    if (bench.dataset.mode === "grid") grid(); else single();
})();
