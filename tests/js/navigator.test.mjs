// What the one-by-one page shows: an undo pressed while the next image loads keeps the undone image on screen
// and the next one waits in front of the queue.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Navigator } from "../../wwwroot/js/label/navigator.js";

/** A server whose "next" answers the test releases. */
function server(ids) {
    const pending = [];
    let nextId = ids[0];
    const fetch = count => new Promise(resolve => {
        pending.push(() => resolve(Array.from({ length: count }, () => ({ id: nextId++ }))));
    });
    const release = async () => { pending.shift()(); await new Promise(r => setImmediate(r)); };
    return { fetch, release, pending };
}

function navigator(s) {
    const shown = [];
    const nav = new Navigator({ fetch: s.fetch, show: image => shown.push(image?.id ?? null), later: () => {} });
    nav.ahead = 1;
    return { nav, shown };
}

test("undo during a pending advance shows the undone image; the next one waits in front", async () => {
    const s = server([1]);
    const { nav, shown } = navigator(s);
    const first = nav.advance();
    await s.release();
    await first;
    assert.equal(nav.current.id, 1);
    // The page prefetches one ahead; answer that too, so the queue holds image 2.
    await s.release();
    assert.deepEqual(nav.queue.map(i => i.id), [2]);

    // Label 1: image 2 shows at once; label 2: the queue is empty and the advance waits for the server.
    const one = nav.take();
    await nav.advance();
    assert.equal(nav.current.id, 2);
    const two = nav.take();
    const waiting = nav.advance();
    assert.equal(nav.current, null);
    // Undo image 2 while the next one loads.
    nav.restore(two);
    assert.equal(nav.current.id, 2);
    while (s.pending.length) await s.release();
    await waiting;
    assert.equal(nav.current.id, 2, "the stale advance must not replace the undone image");
    assert.deepEqual(nav.queue.map(i => i.id), [3]);
    assert.deepEqual(shown, [1, 2, 2]);
    // Labelling the undone image again moves on to the one that waited.
    nav.take();
    await nav.advance();
    assert.equal(nav.current.id, 3);
    assert.equal(one.id, 1);
});

test("undo of an older image puts the one on screen back in front of the queue", async () => {
    const s = server([10]);
    const { nav } = navigator(s);
    nav.ahead = 2;
    const first = nav.advance();
    await s.release();
    await first;
    const ten = nav.take();
    await nav.advance();
    assert.equal(nav.current.id, 11);
    nav.restore(ten);
    assert.equal(nav.current.id, 10);
    assert.equal(nav.queue[0].id, 11);
    nav.take();
    await nav.advance();
    assert.equal(nav.current.id, 11);
});

test("a key pressed while the next image loads acts on nothing", async () => {
    const s = server([1]);
    const { nav } = navigator(s);
    const first = nav.advance();
    await s.release();
    await first;
    nav.take();
    const waiting = nav.advance();
    assert.equal(nav.take(), null);
    while (s.pending.length) await s.release();
    await waiting;
    assert.equal(nav.current.id, 2);
});
