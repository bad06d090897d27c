// @ts-check
// The embedding map page (Datasets/Map): draws the points on a canvas, coloured by the chosen label source; hover
// shows the image; a lasso drag selects points, which fill the grid below and can be labelled in one action. The
// config comes in a data attribute (the Content-Security-Policy allows no inline script).
import { selectInPolygon, extendLasso, fitSquare, toCanvas, toMap } from "./geometry.js";
import { PointGrid } from "./hit.js";
import { byColour, colourOf, legend, majorityClass, nameOf, NONE } from "./colours.js";

/**
 * @typedef {object} MapData  what /api/map answers
 * @property {{ index: number, id: number, name: string, noise: boolean }[]} classes
 * @property {number[]} ids
 * @property {number[]} x
 * @property {number[]} y
 * @property {number[] | null} import
 * @property {number[]} consensus
 * @property {number[]} final
 */

const EXTENT = 10000, MARGIN = 12, HOVER_PX = 8, GRID_SHOWN = 300;

const configElement = document.getElementById("map-config");
const config = JSON.parse(configElement?.dataset.config ?? "{}");
const canvas = /** @type {HTMLCanvasElement | null} */ (document.getElementById("map-canvas"));
const status = /** @type {HTMLElement} */ (document.getElementById("map-status"));
const token = /** @type {HTMLInputElement | null} */ (document.querySelector("input[name=__RequestVerificationToken]"))?.value ?? "";

if (canvas && config.runId) follow(config.runId);
if (canvas && config.hasMap && config.data) start(canvas).catch(e => { status.textContent = `The map could not be loaded: ${e.message}`; });

/** Polls the map run (admins only) and reloads the page when it ends. @param {number} runId */
function follow(runId) {
    const link = document.getElementById("map-run");
    const tick = async () => {
        const response = await fetch(`/api/jobs/status?ids=${runId}`, { headers: { Accept: "application/json" } });
        const [run] = response.ok ? await response.json() : [];
        if (run?.finished) { location.reload(); return; }
        if (link && run) link.textContent = `Computing: job run ${runId} · ${run.message ?? run.state}`;
        setTimeout(tick, 1000);
    };
    setTimeout(tick, 500);
}

