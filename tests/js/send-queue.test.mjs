// The send queue: serial order, retries with the very same body (client id), an undo after the submit it names,
// and a halt on a refusal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SendQueue, RefusedError, SkippedError } from "../../wwwroot/js/label/send-queue.js";

/** A transport whose answers the test releases one by one, recording what was sent and when. */
function scripted() {
    const sent = [];
    const waiting = [];
    const transport = (path, body) => new Promise((resolve, reject) => {
        sent.push({ path, body: structuredClone(body) });
        waiting.push({ resolve, reject, path, body });
    });
    const next = () => new Promise(r => setImmediate(r));
    return { sent, waiting, transport, next };
}

test("actions go out one at a time, in the order taken", async () => {
    const t = scripted();
    const queue = new SendQueue({ transport: t.transport, sleep: async () => {} });
    const done = [];
    const a = queue.enqueue({ path: "submit", body: { clientId: "a" }, imageIds: [1] }).then(r => done.push(r.id));
    const b = queue.enqueue({ path: "submit", body: { clientId: "b" }, imageIds: [2] }).then(r => done.push(r.id));
    await t.next();
    // The second is not sent while the first is unanswered.
    assert.deepEqual(t.sent.map(s => s.body.clientId), ["a"]);
    assert.equal(queue.pending, 2);
    assert.deepEqual(queue.pendingImageIds().sort(), [1, 2]);
    t.waiting[0].resolve({ ok: true, status: 200, body: { id: "A" } });
    await a;
    await t.next();
    assert.deepEqual(t.sent.map(s => s.body.clientId), ["a", "b"]);
    t.waiting[1].resolve({ ok: true, status: 200, body: { id: "B" } });
    await b;
    await queue.idle();
    assert.deepEqual(done, ["A", "B"]);
    assert.equal(queue.pending, 0);
    assert.deepEqual(queue.pendingImageIds(), []);
});

test("a network failure or a 5xx is retried with the same client id, and the body function is called once", async () => {
    let calls = 0;
    const bodies = [];
    const answers = [() => { throw new TypeError("Failed to fetch"); }, () => ({ ok: false, status: 503, body: {} }), () => ({ ok: true, status: 200, body: { submissionId: 7 } })];
    const pauses = [];
    const troubles = [];
    const queue = new SendQueue({
        transport: async (_path, body) => { bodies.push(body); return answers[calls++](); },
        sleep: async ms => { pauses.push(ms); },
        onTrouble: text => troubles.push(text),
    });
    let made = 0;
    const result = await queue.enqueue({ path: "submit", body: () => ({ clientId: `id-${++made}` }) });
    assert.deepEqual(result, { submissionId: 7 });
    assert.equal(made, 1);
    assert.deepEqual(bodies.map(b => b.clientId), ["id-1", "id-1", "id-1"]);
    assert.equal(pauses.length, 2);
    assert.ok(pauses[1] > pauses[0], "the pause grows");
    assert.deepEqual(troubles, ["Connection trouble; retrying…", "Connection trouble; retrying…", ""]);
});

test("an undo's body is built after the submit it names is answered", async () => {
    const t = scripted();
    const queue = new SendQueue({ transport: t.transport, sleep: async () => {} });
    const entry = { submissionId: null };
    queue.enqueue({ path: "submit", body: { clientId: "s1" } }).then(r => { entry.submissionId = r.submissionId; });
    const undone = queue.enqueue({ path: "undo", body: () => ({ clientId: "u1", submissionId: entry.submissionId }) });
    await t.next();
    assert.equal(t.sent.length, 1);
    t.waiting[0].resolve({ ok: true, status: 200, body: { submissionId: 41 } });
    await t.next();
    await t.next();
    assert.deepEqual(t.sent.map(s => s.path), ["submit", "undo"]);
    assert.deepEqual(t.sent[1].body, { clientId: "u1", submissionId: 41 });
    t.waiting[1].resolve({ ok: true, status: 200, body: { submissionId: 42 } });
    assert.equal((await undone).submissionId, 42);
});

test("a 4xx halts the queue: the actions behind it are never sent", async () => {
    const sent = [];
    const halts = [];
    const queue = new SendQueue({
        transport: async (path, body) => {
            sent.push(body.clientId);
            return body.clientId === "bad" ? { ok: false, status: 409, body: { detail: "a class was deleted" } } : { ok: true, status: 200, body: {} };
        },
        sleep: async () => { throw new Error("a refusal is not retried"); },
        onHalt: m => halts.push(m),
    });
    const ok = queue.enqueue({ path: "submit", body: { clientId: "good" } });
    const bad = queue.enqueue({ path: "submit", body: { clientId: "bad" }, imageIds: [5] });
    const after = queue.enqueue({ path: "undo", body: () => ({ clientId: "later" }), imageIds: [6] });
    await ok;
    await assert.rejects(bad, e => e instanceof RefusedError && e.status === 409 && e.message === "a class was deleted");
    await assert.rejects(after, SkippedError);
    await queue.idle();
    assert.deepEqual(sent, ["good", "bad"]);
    assert.deepEqual(halts, ["a class was deleted"]);
    assert.equal(queue.halted, true);
    assert.equal(queue.pending, 0);
    assert.deepEqual(queue.pendingImageIds(), []);
});
