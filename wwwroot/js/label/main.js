// @ts-check
// The labelling pages (Label/Work and Label/Grid): wiring. The config comes in a data attribute, not an inline
// script (the Content-Security-Policy allows none). Every action gets a client-generated id and goes through one
// serial send queue; the action log shows each one and can undo any of the last ones.
import { SendQueue, RefusedError, SkippedError } from "./send-queue.js";
import { ClassPicker, readClasses } from "./class-picker.js";
import { keyAction } from "./keys.js";
import { ActionLog, Tally, LogView } from "./action-log.js";
import { KeysHelp } from "./help.js";
import { startSingle } from "./single.js";
import { startGrid } from "./grid.js";

/** @typedef {import("./action-log.js").Entry} Entry */
/** @typedef {import("./class-picker.js").LabelClass} LabelClass */
/**
 * @typedef {object} Image  what /next and /expand answer per image
 * @property {number} id
 * @property {string} url
 * @property {string} thumb
 * @property {string} origin
 * @property {number} width
 * @property {number} height
 * @property {{ classId: number, name: string, confidence: number }[]} suggestions
 * @property {string | null} [alt]
 * @property {string | null} [pageTitle]
 */
/**
 * @typedef {object} Page  what a mode (single, grid) answers to the keys and the log
 * @property {(classId: number) => void} pick
 * @property {(name: string) => boolean} action  true when the page took the action
 * @property {(entry: Entry) => void} putBack  an undone action's images come back on screen
 */
/**
 * @typedef {object} Bench  what main hands a mode
 * @property {string} api
 * @property {{ datasetId: number, count: number, seed: number | null }} config
 * @property {ClassPicker} picker
 * @property {SendQueue} queue
 * @property {(url: string) => Promise<Image[]>} fetchImages
 * @property {(text: string) => void} transient
 * @property {(items: object[], text: string, counted: number, imageIds: number[], payload: any) => Entry} submit
 * @property {(entry: Entry) => void} undo
 * @property {(id: number) => string} className
 * @property {(e: unknown) => void} report
 */

const bench = document.getElementById("bench");
const configElement = document.getElementById("label-config");
if (bench && configElement) start(bench, configElement);

