// Operators, presence and routing, through the real edge: two operators of different languages
// and limits (Dana: en/de, 3 chats; Sam: es/fr, 2 chats), the FIFO queue with live positions,
// auto-forward of an unanswered chat, manual transfer, the inactivity timeout, and account
// isolation of the presence and transfer APIs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startEdge, goOnline } from "./harness.mjs";
import { ProtoClient, newVisitor, getJson, postJson, login } from "./proto-client.mjs";
import { useEdge, secondAccount } from "./fixtures.mjs";

/** A visitor with browser language `language` starts a chat and connects; resolves the client. */
async function visitor(base, language) {
  const v = await newVisitor(base);
  const r = await postJson(base, "/api/v1/conversations", {
    channel_id: "demo", visitor_id: v.visitorId, visitor_token: v.visitorToken, page_url: `${base}/pricing`, language,
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const c = new ProtoClient({ base, conversationId: r.json.conversation_id, role: "visitor", ...v, timeoutMs: 20_000 });
  await c.start();
  return c;
}

const assignedTo = (c, name) => c.waitFor(() => c.routing?.state === "assigned" && c.routing.name === name, `assigned to ${name}`);
const queuedAt = (c, position) => c.waitFor(() => c.routing?.state === "queued" && c.routing.position === position, `queued at ${position}`);

async function events(base, cookie, id) {
  const r = await getJson(base, `/api/v1/console/conversations/${id}/events`, cookie);
  assert.equal(r.status, 200);
  return r.json.events;
}

async function presence(base, cookie) {
  const r = await getJson(base, "/api/v1/console/presence", cookie);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json;
}

// A second account whose admin Olga has the demo password.
const { edge, clients } = useEdge({
  online: [],
  extraSql: () => secondAccount({
    name: "Other account", at: 0,
    channels: [{ id: "other", name: "Other channel" }],
    operators: [{ id: "op_other", username: "olga", chat_name: "Olga", role: "admin" }],
  }),
  setup: async () => {
    dana = await goOnline(edge.base, "demo");
    sam = await goOnline(edge.base, "sam");
  },
});
let dana;
let sam;

test("visitors reach the operator who speaks their language; beyond capacity they queue and move up live", async () => {
  const { base } = edge;
  const p = await presence(base, dana);
  assert.deepEqual(p.presence.operators.map((o) => [o.name, o.online, o.channels]).sort(),
    [["Dana", true, ["demo"]], ["Sam", true, ["demo"]]]);

  const en = await visitor(base, "en-US");
  const es = await visitor(base, "es-ES");
  const fr = await visitor(base, "fr");
  clients.push(en, es, fr);
  await assignedTo(en, "Dana");
  await assignedTo(es, "Sam");
  await assignedTo(fr, "Sam");
  // Sam is full (2 of 2): a German and an English visitor go to Dana (3 of 3).
  const de = await visitor(base, "de");
  const en2 = await visitor(base, "en");
  clients.push(de, en2);
  await assignedTo(de, "Dana");
  await assignedTo(en2, "Dana");
  const list = await getJson(base, "/api/v1/console/conversations", dana);
  const row = list.json.conversations.find((c) => c.id === es.conversationId);
  assert.equal(row.operator_name, "Sam");
  assert.equal(row.visitor_language, "es-ES");

  // Everyone is full: the next visitors wait in line, with an estimate.
  const q1 = await visitor(base, "es");
  const q2 = await visitor(base, "en");
  clients.push(q1, q2);
  await queuedAt(q1, 1);
  await queuedAt(q2, 2);
  assert.ok(q1.routing.estimated_wait_ms > 0, JSON.stringify(q1.routing));

  // Sam's Spanish visitor leaves: the first in line gets Sam, the second moves up, live.
  es.sendFrame({ type: "end" });
  await assignedTo(q1, "Sam");
  await queuedAt(q2, 1);
  const evs = await events(base, dana, q1.conversationId);
  assert.ok(evs.some((e) => e.kind === "assigned" && JSON.parse(e.detail).how === "dequeued"), JSON.stringify(evs));

  // A French chat ends: q2 (English) gets the free slot, which is Sam's: availability first.
  fr.sendFrame({ type: "end" });
  await assignedTo(q2, "Sam");
});

test("a transfer moves the chat and counts as received; a full or unknown target is refused", async () => {
  const { base } = edge;
  // Sam is full again (q1, q2). Transferring to him is refused and changes nothing.
  const en = clients[0];
  const full = await postJson(base, `/api/v1/console/conversations/${en.conversationId}/transfer`, { operator_id: "op_sam" }, { cookie: dana });
  assert.equal(full.status, 409);
  assert.equal(full.json.error.code, "operator_unavailable");
  const unknown = await postJson(base, `/api/v1/console/conversations/${en.conversationId}/transfer`, { operator_id: "op_nobody" }, { cookie: dana });
  assert.equal(unknown.status, 404);
  const bad = await postJson(base, `/api/v1/console/conversations/${en.conversationId}/transfer`, { to: "op_sam" }, { cookie: dana });
  assert.equal(bad.status, 400);

  // A chat of Sam's ends; Dana hands her English visitor to Sam.
  clients[5].sendFrame({ type: "end" }); // q1
  await clients[5].waitFor(() => clients[5].status === "closed", "q1 closed");
  await assertEventually(async () => (await presence(base, dana)).presence.operators.find((o) => o.name === "Sam").ongoing === 1);
  const ok = await postJson(base, `/api/v1/console/conversations/${en.conversationId}/transfer`, { operator_id: "op_sam" }, { cookie: dana });
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  await assignedTo(en, "Sam");
  const evs = await events(base, dana, en.conversationId);
  const transfer = evs.map((e) => JSON.parse(e.detail)).find((d) => d.how === "transferred");
  assert.deepEqual([transfer.operator_id, transfer.from], ["op_sam", "op_demo"]);
  const p = await presence(base, sam);
  assert.equal(p.presence.chats.find((c) => c.conversation_id === en.conversationId).operator_id, "op_sam");
});

test("an operator of another account sees and changes nothing of this one", async () => {
  const { base } = edge;
  const olga = await login(base, { username: "olga" });
  const p = await presence(base, olga);
  assert.deepEqual(p.presence.operators.map((o) => o.name), ["Olga"], "only her own account's operators");
  assert.deepEqual(p.presence.chats, []);
  assert.deepEqual(p.channels.map((c) => c.id), ["other"]);
  const en = clients[0];
  const t = await postJson(base, `/api/v1/console/conversations/${en.conversationId}/transfer`, { operator_id: "op_other" }, { cookie: olga });
  assert.equal(t.status, 404);
  const join = await postJson(base, "/api/v1/console/presence", { join: "demo" }, { cookie: olga });
  assert.equal(join.status, 404, "cannot join another account's channel");
  // Dana cannot hand a chat to Olga either.
  const cross = await postJson(base, `/api/v1/console/conversations/${en.conversationId}/transfer`, { operator_id: "op_other" }, { cookie: dana });
  assert.equal(cross.status, 404);
  // Without a session, nothing.
  assert.equal((await getJson(base, "/api/v1/console/presence")).status, 401);
  assert.equal((await postJson(base, "/api/v1/console/presence", { online: true })).status, 401);
  const cross2 = await postJson(base, "/api/v1/console/presence", { online: true }, { cookie: dana, origin: "http://evil.example" });
  assert.equal(cross2.status, 403);
});

test("with nobody online the widget's availability says so, and a chat started anyway waits without an estimate", async () => {
  const { base } = edge;
  for (const cookie of [dana, sam]) {
    const r = await postJson(base, "/api/v1/console/presence", { online: false }, { cookie });
    assert.equal(r.status, 200);
  }
  const a = await postJson(base, "/api/v1/widget/availability", { channel_id: "demo" });
  assert.deepEqual(a.json, { available: false });
  const bad = await postJson(base, "/api/v1/widget/availability", { channel_id: "demo" }, { origin: "http://evil.example" });
  assert.equal(bad.status, 403);
  const late = await visitor(base, "en");
  clients.push(late);
  assert.equal(late.routing.state, "queued");
  assert.equal(late.routing.estimated_wait_ms, undefined);
  // Dana comes back: the chat that waited longest is hers, without anyone asking.
  await postJson(base, "/api/v1/console/presence", { online: true }, { cookie: dana });
  assert.equal((await postJson(base, "/api/v1/widget/availability", { channel_id: "demo" })).json.available, true);
});

test("a disabled operator's open socket stops working at once", async () => {
  const { base } = edge;
  const conv = clients[0].conversationId;
  const op = new ProtoClient({ base, conversationId: conv, role: "operator", cookie: sam, timeoutMs: 15_000, backoffMaxMs: 200 });
  await op.start();
  await op.waitForAck(op.send("Sam here, still helping."));
  const off = await postJson(base, "/api/v1/console/operators/op_sam", { disabled: true }, { cookie: dana });
  assert.equal(off.status, 200, JSON.stringify(off.json));
  // The socket is told session_ended and closed at once (4001), before anything more is sent.
  await op.waitFor(() => op.lastClose?.code === 4001, "the socket closed with session_ended");
  assert.ok(op.errors.some((e) => e.code === "session_ended"), JSON.stringify(op.errors));
  const id = op.send("one more from a disabled account");
  // Reconnecting is refused (no session), and nothing was stored.
  await op.waitFor(() => op.refusal?.status === 401, "reconnect refused");
  assert.ok(!op.acks.has(id), "the send was never acknowledged");
  await op.close();
  const texts = clients[0].transcript().map((m) => m.text);
  assert.ok(!texts.includes("one more from a disabled account"));
  const back = await postJson(base, "/api/v1/console/operators/op_sam", { disabled: false }, { cookie: dana });
  assert.equal(back.status, 200);
});

/** Polls an HTTP-observable condition (state changed by another object) until it holds. */
async function assertEventually(check, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("an unanswered chat is forwarded; an inactive operator goes offline and leaves the channel", async () => {
  const fast = await startEdge({
    online: [],
    vars: { PARLEY_FORWARD_AFTER_MS: "1500", PARLEY_OPERATOR_INACTIVITY_MS: "6000" },
  });
  try {
    const { base } = fast;
    const d = await goOnline(base, "demo");
    const s = await goOnline(base, "sam");
    const v = await visitor(base, "en");
    await assignedTo(v, "Dana");
    // Dana does not answer: after 1.5 s the chat goes to Sam, and the visitor sees it.
    await assignedTo(v, "Sam");
    const evs = await events(base, d, v.conversationId);
    const fwd = evs.map((e) => JSON.parse(e.detail)).find((x) => x.how === "forwarded");
    assert.deepEqual([fwd.operator_id, fwd.from], ["op_sam", "op_demo"]);
    // Sam answers: it stays his.
    const op = new ProtoClient({ base, conversationId: v.conversationId, role: "operator", cookie: s });
    await op.start();
    await op.waitForAck(op.send("Hola, soy Sam"));
    await assertEventually(async () =>
      (await presence(base, s)).presence.chats.find((c) => c.conversation_id === v.conversationId)?.answered === true);
    // Nobody touches the console for 6 s: both go offline and leave the channel (alarm).
    await assertEventually(async () => {
      const p = await presence(base, d);
      return p.presence.operators.every((o) => !o.online && o.channels.length === 0);
    }, 20_000);
    assert.equal((await presence(base, s)).presence.chats.find((c) => c.conversation_id === v.conversationId).operator_id, "op_sam",
      "an answered chat stays with its operator");
    await op.close();
    await v.close();
  } finally {
    await fast.stop();
    fast.cleanup();
  }
});
