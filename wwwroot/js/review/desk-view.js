// @ts-check
// Drawing the desk: the image with its votes and majority, the listed classes, and each list row's decision state.

/** @typedef {import("./choices.js").ClassRef} ClassRef */
/** @typedef {{ id: number, name: string, basis: string }} Majority */
/** @typedef {{ id: number, version: number | null, origin: string, note: string | null, votes: { user: string, label: string }[], quick: ClassRef[], majority: Majority | null }} Item */
/** @typedef {{ state: import("./walk.js").DecisionState, label?: string, error?: string }} Decision */

/** @param {string} id @returns {HTMLElement} */
export function $(id) {
    const element = document.getElementById(id);
    if (!element) throw new Error(`#${id} is missing`);
    return element;
}

/**
 * @param {HTMLElement} desk
 * @param {HTMLImageElement} image
 * @param {Item} item
 * @param {Decision | undefined} decision
 * @param {string} position
 */
export function drawItem(desk, image, item, decision, position) {
    if (image.dataset.imageId !== String(item.id)) image.src = `/images/${item.id}/file`;
    image.alt = `image ${item.id}`;
    image.dataset.imageId = String(item.id);
    $("desk-position").textContent = position;
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
    desk.dataset.imageId = String(item.id);
    desk.dataset.state = decision?.state ?? "open";
    $("desk-title").textContent = `Image ${item.id}` + (decision?.state === "saved" ? ` · decided: ${decision.label}` : decision?.state === "sending" ? ` · saving ${decision.label}…` : "");
    document.querySelectorAll(".review-item.current").forEach(e => e.classList.remove("current"));
    document.querySelector(`.review-item[data-image-id="${item.id}"]`)?.classList.add("current");
}

/**
 * @param {HTMLElement} list
 * @param {ClassRef[]} choices
 * @param {(c: ClassRef) => void} onPick
 */
export function drawClasses(list, choices, onPick) {
    list.replaceChildren(...choices.slice(0, 30).map((c, i) => {
        const li = document.createElement("li");
        li.dataset.classId = String(c.id);
        li.dataset.className = c.name;
        if (i < 9) {
            const key = document.createElement("kbd");
            key.textContent = String(i + 1);
            li.append(key, " ");
        }
        li.append(c.name);
        li.addEventListener("click", () => onPick(c));
        return li;
    }));
    if (choices.length === 0) {
        const li = document.createElement("li");
        li.className = "muted";
        li.textContent = "No class matches.";
        list.append(li);
    }
}

/**
 * @param {number} id
 * @param {Decision | undefined} decision
 * @param {boolean} current
 */
export function markRow(id, decision, current) {
    const row = document.querySelector(`.review-item[data-image-id="${id}"]`);
    const state = row?.querySelector("[data-state]");
    if (!row || !state || !decision) return;
    row.classList.toggle("decided", decision.state === "saved" || decision.state === "sending");
    row.classList.toggle("conflicted", decision.state === "conflict");
    row.classList.toggle("current", current);
    state.textContent = decision.state === "saved" ? `✓ ${decision.label}` : decision.state === "sending" ? `… ${decision.label}`
        : decision.state === "conflict" ? `not saved: ${decision.error}` : "";
}
