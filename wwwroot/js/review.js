// @ts-check
// The review queue (Review/Queue), keyboard first and without a reload per image: one image at a time with its votes
// and nearest images; Enter accepts the majority, 1-9 pick a listed class, Delete twice rejects, Backspace goes back.
// Letters only ever type into the class filter. Decisions go through one serial queue to /api/review (each with its
// own client id, retried with the same id on network trouble, so a retry never decides twice). Without script the
// page's forms do the same with a reload each.

/** @typedef {{ id: number, name: string }} ClassRef */
/** @typedef {{ id: number, name: string, basis: string }} Majority */
/** @typedef {{ id: number, version: number | null, origin: string, note: string | null, votes: { user: string, label: string }[], quick: ClassRef[], majority: Majority | null }} Item */
/** @typedef {{ datasetId: number, queue: string, page: number, pageCount: number, total: number, hasModel: boolean, classes: ClassRef[], items: Item[] }} Config */
/** @typedef {{ imageId: number, thumb: string, score: number, label: string | null, source: string }} Neighbour */
/** @typedef {{ state: "open" | "sending" | "saved" | "conflict", label?: string, error?: string }} Decision */

const desk = document.getElementById("desk");
const configElement = document.getElementById("review-config");
if (desk && configElement?.dataset.config) {
    start(/** @type {Config} */ (JSON.parse(configElement.dataset.config)), desk);
}

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
function $(id) {
    const element = document.getElementById(id);
    if (!element) throw new Error(`#${id} is missing`);
    return element;
}

/** @returns {string} */
function newId() {
    // randomUUID exists only in secure contexts (https or localhost); a LAN address over http has none.
    if (typeof crypto.randomUUID === "function" && window.isSecureContext) return crypto.randomUUID().replaceAll("-", "");
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), b => b.toString(16).padStart(2, "0")).join("");
}

/**
 * @param {Config} config
 * @param {HTMLElement} deskElement
 */
