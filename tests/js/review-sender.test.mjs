// Sending review decisions: retries keep the same body (the same client id), refusals are thrown with their status,
// and the serial chain builds each body in its turn, after the one before has answered.
import { test } from "node:test";
import assert from "node:assert/strict";
import { poster, Serial, RefusedError, newClientId } from "../../wwwroot/js/review/sender.js";

test("network trouble and server errors are retried with the very same body until it is saved", async () => {
    const seen = [];
    const answers = [() => { throw new TypeError("network"); }, () => ({ ok: false, status: 503, body: {} }), () => ({ ok: true, status: 200, body: { version: 7 } })];
    const troubles = [];
    const post = poster({ transport: async (path, body) => { seen.push({ path, body }); return answers[seen.length - 1](); }, onTrouble: t => troubles.push(t), sleep: async () => {} });
    const body = { imageId: 4, clientId: "abc" };
    assert.deepEqual(await post("decide", body), { version: 7 });
    assert.equal(seen.length, 3);
    assert.ok(seen.every(s => s.body === body && s.path === "decide"));
    assert.equal(troubles.length, 2);
});

test("a refusal is thrown once with the server's detail and status, not retried", async () => {
    let calls = 0;
    const post = poster({ transport: async () => { calls++; return { ok: false, status: 409, body: { detail: "decided meanwhile" } }; }, sleep: async () => {} });
    await assert.rejects(post("decide", {}), e => e instanceof RefusedError && e.status === 409 && e.message === "decided meanwhile");
    assert.equal(calls, 1);
});

test("the serial chain runs tasks in order; a later task reads what an earlier one wrote; a failure does not stop it", async () => {
    const serial = new Serial();
    const item = { version: 1 };
    const sent = [];
    let release;
    const first = new Promise(r => { release = r; });
    serial.run(async () => { sent.push(item.version); await first; item.version = 2; });
    serial.run(async () => { throw new Error("refused"); });
    const last = serial.run(async () => { sent.push(item.version); });
    await new Promise(r => setImmediate(r));
    assert.deepEqual(sent, [1]);
    release();
    await last;
    assert.deepEqual(sent, [1, 2]);
});

test("client ids are 32 hex digits and differ", () => {
    const a = newClientId(), b = newClientId();
    assert.match(a, /^[0-9a-f]{32}$/);
    assert.notEqual(a, b);
});
