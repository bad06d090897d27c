// @ts-check
// One image at a time. What is shown and in what order is the Navigator's (pure, tested in node); this module
// draws the image, its hints and suggestions, and turns the page's actions into submissions.
import { Navigator } from "./navigator.js";
import { Zoom } from "../viewer/zoom.js";

/** @typedef {import("./main.js").Bench} Bench */
/** @typedef {import("./main.js").Image} Image */
/** @typedef {import("./main.js").Page} Page */

const ActionText = { noise: "noise", reject: "rejected", skip: "skipped" };

/** @param {Bench} bench @returns {Page} */
export function startSingle(bench) {
    const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
    const img = /** @type {HTMLImageElement} */ ($("current-image"));
    const hint = $("source-hint");
    const sourceText = $("source-text");
    const suggestionsBox = $("suggestions");
    const zoom = new Zoom($("stage-viewport"), img, $("bench"));

    /** @param {Image | null} image */
    function show(image) {
        zoom.reset();
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
        img.dataset.imageId = String(image.id);
        img.alt = `image ${image.id}`;
        hint.textContent = `${image.origin} · ${image.width}×${image.height}`;
        image.suggestions.forEach((s, i) => {
            const b = document.createElement("button");
            b.type = "button";
            b.className = "suggestion" + (i === 0 ? " first" : "");
            b.dataset.classId = String(s.classId);
            if (i === 0) { const k = document.createElement("kbd"); k.textContent = "Enter"; b.append(k, " "); }
            const name = document.createElement("span");
            name.textContent = s.name;
            const share = document.createElement("small");
            share.textContent = `${Math.round(s.confidence * 100)}%`;
            b.append(name, " ", share);
            b.addEventListener("click", () => act("label", s.classId));
            suggestionsBox.append(b);
        });
        if (image.suggestions.length === 0) {
            const none = document.createElement("span");
            none.className = "hint";
            none.textContent = "No suggestions yet (needs embeddings and labelled neighbours).";
            suggestionsBox.append(none);
        }
    }

    /** @type {Navigator<Image>} */
    const nav = new Navigator({
        fetch: (count, exclude) => bench.fetchImages(`${bench.api}/next?count=${count}&exclude=${exclude.join(",")}`)
            .then(images => { images.forEach(i => { new Image().src = i.url; }); return images; }),
        show,
        busy: () => bench.queue.pendingImageIds(),
        onError: e => bench.report(e),
    });

    /** @param {"label" | "noise" | "reject" | "skip"} action @param {number} [classId] */
    function act(action, classId) {
        if (bench.queue.halted) return;
        const image = nav.take();
        if (!image) return;
        const what = action === "label" ? bench.className(/** @type {number} */ (classId)) : ActionText[action];
        bench.submit([{ imageId: image.id, action, classId: classId ?? null, suggestions: image.suggestions }],
            `image ${image.id} → ${what}`, action === "skip" ? 0 : 1, [image.id], image);
        nav.advance();
    }

    nav.advance();
    return {
        pick: classId => act("label", classId),
        action: name => {
            switch (name) {
                case "noise": case "reject": case "skip": act(name); return true;
                case "accept": { const s = nav.current?.suggestions[0]; if (s) act("label", s.classId); return true; }
                case "zoom-in": zoom.zoomIn(); return true;
                case "zoom-out": zoom.zoomOut(); return true;
                case "zoom-reset": zoom.reset(); return true;
                case "fullscreen": zoom.toggleFullscreen(); return true;
                default: return false;
            }
        },
        putBack: entry => nav.restore(entry.payload),
    };
}
