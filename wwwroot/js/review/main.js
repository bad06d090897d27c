// @ts-check
// The review queue (Review/Queue), keyboard first and without a reload per image: one image at a time with its votes
// and nearest images; Enter accepts the majority, 1-9 pick a listed class, Delete asks to reject (Delete or Enter
// again confirms), Backspace goes back. Letters only ever type into the class filter. Decisions go through one
// serial queue to /api/review (each with its own client id, retried with the same id on network trouble, so a retry
// never decides twice). Without script the page's forms do the same with a reload each. This file wires the parts.
import { deskKey } from "./keys.js";
import { Walk, nextOpen } from "./walk.js";
import { poster, Serial, newClientId, RefusedError } from "./sender.js";
import { listed, statusText } from "./choices.js";
import { $, drawItem, drawClasses, markRow } from "./desk-view.js";
import { Neighbours } from "./neighbours.js";
import { Bulk } from "./bulk.js";
import { RejectConfirm } from "./reject-confirm.js";
import { Zoom, bindButtons } from "../viewer/zoom.js";

/** @typedef {import("./choices.js").ClassRef} ClassRef */
/** @typedef {import("./desk-view.js").Item} Item */
/** @typedef {import("./desk-view.js").Majority} Majority */
/** @typedef {import("./desk-view.js").Decision} Decision */
/** @typedef {{ datasetId: number, queue: string, page: number, pageCount: number, total: number, hasModel: boolean, classes: ClassRef[], items: Item[] }} Config */
/** @typedef {{ classId: number | null, reject: boolean, label: string }} Choice */

const desk = document.getElementById("desk");
const configElement = document.getElementById("review-config");
if (desk && configElement?.dataset.config) {
    start(/** @type {Config} */ (JSON.parse(configElement.dataset.config)), desk);
}