/** @param {HTMLCanvasElement} canvas */
async function start(canvas) {
    const response = await fetch(config.data, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`${response.status}`);
    /** @type {MapData} */
    const data = await response.json();
    const colourSelect = /** @type {HTMLSelectElement} */ (document.getElementById("map-colour"));
    if (!data.import) colourSelect.querySelector("option[value=import]")?.remove();
    const grid = new PointGrid(data.x, data.y, EXTENT, 128);
    const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
    /** @type {Set<number>} */
    let selected = new Set();
    /** @type {{ x: number, y: number }[] | null} */
    let lasso = null;
    let fit = fitSquare(1, 1, EXTENT, MARGIN);

    const codes = () => /** @type {number[]} */ (data[/** @type {"import" | "consensus" | "final"} */ (colourSelect.value)] ?? data.consensus);

    function resize() {
        const box = canvas.parentElement?.getBoundingClientRect();
        const size = Math.max(200, Math.floor(Math.min(box?.width ?? 600, window.innerHeight - 160)));
        const ratio = window.devicePixelRatio || 1;
        canvas.style.width = canvas.style.height = `${size}px`;
        canvas.width = canvas.height = Math.floor(size * ratio);
        context.setTransform(ratio, 0, 0, ratio, 0, 0);
        fit = fitSquare(size, size, EXTENT, MARGIN);
        draw();
    }

    function draw() {
        const size = canvas.width / (window.devicePixelRatio || 1);
        context.clearRect(0, 0, size, size);
        const groups = byColour(codes(), data.classes);
        const unlabelled = colourOf(NONE, data.classes);
        // Unlabelled points underneath, so the labelled ones stay visible.
        const order = [...groups.keys()].sort((a, b) => (a === unlabelled ? -1 : b === unlabelled ? 1 : 0));
        const r = size > 700 ? 2 : 1.5;
        for (const colour of order) {
            context.fillStyle = colour;
            for (const i of groups.get(colour) ?? []) {
                const p = toCanvas(fit, data.x[i], data.y[i]);
                context.fillRect(p.x - r, p.y - r, 2 * r, 2 * r);
            }
        }
        if (selected.size > 0) {
            context.strokeStyle = "#0b57d0";
            context.lineWidth = 1;
            for (const i of selected) {
                const p = toCanvas(fit, data.x[i], data.y[i]);
                context.strokeRect(p.x - r - 1.5, p.y - r - 1.5, 2 * r + 3, 2 * r + 3);
            }
        }
        if (lasso && lasso.length > 1) {
            context.strokeStyle = "#0b57d0";
            context.setLineDash([4, 3]);
            context.beginPath();
            lasso.forEach((p, k) => (k === 0 ? context.moveTo(p.x, p.y) : context.lineTo(p.x, p.y)));
            context.closePath();
            context.stroke();
            context.setLineDash([]);
        }
    }

    function showLegend() {
        const list = /** @type {HTMLElement} */ (document.getElementById("map-legend"));
        list.replaceChildren(...legend(codes(), data.classes).map(row => {
            const item = document.createElement("li");
            const swatch = document.createElement("span");
            swatch.className = "swatch";
            swatch.style.background = row.colour;
            item.append(swatch, ` ${row.name} `);
            const count = document.createElement("span");
            count.className = "muted";
            count.textContent = row.count.toLocaleString();
            item.append(count);
            return item;
        }));
    }

    const tooltip = /** @type {HTMLElement} */ (document.getElementById("map-tooltip"));
    /** @param {PointerEvent} e */
    function hover(e) {
        const here = toMap(fit, e.offsetX, e.offsetY);
        const i = grid.nearest(here.x, here.y, HOVER_PX / Math.max(fit.scale, 1e-9));
        if (i < 0) { tooltip.hidden = true; return; }
        const image = /** @type {HTMLImageElement} */ (tooltip.querySelector("img"));
        const src = `/images/${data.ids[i]}/thumb`;
        if (image.getAttribute("src") !== src) image.src = src;
        /** @type {HTMLElement} */ (tooltip.querySelector("span")).textContent = `image ${data.ids[i]} · ${nameOf(codes()[i], data.classes)}`;
        tooltip.dataset.imageId = String(data.ids[i]);
        const p = toCanvas(fit, data.x[i], data.y[i]);
        tooltip.style.left = `${Math.round(p.x + 12)}px`;
        tooltip.style.top = `${Math.round(p.y + 12)}px`;
        tooltip.hidden = false;
    }

    canvas.addEventListener("pointerdown", e => {
        canvas.setPointerCapture(e.pointerId);
        lasso = [{ x: e.offsetX, y: e.offsetY }];
        tooltip.hidden = true;
    });
    canvas.addEventListener("pointermove", e => {
        if (!lasso) { hover(e); return; }
        extendLasso(lasso, { x: e.offsetX, y: e.offsetY }, 3);
        draw();
    });
    canvas.addEventListener("pointerup", e => {
        if (!lasso) return;
        const polygon = lasso.map(p => toMap(fit, p.x, p.y));
        lasso = null;
        const inside = selectInPolygon(data.x, data.y, polygon);
        // Shift adds to the selection; a click without a loop clears it.
        selected = e.shiftKey ? new Set([...selected, ...inside]) : new Set(inside);
        draw();
        showSelection();
    });
    canvas.addEventListener("pointerleave", () => { if (!lasso) tooltip.hidden = true; });
    colourSelect.addEventListener("change", () => { draw(); showLegend(); });
    window.addEventListener("resize", resize);

    const panel = /** @type {HTMLElement} */ (document.getElementById("map-selection"));
    const classSelect = /** @type {HTMLSelectElement} */ (document.getElementById("map-class"));
    classSelect.replaceChildren(...data.classes.map(c => new Option(c.name, String(c.id))));
    const labelButton = /** @type {HTMLButtonElement} */ (document.getElementById("map-label"));
    const result = /** @type {HTMLElement} */ (document.getElementById("map-result"));

    function showSelection() {
        panel.hidden = selected.size === 0;
        const count = selected.size.toLocaleString();
        /** @type {HTMLElement} */ (document.getElementById("map-selected-count")).textContent = `${count} selected`;
        labelButton.textContent = `Label ${count} selected`;
        const majority = majorityClass(codes(), selected);
        if (majority >= 0) classSelect.value = String(data.classes[majority].id);
        const shown = [...selected].slice(0, GRID_SHOWN);
        /** @type {HTMLElement} */ (document.getElementById("map-grid")).replaceChildren(...shown.map(i => {
            const link = document.createElement("a");
            link.href = `/Images/Details/${data.ids[i]}`;
            link.dataset.imageId = String(data.ids[i]);
            link.title = `image ${data.ids[i]} · ${nameOf(codes()[i], data.classes)}`;
            const image = document.createElement("img");
            image.alt = link.title;
            image.src = `/images/${data.ids[i]}/thumb`;
            link.append(image);
            return link;
        }));
        const more = /** @type {HTMLElement} */ (document.getElementById("map-grid-more"));
        more.hidden = selected.size <= GRID_SHOWN;
        more.textContent = `and ${(selected.size - GRID_SHOWN).toLocaleString()} more`;
    }

    labelButton.addEventListener("click", async () => {
        const classId = Number(classSelect.value);
        const indices = [...selected];
        labelButton.disabled = true;
        result.textContent = "Labelling…";
        try {
            const response = await fetch(config.label, {
                method: "POST",
                headers: { "Content-Type": "application/json", "RequestVerificationToken": token },
                body: JSON.stringify({ clientId: crypto.randomUUID(), classId, imageIds: indices.map(i => data.ids[i]) }),
            });
            const answer = await response.json();
            if (!response.ok) throw new Error(answer.detail ?? answer.title ?? response.status);
            const code = data.classes.findIndex(c => c.id === classId);
            const conflicts = new Set(answer.conflictIds ?? []);
            for (const i of indices) if (!conflicts.has(data.ids[i])) data.final[i] = code;
            const name = nameOf(code, data.classes);
            result.textContent = `Labelled ${answer.labelled} as ${name}` + (answer.unchanged ? ` · ${answer.unchanged} already were` : "") + (answer.conflicts ? ` · ${answer.conflicts} changed by someone else meanwhile, left as they are` : "");
            result.dataset.state = "done";
            draw();
            showLegend();
        } catch (e) {
            result.textContent = `Not labelled: ${/** @type {Error} */ (e).message}`;
            result.dataset.state = "error";
        } finally {
            labelButton.disabled = false;
        }
    });
    document.getElementById("map-clear")?.addEventListener("click", () => { selected = new Set(); draw(); showSelection(); });

    status.textContent = "";
    canvas.dataset.points = String(data.ids.length);
    resize();
    showLegend();
    canvas.dataset.ready = "true";
}
