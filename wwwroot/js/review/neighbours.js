// @ts-check
// The nearest images beside the desk's image: fetched once per image (the next image's ahead of time) and drawn as
// a strip of links.

/** @typedef {{ imageId: number, thumb: string, score: number, label: string | null, source: string }} Neighbour */
/** @typedef {{ hasModel: boolean, neighbours: Neighbour[] }} Found */

export class Neighbours {
    /**
     * @param {string} api
     * @param {HTMLElement} strip
     * @param {HTMLElement} state
     */
    constructor(api, strip, state) {
        this.api = api;
        this.strip = strip;
        this.state = state;
        /** @type {Map<number, Promise<Found>>} */
        this.cache = new Map();
        /** @type {number | null} */
        this.shown = null;
    }

    /** @param {number} id */
    load(id) {
        let found = this.cache.get(id);
        if (!found) {
            found = fetch(`${this.api}/neighbours?imageId=${id}&k=8`).then(r => r.ok ? r.json() : { hasModel: true, neighbours: [] });
            this.cache.set(id, found);
        }
        return found;
    }

    /** @param {number} id */
    async show(id) {
        this.shown = id;
        this.strip.replaceChildren();
        this.state.textContent = "loading…";
        const found = await this.load(id).catch(() => null);
        if (this.shown !== id) return;
        if (!found) { this.state.textContent = "could not be loaded"; return; }
        this.state.textContent = !found.hasModel ? "(no embeddings for this dataset yet)" : found.neighbours.length === 0 ? "(this image has no vector yet)" : "";
        this.strip.replaceChildren(...found.neighbours.map(tile));
    }
}

/** @param {Neighbour} n */
function tile(n) {
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
}