/** @param {Config} config @param {HTMLElement} deskElement */
function start(config, deskElement) {
    const api = `/api/review/${config.datasetId}`;
    const token = /** @type {HTMLInputElement | null} */ (document.querySelector("input[name=__RequestVerificationToken]"))?.value ?? "";
    const image = /** @type {HTMLImageElement} */ ($("desk-image"));
    const filter = /** @type {HTMLInputElement} */ ($("desk-filter"));
    const classList = $("desk-classes");
    const statusLine = $("desk-status");
    const errorLine = $("desk-error");
    const log = $("desk-log");
    const items = config.items;
    /** @type {Map<number, Decision>} */
    const decisions = new Map(items.map(i => [i.id, /** @type {Decision} */ ({ state: "open" })]));
    const walk = new Walk(items.length);
    const serial = new Serial();
    const neighbours = new Neighbours(api, $("desk-neighbours"), $("desk-neighbours-state"));
    const zoom = new Zoom($("desk-viewport"), image, deskElement);
    bindButtons(zoom, $("desk-tools"));
    const confirmBar = new RejectConfirm(deskElement, $("desk-confirm"), () => decide({ classId: null, reject: true, label: "rejected" }));
    let halted = false;
    let pending = 0, saved = 0;
    const states = () => items.map(i => decisions.get(i.id)?.state ?? "open");
    const currentItem = () => items[walk.current];

    deskElement.hidden = false;
    $("bulk-bar").hidden = false;
    document.querySelectorAll(".bulk-pick").forEach(e => { /** @type {HTMLElement} */ (e).hidden = false; });

    const post = poster({
        transport: async (path, body) => {
            const response = await fetch(`${api}/${path}`, {
                method: "POST",
                headers: { "Content-Type": "application/json", "RequestVerificationToken": token },
                body: JSON.stringify(body),
            });
            return { ok: response.ok, status: response.status, body: await response.json().catch(() => ({})) };
        },
        onTrouble: text => { errorLine.textContent = text; },
    });

    /** @param {unknown} e */
    function failed(e) {
        const message = e instanceof Error ? e.message : String(e);
        if (e instanceof RefusedError && (e.status === 401 || e.status === 403)) {
            halted = true;
            bulk.halted = true;
            errorLine.textContent = `Not saved: ${message}. Reload the page (you may need to sign in again).`;
        }
        return message;
    }

    /**
     * Sends one decision after those before it; its version is read when its turn comes, so a decision changed
     * right after it was made carries the version the first one produced.
     * @param {Item} item @param {Choice} choice
     */
    function send(item, choice) {
        const clientId = newClientId();
        pending++;
        decisions.set(item.id, { state: "sending", label: choice.label });
        showStatus();
        serial.run(async () => {
            if (halted) return;
            try {
                const result = await post("decide", { imageId: item.id, classId: choice.classId, reject: choice.reject, expectedVersion: item.version, clientId });
                item.version = result.version;
                saved++;
                errorLine.textContent = "";
                decisions.set(item.id, { state: "saved", label: choice.label });
            } catch (e) {
                const message = failed(e);
                if (!halted) errorLine.textContent = `Image ${item.id}: ${message}`;
                decisions.set(item.id, { state: "conflict", error: message });
            } finally {
                pending--;
                markRow(item.id, decisions.get(item.id), currentItem().id === item.id);
                showStatus();
                if (currentItem().id === item.id) render();
            }
        });
    }

    /** @param {Item[]} chosen */
    function acceptMany(chosen) {
        const majority = (/** @type {Item} */ i) => /** @type {Majority} */ (i.majority);
        chosen.forEach(i => { decisions.set(i.id, { state: "sending", label: majority(i).name }); markRow(i.id, decisions.get(i.id), false); });
        pending += chosen.length;
        showStatus();
        serial.run(async () => {
            try {
                const answer = await post("bulk", { items: chosen.map(i => ({ imageId: i.id, classId: majority(i).id, expectedVersion: i.version, clientId: newClientId() })) });
                for (const r of answer.results) {
                    const item = items.find(i => i.id === r.imageId);
                    if (!item) continue;
                    if (r.error) decisions.set(item.id, { state: "conflict", error: r.error });
                    else { item.version = r.version; saved++; decisions.set(item.id, { state: "saved", label: majority(item).name }); }
                }
                addLog(`accepted ${answer.results.filter(/** @param {{ error: string | null }} r */ r => !r.error).length} majorities in bulk`);
            } catch (e) {
                const message = failed(e);
                errorLine.textContent = `Bulk accept not saved: ${message}`;
                chosen.forEach(i => decisions.set(i.id, { state: "conflict", error: message }));
            } finally {
                pending -= chosen.length;
                chosen.forEach(i => markRow(i.id, decisions.get(i.id), currentItem().id === i.id));
                bulk.settle(chosen);
                showStatus();
                if (decisions.get(currentItem().id)?.state === "saved") go(nextOpen(states(), walk.current)); else render();
            }
        });
    }
    const bulk = new Bulk({ decisions, items, accept: acceptMany });

    function showStatus() {
        const decided = [...decisions.values()].filter(d => d.state === "saved" || d.state === "sending").length;
        statusLine.dataset.decided = String(decided);
        statusLine.dataset.saved = String(saved);
        statusLine.dataset.pending = String(pending);
        const { text, pageDone } = statusText({ decided, total: items.length, saved, pending });
        statusLine.textContent = text;
        if (pageDone && config.total > items.length) {
            // Decided images leave the queue, so the same page number now holds the next ones.
            const next = document.createElement("a");
            next.href = location.pathname + location.search;
            next.id = "desk-next-page";
            next.textContent = "Load the next images";
            statusLine.append(next);
        }
    }

    const choices = () => listed(currentItem().quick, config.classes, filter.value);
    const renderClasses = () => drawClasses(classList, choices(), pick);

    function render() {
        const item = currentItem();
        if (image.dataset.imageId !== String(item.id)) zoom.reset();
        const position = `${walk.current + 1} of ${items.length} on this page` + (config.pageCount > 1 ? ` · page ${config.page} of ${config.pageCount}` : "");
        drawItem(deskElement, image, item, decisions.get(item.id), position);
        renderClasses();
        neighbours.show(item.id);
        // The next image's picture and neighbours are fetched ahead, so moving on does not wait.
        const next = items[nextOpen(states(), walk.current)];
        if (next && next.id !== item.id) {
            new Image().src = `/images/${next.id}/file`;
            neighbours.load(next.id);
        }
    }

    /** @param {number} index */
    function go(index) {
        walk.go(index);
        filter.value = "";
        confirmBar.cancel();
        render();
    }

    /** @param {string} text */
    function addLog(text) {
        const li = document.createElement("li");
        li.textContent = text;
        log.prepend(li);
        while (log.children.length > 8) log.lastElementChild?.remove();
    }

    /** @param {Choice} choice */
    function decide(choice) {
        if (halted) return;
        const item = currentItem();
        send(item, choice);
        addLog(`image ${item.id} → ${choice.label}`);
        markRow(item.id, decisions.get(item.id), false);
        walk.decided(states());
        filter.value = "";
        render();
    }

    /** @param {ClassRef} c */
    function pick(c) { confirmBar.cancel(); decide({ classId: c.id, reject: false, label: c.name }); }

    function acceptMajority() {
        const item = currentItem();
        if (filter.value.trim()) {
            const first = choices()[0];
            if (first) pick(first);
            return;
        }
        if (!item.majority) {
            statusLine.textContent = `Image ${item.id} has no majority: pick a class with 1–9.`;
            return;
        }
        pick(item.majority);
    }

    /** @param {string} action */
    function run(action) {
        switch (action) {
            case "accept": acceptMajority(); return;
            case "reject": if (!halted) confirmBar.ask(currentItem().id); return;
            case "reject-confirm": confirmBar.confirm(); return;
            case "reject-cancel": confirmBar.cancel(); return;
            case "back": { const was = walk.back(); go(walk.current); if (was) addLog(`back to image ${currentItem().id}`); return; }
            case "next": go(walk.current + 1); return;
            case "previous": go(walk.current - 1); return;
            case "select": if (!bulk.toggle(currentItem().id)) statusLine.textContent = `Image ${currentItem().id} has no majority to accept in bulk.`; return;
            case "help": $("desk-help").hidden = !$("desk-help").hidden; return;
            case "clear-filter": filter.value = ""; filter.blur(); renderClasses(); return;
            case "zoom-in": case "zoom-out": case "zoom-reset": case "fullscreen": zoom.run(action); return;
        }
    }

    filter.addEventListener("input", () => { confirmBar.cancel(); renderClasses(); });
    document.querySelectorAll("[data-desk]").forEach(button => button.addEventListener("click", () => run(/** @type {HTMLElement} */ (button).dataset.desk ?? "")));
    document.querySelectorAll(".review-item").forEach(row => row.addEventListener("click", e => {
        // A click on the card (not its links, buttons or selects) brings that image to the desk.
        if (/** @type {HTMLElement} */ (e.target).closest("a, button, select, input, label")) return;
        const index = items.findIndex(i => i.id === Number(/** @type {HTMLElement} */ (row).dataset.imageId));
        if (index >= 0) { go(index); deskElement.scrollIntoView({ block: "start" }); }
    }));

    document.addEventListener("keydown", e => {
        const target = /** @type {HTMLElement} */ (e.target);
        const inFilter = target === filter;
        const meaning = deskKey(e, {
            inFilter,
            // Other fields (the list's class selects, the search box of the browser) keep their keys.
            inOtherField: !inFilter && !!target.closest?.("input, select, textarea, [contenteditable]"),
            filterText: filter.value,
            confirming: confirmBar.open,
        });
        switch (meaning.type) {
            case "native": return;
            case "action": e.preventDefault(); run(meaning.name); return;
            case "pick": {
                e.preventDefault();
                const c = choices()[meaning.index];
                if (c) pick(c); else statusLine.textContent = `No class ${meaning.index + 1} in the list.`;
                return;
            }
            case "filter":
                e.preventDefault();
                filter.focus();
                filter.value += meaning.text;
                renderClasses();
        }
    });

    showStatus();
    bulk.show();
    render();
}