/** @param {HTMLElement} benchElement @param {HTMLElement} configElement */
function start(benchElement, configElement) {
    const raw = JSON.parse(configElement.dataset.config ?? "{}");
    const classes = readClasses(raw.classes);
    const config = { datasetId: Number(raw.datasetId), count: Number(raw.count) || 40, seed: raw.seed ?? null };
    const mode = benchElement.dataset.mode === "grid" ? "grid" : "single";
    const api = `/api/label/${config.datasetId}`;
    const token = /** @type {HTMLInputElement | null} */ (document.querySelector("input[name=__RequestVerificationToken]"))?.value ?? "";
    const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
    const statusLine = $("bench-status");
    const errorLine = $("bench-error");
    const names = new Map(classes.map(c => [c.id, c.name]));

    const transient = (/** @type {string} */ text) => { if (!queue.halted) errorLine.textContent = text; };
    const queue = new SendQueue({
        transport: async (path, body) => {
            const response = await fetch(`${api}/${path}`, {
                method: "POST",
                headers: { "Content-Type": "application/json", "RequestVerificationToken": token },
                body: JSON.stringify(body),
            });
            return { ok: response.ok, status: response.status, body: await response.json().catch(() => ({})) };
        },
        onChange: () => showStatus(),
        onTrouble: text => transient(text),
        // A refused action (signed out, a class deleted meanwhile, ...) stops the page. The unsaved images stay
        // leased to this labeller and come back on reload.
        onHalt: message => {
            benchElement.classList.add("halted");
            errorLine.classList.add("sticky");
            errorLine.replaceChildren(`Not saved: ${message}. `);
            const reload = document.createElement("a");
            reload.href = location.pathname;
            reload.textContent = "Reload to go on";
            errorLine.append(reload, " (the images not saved come back first).");
        },
    });
    const log = new ActionLog(10);
    const tally = new Tally();
    const logView = new LogView(/** @type {HTMLOListElement} */ ($("action-log")), log, entry => undo(entry));
    function showStatus() {
        statusLine.dataset.labelled = String(tally.labelled);
        statusLine.dataset.saved = String(tally.saved);
        statusLine.dataset.pending = String(queue.pending);
        statusLine.textContent = tally.text(queue.pending);
        logView.render();
    }

    const newId = () => {
        // randomUUID needs a secure context (https or localhost); plain http elsewhere falls back.
        if ("randomUUID" in crypto && window.isSecureContext) return crypto.randomUUID();
        return Array.from(crypto.getRandomValues(new Uint8Array(16)), x => x.toString(16).padStart(2, "0")).join("");
    };
    /** @param {unknown} e */
    const report = e => { if (!(e instanceof SkippedError) && !(e instanceof RefusedError)) transient(String(e instanceof Error ? e.message : e)); };

    /** @type {Bench["submit"]} */
    function submit(items, text, counted, imageIds, payload) {
        const entry = log.add({ kind: "action", text, state: "sending", imageIds, counted, payload });
        queue.enqueue({ path: "submit", body: { clientId: newId(), source: mode, items }, imageIds })
            .then(result => { entry.submissionId = result.submissionId; entry.state = entry.state === "undoing" ? "undoing" : "saved"; tally.submitted(counted); })
            .catch(e => { entry.state = "failed"; report(e); })
            .finally(showStatus);
        showStatus();
        return entry;
    }

    /** Undo of that very action, not only the last: the server is told which submission (see LabelSubmissions.UndoAsync). */
    function undo(/** @type {Entry} */ entry) {
        if (queue.halted || !log.undoable(entry)) return;
        entry.state = "undoing";
        const line = log.add({ kind: "undo", text: `undone: ${entry.text}`, state: "sending", imageIds: entry.imageIds, counted: 0, payload: null });
        queue.enqueue({ path: "undo", body: () => ({ clientId: newId(), submissionId: entry.submissionId }), imageIds: entry.imageIds })
            .then(() => { entry.state = "undone"; line.state = "saved"; tally.undone(entry.counted); })
            .catch(e => { line.state = "failed"; report(e); })
            .finally(showStatus);
        page.putBack(entry);
        showStatus();
    }

    /** @type {Page} */
    let page = { pick: () => {}, action: () => false, putBack: () => {} };
    const picker = new ClassPicker(/** @type {HTMLInputElement} */ ($("class-filter")), /** @type {HTMLOListElement} */ ($("class-list")), classes, id => page.pick(id));
    const help = new KeysHelp($("keys-help"), mode, classes);
    /** @type {Bench} */
    const shared = {
        api, config, picker, queue, transient, submit, undo, report,
        className: id => names.get(id) ?? `class ${id}`,
        fetchImages: async url => {
            const response = await fetch(url, { headers: { Accept: "application/json" } });
            if (!response.ok) throw new Error(`could not load images (${response.status})`);
            return (await response.json()).images;
        },
    };
    page = mode === "grid" ? startGrid(shared) : startSingle(shared);

    const digitsInNames = classes.some(c => /\d/.test(c.name));
    benchElement.addEventListener("click", e => {
        const button = /** @type {HTMLElement | null} */ (/** @type {HTMLElement} */ (e.target).closest("button[data-action]"));
        if (button?.dataset.action) run(button.dataset.action);
    });
    $("keys-button")?.addEventListener("click", () => help.show());

    /** @param {string} name */
    function run(name) {
        if (name === "help") { help.show(); return; }
        if (name === "help-close") { help.close(); return; }
        if (name === "focus-filter") { picker.filter.focus(); return; }
        if (name === "escape") {
            if (picker.filter.value || picker.inFilter) { picker.clear(); return; }
            page.action("escape");
            return;
        }
        if (queue.halted) return;
        if (name === "undo") { const last = log.latestUndoable(); if (last) undo(last); return; }
        if (name === "accept" && picker.filter.value.trim()) {
            const first = picker.visible[0];
            picker.clear();
            if (first) page.pick(first.id);
            return;
        }
        page.action(name);
    }

    document.addEventListener("keydown", e => {
        const meaning = keyAction(e, {
            mode, inFilter: picker.inFilter, filterText: picker.filter.value, digitsInNames, overlayOpen: help.open, hotkeys: picker.hotkeys,
        });
        switch (meaning.type) {
            case "native": return;
            case "none": e.preventDefault(); return;
            case "filter": e.preventDefault(); picker.type(meaning.text); return;
            case "pick": {
                e.preventDefault();
                const c = picker.visible[meaning.index];
                if (c && !queue.halted) { picker.clear(); page.pick(c.id); }
                return;
            }
            case "class": e.preventDefault(); if (!queue.halted) { picker.clear(); page.pick(meaning.classId); } return;
            case "action":
                // Space and the arrows belong to the grid's own handler while it has the focus.
                if (meaning.name === "toggle" && e.defaultPrevented) return;
                e.preventDefault();
                run(meaning.name);
        }
    });
    showStatus();
}