function start(config, deskElement) {
    const api = `/api/review/${config.datasetId}`;
    const token = /** @type {HTMLInputElement | null} */ (document.querySelector("input[name=__RequestVerificationToken]"))?.value ?? "";
    const image = /** @type {HTMLImageElement} */ ($("desk-image"));
    const filter = /** @type {HTMLInputElement} */ ($("desk-filter"));
    const classList = $("desk-classes");
    const statusLine = $("desk-status");
    const errorLine = $("desk-error");
    const log = $("desk-log");
    const bulkButton = /** @type {HTMLButtonElement} */ ($("bulk-accept"));
    const items = config.items;
    /** @type {Map<number, Decision>} */
    const decisions = new Map(items.map(i => [i.id, /** @type {Decision} */ ({ state: "open" })]));
    /** @type {Map<number, Promise<{ hasModel: boolean, neighbours: Neighbour[] }>>} */
    const neighbourCache = new Map();
    /** @type {Set<number>} */
    const selected = new Set();
    /** Indexes of the images decided on this page, latest last: Backspace walks back through them. */
    const history = /** @type {number[]} */ ([]);
    let current = 0;
    let rejectArmed = false;
    let halted = false;
    let pending = 0, saved = 0;

    deskElement.hidden = false;
    $("bulk-bar").hidden = false;
    document.querySelectorAll(".bulk-pick").forEach(e => { /** @type {HTMLElement} */ (e).hidden = false; });

    // ---- sending ---------------------------------------------------------------------------------------------------
    let chain = Promise.resolve();

    /**
     * @param {string} path
     * @param {unknown} body
     */
    async function post(path, body) {
        for (let attempt = 0; ; attempt++) {
            try {
                const response = await fetch(`${api}/${path}`, {
                    method: "POST",
                    headers: { "Content-Type": "application/json", "RequestVerificationToken": token },
                    body: JSON.stringify(body),
                });
                if (response.ok) return await response.json();
                const problem = await response.json().catch(() => ({}));
                if (response.status < 500) throw Object.assign(new Error(problem.detail || `refused (${response.status})`), { status: response.status });
            } catch (e) {
                if (/** @type {{ status?: number }} */ (e).status) throw e;
            }
            // Network trouble or a server error: the same client id again, after a growing pause.
            errorLine.textContent = "Connection trouble; retrying…";
            await new Promise(r => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
        }
    }

    /**
     * Sends one decision after those before it; the version is read when its turn comes, so a decision changed
     * right after it was made carries the version the first one produced.
     * @param {Item} item
     * @param {{ classId: number | null, reject: boolean, label: string }} choice
     */
    function send(item, choice) {
        const clientId = newId();
        pending++;
        decisions.set(item.id, { state: "sending", label: choice.label });
        showStatus();
        chain = chain.then(async () => {
            if (halted) return;
            try {
                const result = await post("decide", { imageId: item.id, classId: choice.classId, reject: choice.reject, expectedVersion: item.version, clientId });
                item.version = result.version;
                saved++;
                errorLine.textContent = "";
                decisions.set(item.id, { state: "saved", label: choice.label });
            } catch (e) {
                const status = /** @type {{ status?: number }} */ (e).status;
                const message = /** @type {Error} */ (e).message;
                if (status === 401 || status === 403) {
                    halted = true;
                    errorLine.textContent = `Not saved: ${message}. Reload the page (you may need to sign in again).`;
                }
                else {
                    errorLine.textContent = `Image ${item.id}: ${message}`;
                }
                decisions.set(item.id, { state: "conflict", error: message });
            } finally {
                pending--;
                markRow(item.id);
                showStatus();
                if (items[current]?.id === item.id) render();
            }
        });
    }

    // ---- showing ---------------------------------------------------------------------------------------------------
    function showStatus() {
        const decided = [...decisions.values()].filter(d => d.state === "saved" || d.state === "sending").length;
        statusLine.dataset.decided = String(decided);
        statusLine.dataset.saved = String(saved);
        statusLine.dataset.pending = String(pending);
        if (rejectArmed) return;
        if (decided === items.length && pending === 0) {
            statusLine.textContent = `All ${items.length} images on this page are decided · saved ${saved}. `;
            if (config.total > items.length) {
                // Decided images leave the queue, so the same page number now holds the next ones.
                const next = document.createElement("a");
                next.href = location.pathname + location.search;
                next.id = "desk-next-page";
                next.textContent = "Load the next images";
                statusLine.append(next);
            }
            return;
        }
        statusLine.textContent = `${decided} of ${items.length} on this page decided · saved ${saved}` + (pending ? ` · sending ${pending}` : "");
    }

    /** @param {number} id */
    function markRow(id) {
        const row = document.querySelector(`.review-item[data-image-id="${id}"]`);
        const state = row?.querySelector("[data-state]");
        const decision = decisions.get(id);
        if (!row || !state || !decision) return;
        row.classList.toggle("decided", decision.state === "saved" || decision.state === "sending");
        row.classList.toggle("conflicted", decision.state === "conflict");
        row.classList.toggle("current", items[current]?.id === id);
        state.textContent = decision.state === "saved" ? `✓ ${decision.label}` : decision.state === "sending" ? `… ${decision.label}`
            : decision.state === "conflict" ? `not saved: ${decision.error}` : "";
    }

    /** The classes 1-9 choose from: the image's own choices first (votes, neighbours), then the rest; filtered by what was typed. */
    function listed() {
        const item = items[current];
        const typed = filter.value.trim().toLowerCase();
        const quickIds = new Set(item.quick.map(q => q.id));
        const all = [...item.quick, ...config.classes.filter(c => !quickIds.has(c.id))];
        return typed ? all.filter(c => c.name.toLowerCase().includes(typed)) : all;
    }

    function renderClasses() {
        const choices = listed();
        classList.replaceChildren(...choices.slice(0, 30).map((c, i) => {
            const li = document.createElement("li");
            li.dataset.classId = String(c.id);
            li.dataset.className = c.name;
            if (i < 9) {
                const key = document.createElement("kbd");
                key.textContent = String(i + 1);
                li.append(key, " ");
            }
            li.append(c.name);
            li.addEventListener("click", () => pick(c));
            return li;
        }));
        if (choices.length === 0) {
            const li = document.createElement("li");
            li.className = "muted";
            li.textContent = "No class matches.";
            classList.append(li);
        }
    }

    function render() {
        const item = items[current];
        image.src = `/images/${item.id}/file`;
        image.alt = `image ${item.id}`;
        image.dataset.imageId = String(item.id);
        $("desk-title").textContent = `Image ${item.id}`;
        $("desk-position").textContent = `${current + 1} of ${items.length} on this page` + (config.pageCount > 1 ? ` · page ${config.page} of ${config.pageCount}` : "");
        $("desk-origin").textContent = item.origin;
        $("desk-note").textContent = item.note ?? "";
        $("desk-votes").replaceChildren(...item.votes.map(v => {
            const li = document.createElement("li");
            const strong = document.createElement("strong");
            strong.textContent = v.label;
            li.append(`${v.user}: `, strong);
            return li;
        }));
        const majority = $("desk-majority");
        majority.dataset.classId = item.majority ? String(item.majority.id) : "";
        majority.textContent = item.majority ? `Enter accepts ${item.majority.name} (${item.majority.basis})` : "No majority: pick a class with 1–9.";
        const decision = decisions.get(item.id);
        deskElement.dataset.imageId = String(item.id);
        deskElement.dataset.state = decision?.state ?? "open";
        $("desk-title").textContent = `Image ${item.id}` + (decision?.state === "saved" ? ` · decided: ${decision.label}` : decision?.state === "sending" ? ` · saving ${decision.label}…` : "");
        renderClasses();
        document.querySelectorAll(".review-item.current").forEach(e => e.classList.remove("current"));
        document.querySelector(`.review-item[data-image-id="${item.id}"]`)?.classList.add("current");
        showNeighbours(item.id);
        // The next image's picture and neighbours are fetched ahead, so moving on does not wait.
        const next = items[nextOpen(current)];
        if (next && next.id !== item.id) {
            new Image().src = `/images/${next.id}/file`;
            neighbours(next.id);
        }
    }

    /** @param {number} id */
    function neighbours(id) {
        let found = neighbourCache.get(id);
        if (!found) {
            found = fetch(`${api}/neighbours?imageId=${id}&k=8`).then(r => r.ok ? r.json() : { hasModel: true, neighbours: [] });
            neighbourCache.set(id, found);
        }
        return found;
    }

    /** @param {number} id */
    async function showNeighbours(id) {
        const strip = $("desk-neighbours");
        const state = $("desk-neighbours-state");
        strip.replaceChildren();
        state.textContent = "loading…";
        const found = await neighbours(id).catch(() => null);
        if (items[current]?.id !== id) return;
        if (!found) { state.textContent = "could not be loaded"; return; }
        state.textContent = !found.hasModel ? "(no embeddings for this dataset yet)" : found.neighbours.length === 0 ? "(this image has no vector yet)" : "";
        strip.replaceChildren(...found.neighbours.map(n => {
            const a = document.createElement("a");
            a.className = `neighbour source-${n.source}`;
            a.href = `/Images/Details/${n.imageId}`;
            a.target = "_blank";
            a.dataset.imageId = String(n.imageId);
            a.title = `image ${n.imageId} · similarity ${n.score.toFixed(3)} · ${n.label ?? "unlabelled"} (${n.source})`;
            const img = document.createElement("img");
            img.src = n.thumb;
            img.alt = `${n.label ?? "unlabelled"} image ${n.imageId}`;
            img.loading = "lazy";
            const label = document.createElement("span");
            label.textContent = n.label ?? "—";
            const source = document.createElement("small");
            source.textContent = n.source;
            a.append(img, label, source);
            return a;
        }));
    }

    /**
     * The next image not yet decided after <paramref name="from"/>, wrapping round; from itself when all are decided.
     * @param {number} from
     */
    function nextOpen(from) {
        for (let step = 1; step <= items.length; step++) {
            const i = (from + step) % items.length;
            const d = decisions.get(items[i].id);
            if (d?.state === "open" || d?.state === "conflict") return i;
        }
        return from;
    }

    /** @param {number} index */
    function go(index) {
        current = (index + items.length) % items.length;
        filter.value = "";
        disarm();
        render();
    }

    function disarm() {
        if (!rejectArmed) return;
        rejectArmed = false;
        deskElement.classList.remove("reject-armed");
        showStatus();
    }

    /**
     * @param {string} text
     */
    function addLog(text) {
        const li = document.createElement("li");
        li.textContent = text;
        log.prepend(li);
        while (log.children.length > 8) log.lastElementChild?.remove();
    }

    /** @param {{ classId: number | null, reject: boolean, label: string }} choice */
    function decide(choice) {
        if (halted) return;
        const item = items[current];
        send(item, choice);
        addLog(`image ${item.id} → ${choice.label}`);
        history.push(current);
        markRow(item.id);
        const next = nextOpen(current);
        // The last open image decided: the desk stays on it (Backspace still goes back).
        go(next);
    }

    /** @param {ClassRef} c */
    function pick(c) { decide({ classId: c.id, reject: false, label: c.name }); }

    function acceptMajority() {
        const item = items[current];
        if (filter.value.trim()) {
            const first = listed()[0];
            if (first) pick(first);
            return;
        }
        if (!item.majority) {
            statusLine.textContent = `Image ${item.id} has no majority: pick a class with 1–9.`;
            return;
        }
        pick(item.majority);
    }

    function reject() {
        if (!rejectArmed) {
            rejectArmed = true;
            deskElement.classList.add("reject-armed");
            statusLine.textContent = `Press Delete again to reject image ${items[current].id} (bad image); any other key cancels.`;
            return;
        }
        disarm();
        decide({ classId: null, reject: true, label: "rejected" });
    }

    function back() {
        const previous = history.pop();
        go(previous ?? current - 1);
        if (previous !== undefined) addLog(`back to image ${items[current].id}`);
    }

    function toggleSelected() {
        const item = items[current];
        const box = /** @type {HTMLInputElement | null} */ (document.querySelector(`input[data-bulk="${item.id}"]`));
        if (!box || box.disabled) {
            statusLine.textContent = `Image ${item.id} has no majority to accept in bulk.`;
            return;
        }
        box.checked = !box.checked;
        box.dispatchEvent(new Event("change"));
    }

    // ---- bulk accept -------------------------------------------------------------------------------------------------
    function showSelected() {
        bulkButton.dataset.count = String(selected.size);
        bulkButton.textContent = `Accept majorities of ${selected.size} selected`;
        bulkButton.disabled = selected.size === 0 || halted;
    }

    document.querySelectorAll("input[data-bulk]").forEach(element => {
        const box = /** @type {HTMLInputElement} */ (element);
        box.addEventListener("change", () => {
            const id = Number(box.dataset.bulk);
            if (box.checked) selected.add(id); else selected.delete(id);
            showSelected();
        });
    });
    $("bulk-select-all").addEventListener("click", () => {
        document.querySelectorAll("input[data-bulk]").forEach(element => {
            const box = /** @type {HTMLInputElement} */ (element);
            const d = decisions.get(Number(box.dataset.bulk));
            if (!box.disabled && d?.state !== "saved" && d?.state !== "sending" && !box.checked) { box.checked = true; selected.add(Number(box.dataset.bulk)); }
        });
        showSelected();
    });
    $("bulk-clear").addEventListener("click", () => {
        document.querySelectorAll("input[data-bulk]").forEach(element => { /** @type {HTMLInputElement} */ (element).checked = false; });
        selected.clear();
        showSelected();
    });
    bulkButton.addEventListener("click", () => {
        const chosen = items.filter(i => selected.has(i.id) && i.majority);
        if (chosen.length === 0) return;
        const body = () => ({ items: chosen.map(i => ({ imageId: i.id, classId: /** @type {Majority} */ (i.majority).id, expectedVersion: i.version, clientId: newId() })) });
        chosen.forEach(i => decisions.set(i.id, { state: "sending", label: /** @type {Majority} */ (i.majority).name }));
        chosen.forEach(i => markRow(i.id));
        pending += chosen.length;
        showStatus();
        chain = chain.then(async () => {
            try {
                const answer = await post("bulk", body());
                for (const r of answer.results) {
                    const item = items.find(i => i.id === r.imageId);
                    if (!item) continue;
                    if (r.error) decisions.set(item.id, { state: "conflict", error: r.error });
                    else { item.version = r.version; saved++; decisions.set(item.id, { state: "saved", label: /** @type {Majority} */ (item.majority).name }); }
                }
                addLog(`accepted ${answer.results.filter(/** @param {{ error: string | null }} r */ r => !r.error).length} majorities in bulk`);
            } catch (e) {
                errorLine.textContent = `Bulk accept not saved: ${/** @type {Error} */ (e).message}`;
                chosen.forEach(i => decisions.set(i.id, { state: "conflict", error: /** @type {Error} */ (e).message }));
            } finally {
                pending -= chosen.length;
                chosen.forEach(i => { selected.delete(i.id); markRow(i.id); });
                document.querySelectorAll("input[data-bulk]").forEach(element => {
                    const box = /** @type {HTMLInputElement} */ (element);
                    box.checked = selected.has(Number(box.dataset.bulk));
                });
                showSelected();
                showStatus();
                const here = decisions.get(items[current].id);
                if (here?.state === "saved") go(nextOpen(current)); else render();
            }
        });
    });

    // ---- keys --------------------------------------------------------------------------------------------------------
    filter.addEventListener("input", () => { disarm(); renderClasses(); });
    document.querySelectorAll("[data-desk]").forEach(button => button.addEventListener("click", () => {
        const action = /** @type {HTMLElement} */ (button).dataset.desk;
        if (action === "accept") acceptMajority();
        else if (action === "reject") reject();
        else if (action === "back") back();
        else if (action === "next") go(current + 1);
        else if (action === "select") toggleSelected();
        else if (action === "help") $("desk-help").hidden = !$("desk-help").hidden;
    }));
    document.querySelectorAll(".review-item").forEach(row => row.addEventListener("click", e => {
        // A click on the card (not its links, buttons or selects) brings that image to the desk.
        if (/** @type {HTMLElement} */ (e.target).closest("a, button, select, input, label")) return;
        const index = items.findIndex(i => i.id === Number(/** @type {HTMLElement} */ (row).dataset.imageId));
        if (index >= 0) { go(index); deskElement.scrollIntoView({ block: "start" }); }
    }));

    document.addEventListener("keydown", e => {
        const target = /** @type {HTMLElement} */ (e.target);
        const inFilter = target === filter;
        // Other fields (the list's class selects, the search box of the browser) keep their keys.
        if (!inFilter && target.closest("input, select, textarea, [contenteditable]")) return;
        if (e.ctrlKey || e.metaKey || e.altKey) return;
        if (e.key !== "Delete") disarm();
        if (e.key === "Enter") { e.preventDefault(); acceptMajority(); return; }
        if (e.key === "Delete") { e.preventDefault(); reject(); return; }
        if (e.key === "Escape") { e.preventDefault(); filter.value = ""; filter.blur(); renderClasses(); return; }
        if (e.key === "Backspace") {
            if (inFilter && filter.value) return;
            e.preventDefault();
            back();
            return;
        }
        if (e.key === "ArrowRight" && !(inFilter && filter.value)) { e.preventDefault(); go(current + 1); return; }
        if (e.key === "ArrowLeft" && !(inFilter && filter.value)) { e.preventDefault(); go(current - 1); return; }
        if (/^[1-9]$/.test(e.key)) {
            e.preventDefault();
            const c = listed()[Number(e.key) - 1];
            if (c) pick(c); else statusLine.textContent = `No class ${e.key} in the list.`;
            return;
        }
        if (e.key === "?") { e.preventDefault(); $("desk-help").hidden = !$("desk-help").hidden; return; }
        if (e.key === " " && !inFilter) { e.preventDefault(); toggleSelected(); return; }
        // Any other character only ever types into the filter: it never decides anything.
        if (e.key.length === 1 && !inFilter) {
            e.preventDefault();
            filter.focus();
            filter.value += e.key;
            renderClasses();
        }
    });

    showStatus();
    showSelected();
    render();
}
