// Hostile and broken input against a real `wrangler dev` with the DEFAULT limits: a corpus of
// bad WebSocket frames and refused HTTP/upgrade requests, each asserting the exact error code
// the protocol promises (protocol/src/protocol.rs, edge/src/api.rs). Afterwards the server must
// be unharmed: a normal exchange still works and every conversation touched holds exactly the
// messages that were acknowledged — nothing a refused frame carried was stored.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import {
  ProtoClient, upgrade, wsUrl, postJson, newVisitor, newConversation, readTranscript, PROTOCOL,
} from "./proto-client.mjs";
import { useEdge } from "./fixtures.mjs";

const EVIL = "https://evil.example";
// The default rate limit (20 burst, 2/s): the flood case relies on it.
const { edge } = useEdge({
  setup: async () => {
    cookie = await edge.login();
  },
});
let cookie;
/** Every conversation touched: conversationId → { creds, acked: Set<client_id> }. */
const touched = new Map();

// ---------------------------------------------------------------------------------------------
// Helpers

/** A fresh conversation, remembered for the final transcript check. */
async function conversation() {
  const conv = await newConversation(edge.base);
  touched.set(conv.conversationId, { conv, acked: new Set() });
  return conv;
}

/** Opens a visitor socket of `conv` (not yet greeted). */
async function visitorSocket(conv) {
  const r = await upgrade(wsUrl(edge.base, conv.conversationId, "visitor", conv), { Origin: edge.base });
  assert.equal(r.status, 101, `upgrade refused: ${r.status} ${r.body}`);
  return r.ws;
}

/** The next frame that answers the client (skipping broadcasts: message, status, typing). */
function reply(ws, timeoutMs = 10_000) {
  return ws.nextMatching((f) => !["message", "status", "typing"].includes(f?.type), timeoutMs);
}

/** A visitor socket of a fresh conversation, through the hello/welcome handshake. */
async function greeted() {
  const conv = await conversation();
  const ws = await visitorSocket(conv);
  ws.sendText(JSON.stringify({ type: "hello", protocol: PROTOCOL, last_seq: 0 }));
  const welcome = await reply(ws);
  assert.equal(welcome.type, "welcome", JSON.stringify(welcome));
  return { conv, ws };
}

/** Asserts the socket is still open and serving: ping → pong. */
async function assertAlive(ws) {
  ws.sendText(JSON.stringify({ type: "ping" }));
  assert.deepEqual(await reply(ws), { type: "pong" }, "the socket still answers after the refusal");
}

/** Asserts an `error` frame with `code`; `clientId`: a string it must carry, null for none. */
function assertError(frame, code, clientId) {
  assert.equal(frame?.type, "error", `expected error ${code}, got ${JSON.stringify(frame)}`);
  assert.equal(frame.code, code, `expected ${code}, got ${JSON.stringify(frame)}`);
  if (clientId === null) assert.equal(frame.client_id, undefined, `no client_id expected: ${JSON.stringify(frame)}`);
  else if (clientId !== undefined) assert.equal(frame.client_id, clientId, `client_id of ${JSON.stringify(frame)}`);
}

const send = (client_id, text, extra = {}) => JSON.stringify({ type: "send", client_id, text, ...extra });

// ---------------------------------------------------------------------------------------------
// Bad frames on a greeted socket: an error with the exact code, the socket stays open, nothing
// is stored. `clientId`: the id the error must name (null: must name none; absent: unchecked).

const FRAME_CASES = [
  // Not JSON at all.
  { name: "plain text", frame: "not json", code: "malformed" },
  { name: "truncated JSON", frame: '{"type":"send","client_id":"m1"', code: "malformed" },
  { name: "empty frame", frame: "", code: "malformed" },
  { name: "single-quoted JSON", frame: "{'type':'ping'}", code: "malformed" },
  { name: "trailing garbage", frame: '{"type":"ping"} x', code: "malformed" },
  // JSON, but not an object with a string type.
  { name: "JSON array", frame: '[{"type":"ping"}]', code: "malformed" },
  { name: "JSON string", frame: '"ping"', code: "malformed" },
  { name: "JSON number", frame: "42", code: "malformed" },
  { name: "JSON null", frame: "null", code: "malformed" },
  { name: "object without type", frame: '{"client_id":"m1","text":"hi"}', code: "malformed" },
  { name: "numeric type", frame: '{"type":7}', code: "malformed" },
  { name: "null type", frame: '{"type":null}', code: "malformed" },
  // Known type, wrong shape.
  { name: "send without text", frame: '{"type":"send","client_id":"m1"}', code: "malformed", clientId: "m1" },
  { name: "send without client_id", frame: '{"type":"send","text":"hi"}', code: "malformed", clientId: null },
  { name: "numeric client_id", frame: '{"type":"send","client_id":5,"text":"hi"}', code: "malformed", clientId: null },
  { name: "text as array", frame: '{"type":"send","client_id":"m1","text":["hi"]}', code: "malformed", clientId: "m1" },
  { name: "text as null", frame: '{"type":"send","client_id":"m1","text":null}', code: "malformed", clientId: "m1" },
  { name: "typing as string", frame: '{"type":"typing","typing":"yes"}', code: "malformed" },
  { name: "typing without field", frame: '{"type":"typing"}', code: "malformed" },
  { name: "hello with string protocol", frame: '{"type":"hello","protocol":"1","last_seq":0}', code: "malformed" },
  { name: "hello with negative last_seq", frame: '{"type":"hello","protocol":1,"last_seq":-1}', code: "malformed" },
  { name: "hello with fractional last_seq", frame: '{"type":"hello","protocol":1,"last_seq":1.5}', code: "malformed" },
  // Unknown fields are refused, not ignored.
  { name: "send with unknown field", frame: send("m1", "hi", { html: "<b>hi</b>" }), code: "malformed", clientId: "m1" },
  { name: "send with author field", frame: send("m1", "hi", { author: { role: "operator", name: "Dana" } }), code: "malformed", clientId: "m1" },
  { name: "typing with unknown field", frame: '{"type":"typing","typing":true,"to":"all"}', code: "malformed" },
  { name: "ping with unknown field", frame: '{"type":"ping","extra":1}', code: "malformed" },
  { name: "end with unknown field", frame: '{"type":"end","reason":"bye"}', code: "malformed" },
  // Types the protocol does not have.
  { name: "unknown type", frame: '{"type":"explode"}', code: "unknown_type" },
  { name: "type in upper case", frame: send("m1", "hi").replace('"send"', '"SEND"'), code: "unknown_type" },
  { name: "empty type", frame: '{"type":""}', code: "unknown_type" },
  { name: "server-only type", frame: '{"type":"ack","client_id":"m1","seq":1,"at":0}', code: "unknown_type" },
  { name: "markup type", frame: '{"type":"<script>alert(1)</script>"}', code: "unknown_type" },
  // Binary frames are not part of the protocol.
  { name: "binary frame", binary: Buffer.from(send("m1", "hi")), code: "malformed" },
  // Message text.
  { name: "message too long (4001 ASCII)", frame: send("m1", "x".repeat(4001)), code: "message_too_long", clientId: "m1" },
  { name: "message too long (4001 é)", frame: send("m1", "é".repeat(4001)), code: "message_too_long", clientId: "m1" },
  { name: "empty message", frame: send("m1", ""), code: "empty_message", clientId: "m1" },
  { name: "whitespace message", frame: send("m1", "  \n\t  "), code: "empty_message", clientId: "m1" },
  { name: "control characters only", frame: send("m1", "\u0000\u0007\u001b"), code: "empty_message", clientId: "m1" },
  // Client ids: 1-64 of [A-Za-z0-9_-]; a bad id is never echoed back.
  { name: "client_id with a space", frame: send("a b", "hi"), code: "bad_client_id", clientId: null },
  { name: "empty client_id", frame: send("", "hi"), code: "bad_client_id", clientId: null },
  { name: "client_id of 65 chars", frame: send("a".repeat(65), "hi"), code: "bad_client_id", clientId: null },
  { name: "markup client_id", frame: send("<img src=x onerror=alert(1)>", "hi"), code: "bad_client_id", clientId: null },
  { name: "client_id with SQL", frame: send("m1';DROP TABLE messages;--", "hi"), code: "bad_client_id", clientId: null },
  { name: "non-ASCII client_id", frame: send("mé1", "hi"), code: "bad_client_id", clientId: null },
];

for (const c of FRAME_CASES) {
  test(`frame: ${c.name} → ${c.code}`, async () => {
    const { ws } = await greeted();
    if (c.binary) ws.sendBinary(c.binary);
    else ws.sendText(c.frame);
    // Strictly the next frame: a refused frame changes nothing, so nothing is broadcast either.
    assertError(await ws.next(), c.code, c.clientId);
    ws.sendText(JSON.stringify({ type: "ping" }));
    assert.deepEqual(await ws.next(), { type: "pong" }, "the socket still answers after the refusal");
    ws.close();
  });
}

// ---------------------------------------------------------------------------------------------
// Frames that are refused by protocol state or size.

test("frame: send before hello → hello_required (naming the send), then hello works", async () => {
  const conv = await conversation();
  const ws = await visitorSocket(conv);
  ws.sendText(send("early", "too early"));
  assertError(await reply(ws), "hello_required", "early");
  ws.sendText(JSON.stringify({ type: "ping" }));
  assertError(await reply(ws), "hello_required");
  ws.sendText(JSON.stringify({ type: "typing", typing: true }));
  assertError(await reply(ws), "hello_required");
  ws.sendText(JSON.stringify({ type: "hello", protocol: PROTOCOL, last_seq: 0 }));
  const welcome = await reply(ws);
  assert.equal(welcome.type, "welcome");
  assert.deepEqual(welcome.history, [], "the early send was not stored");
  ws.close();
});

// 1: the protocol before v2 (senders got their own message back), refused since.
for (const protocol of [1, 0, 999]) {
  test(`frame: hello with protocol ${protocol} → incompatible, close 4000`, async () => {
    const conv = await conversation();
    const ws = await visitorSocket(conv);
    ws.sendText(JSON.stringify({ type: "hello", protocol, last_seq: 0 }));
    const f = await reply(ws);
    assert.equal(f.type, "incompatible", JSON.stringify(f));
    assert.equal(f.supported, PROTOCOL);
    assert.equal(typeof f.reason, "string");
    const closed = await ws.closed;
    assert.equal(closed.code, 4000, `close code ${JSON.stringify(closed)}`);
  });
}

test("frame: larger than 16384 bytes → frame_too_large, close 1009", async () => {
  const { ws } = await greeted();
  ws.sendText(send("big", "x".repeat(16_400)));
  assertError(await reply(ws), "frame_too_large");
  const closed = await ws.closed;
  assert.equal(closed.code, 1009, `close code ${JSON.stringify(closed)}`);
});

test("frame: message at the limits is accepted (4000 é, trimmed)", async () => {
  const { conv, ws } = await greeted();
  const text = "é".repeat(4000);
  ws.sendText(send("edge", `  ${text}\n `));
  const ack = await reply(ws);
  assert.equal(ack.type, "ack", JSON.stringify(ack).slice(0, 200));
  touched.get(conv.conversationId).acked.add("edge");
  const [stored] = await readTranscript(edge.base, conv.conversationId, { role: "visitor", ...conv });
  assert.equal(stored.text, text);
  ws.close();
});

test("frame: flood over the default rate limit → rate_limited, only acked messages stored", async () => {
  const conv = await conversation();
  const ws = await visitorSocket(conv);
  ws.sendText(JSON.stringify({ type: "hello", protocol: PROTOCOL, last_seq: 0 }));
  assert.equal((await reply(ws)).type, "welcome");
  const N = 60;
  for (let i = 1; i <= N; i++) ws.sendText(send(`f${i}`, `flood ${i}`));
  const acked = new Set(), limited = new Set(), other = [];
  while (acked.size + limited.size + other.length < N) {
    const f = await reply(ws);
    if (f.type === "ack") acked.add(f.client_id);
    else if (f.type === "error" && f.code === "rate_limited") limited.add(f.client_id);
    else other.push(f);
  }
  assert.deepEqual(other, [], "only acks and rate_limited errors");
  assert.ok(limited.size > 0, `no rate_limited among ${N} sends`);
  assert.ok(acked.size >= 1 && acked.size < N, `${acked.size} acked`);
  for (const id of limited) assert.ok(/^f\d+$/.test(id) && !acked.has(id), `rate_limited names a refused send: ${id}`);
  // A limited send succeeds when retried later (the bucket refills at 2/s).
  const retry = [...limited][0];
  await sleep(1_200); // retry backoff
  ws.sendText(send(retry, `flood ${retry.slice(1)}`));
  const again = await reply(ws);
  assert.equal(again.type, "ack", `retry of ${retry}: ${JSON.stringify(again)}`);
  acked.add(retry);
  for (const id of acked) touched.get(conv.conversationId).acked.add(id);
  const transcript = await readTranscript(edge.base, conv.conversationId, { role: "visitor", ...conv });
  assert.deepEqual(new Set(transcript.map((m) => m.client_id)), acked, "the transcript holds exactly the acked sends");
  console.log(`bad-input flood: sent ${N}, acked ${acked.size - 1} + 1 retried, rate_limited ${limited.size}`);
  ws.close();
});

test("frame: send after end → conversation_closed (naming the send)", async () => {
  const { conv, ws } = await greeted();
  ws.sendText(send("before", "before the end"));
  assert.equal((await reply(ws)).type, "ack");
  touched.get(conv.conversationId).acked.add("before");
  ws.sendText(JSON.stringify({ type: "end" }));
  const status = await ws.nextMatching((f) => f.type === "status" || f.type === "error");
  assert.deepEqual(status, { type: "status", status: "closed" });
  ws.sendText(send("after", "after the end"));
  assertError(await reply(ws), "conversation_closed", "after");
  // A retry of a message stored before the end is still acknowledged with its seq.
  ws.sendText(send("before", "before the end"));
  assert.deepEqual(await reply(ws).then((f) => [f.type, f.seq]), ["ack", 1]);
  await assertAlive(ws);
  ws.close();
});

test("frame: markup and look-alike payloads are stored verbatim as text", async () => {
  const texts = [
    "<script>alert(1)</script>",
    `<img src=x onerror="alert(1)">`,
    "&lt;b&gt;bold&lt;/b&gt; & \"quotes\" 'apostrophes'",
    '{"type":"send","client_id":"x","text":"nested"}',
    "'; DROP TABLE messages; --",
    "\u202Egnp.exe",
    "line one\nline two\ttabbed",
    "emoji 🧪 and 中文",
  ];
  const { conv, ws } = await greeted();
  for (const [i, text] of texts.entries()) {
    ws.sendText(send(`mk${i}`, text));
    const ack = await reply(ws);
    assert.equal(ack.type, "ack", JSON.stringify(ack));
    touched.get(conv.conversationId).acked.add(`mk${i}`);
  }
  const transcript = await readTranscript(edge.base, conv.conversationId, { role: "operator", cookie });
  assert.deepEqual(transcript.map((m) => m.text), texts);
  ws.close();
});

// ---------------------------------------------------------------------------------------------
// HTTP API and WebSocket upgrade refusals: exact status and error code.

/** `POST` with the given origin (null: none). */
const post = (path, body, origin = edge.base) => postJson(edge.base, path, body, { origin });
/** A WebSocket upgrade attempt; resolves `{status, json}` (or a socket when accepted). */
async function tryUpgrade(conversationId, role, visitor, headers) {
  const r = await upgrade(wsUrl(edge.base, conversationId, role, visitor), headers);
  r.ws?.destroy();
  return r;
}

const HTTP_CASES = [
  {
    name: "widget session from a foreign origin", status: 403, code: "origin_not_allowed",
    run: () => post("/api/v1/widget/session", { channel_id: "demo" }, EVIL),
  },
  {
    name: "widget session without Origin", status: 403, code: "origin_required",
    run: () => post("/api/v1/widget/session", { channel_id: "demo" }, null),
  },
  {
    name: "widget session from a look-alike host", status: 403, code: "origin_not_allowed",
    run: () => post("/api/v1/widget/session", { channel_id: "demo" }, "http://127.0.0.1.evil.example"),
  },
  {
    name: "widget session for an unknown channel", status: 404, code: "unknown_channel",
    run: () => post("/api/v1/widget/session", { channel_id: "nope" }),
  },
  {
    name: "widget session with a broken JSON body", status: 400, code: "malformed",
    run: () => postJson(edge.base, "/api/v1/widget/session", null, { raw: '{"channel_id":' }),
  },
  {
    name: "conversation from a foreign origin", status: 403, code: "origin_not_allowed",
    run: async (ctx) => post("/api/v1/conversations", ctx.createBody, EVIL),
  },
  {
    name: "conversation without Origin", status: 403, code: "origin_required",
    run: async (ctx) => post("/api/v1/conversations", ctx.createBody, null),
  },
  {
    name: "conversation with a bad visitor token", status: 403, code: "bad_visitor_token",
    run: async (ctx) => post("/api/v1/conversations", { ...ctx.createBody, visitor_token: "forged" }),
  },
  {
    name: "conversation with another visitor's token", status: 403, code: "bad_visitor_token",
    run: async (ctx) => post("/api/v1/conversations", { ...ctx.createBody, visitor_token: ctx.other.visitorToken }),
  },
  {
    name: "visitor WS from a foreign origin", status: 403, code: "origin_not_allowed",
    run: (ctx) => tryUpgrade(ctx.conv.conversationId, "visitor", ctx.conv, { Origin: EVIL }),
  },
  {
    name: "visitor WS without Origin", status: 403, code: "origin_required",
    run: (ctx) => tryUpgrade(ctx.conv.conversationId, "visitor", ctx.conv, {}),
  },
  {
    name: "visitor WS with a bad token", status: 403, code: "not_your_conversation",
    run: (ctx) => tryUpgrade(ctx.conv.conversationId, "visitor", { ...ctx.conv, visitorToken: "forged" }, { Origin: edge.base }),
  },
  {
    name: "visitor WS without a token", status: 403, code: "bad_visitor_token",
    run: (ctx) => tryUpgrade(ctx.conv.conversationId, "visitor", { visitorId: ctx.conv.visitorId }, { Origin: edge.base }),
  },
  {
    name: "visitor WS into another visitor's conversation", status: 403, code: "not_your_conversation",
    run: (ctx) => tryUpgrade(ctx.conv.conversationId, "visitor", ctx.other, { Origin: edge.base }),
  },
  {
    name: "visitor WS to an unknown conversation", status: 404, code: "unknown_conversation",
    run: (ctx) => tryUpgrade("c_000000000000000000000000", "visitor", ctx.conv, { Origin: edge.base }),
  },
  {
    name: "visitor WS to a malformed conversation id", status: 404, code: "unknown_conversation",
    run: (ctx) => tryUpgrade("<script>", "visitor", ctx.conv, { Origin: edge.base }),
  },
  {
    name: "operator WS without cookie", status: 401, code: "unauthenticated",
    run: (ctx) => tryUpgrade(ctx.conv.conversationId, "operator", {}, { Origin: edge.base }),
  },
  {
    name: "operator WS with a forged cookie", status: 401, code: "unauthenticated",
    run: (ctx) => tryUpgrade(ctx.conv.conversationId, "operator", {}, { Origin: edge.base, Cookie: "parley_session=forged" }),
  },
  {
    name: "operator WS from a foreign origin", status: 403, code: "bad_origin",
    run: (ctx) => tryUpgrade(ctx.conv.conversationId, "operator", {}, { Origin: EVIL, Cookie: cookie }),
  },
  {
    name: "operator WS without Origin", status: 403, code: "bad_origin",
    run: (ctx) => tryUpgrade(ctx.conv.conversationId, "operator", {}, { Cookie: cookie }),
  },
  {
    name: "WS with an unknown role", status: 400, code: "malformed",
    run: (ctx) => tryUpgrade(ctx.conv.conversationId, "admin", ctx.conv, { Origin: edge.base, Cookie: cookie }),
  },
  {
    name: "plain GET on the WS route", status: 426, code: "upgrade_required",
    run: async (ctx) => {
      const res = await fetch(wsUrl(edge.base, ctx.conv.conversationId, "visitor", ctx.conv).replace(/^ws/, "http"),
        { headers: { origin: edge.base } });
      return { status: res.status, json: await res.json().catch(() => null) };
    },
  },
  {
    name: "login from a foreign origin", status: 403, code: "bad_origin",
    run: () => post("/api/v1/auth/login", { username: "demo", password: "parley-demo" }, EVIL),
  },
];

test("HTTP and upgrade refusals", async (t) => {
  const conv = await conversation();
  const other = await newVisitor(edge.base);
  const ctx = {
    conv, other,
    createBody: { channel_id: "demo", visitor_id: conv.visitorId, visitor_token: conv.visitorToken, page_url: "x" },
  };
  for (const c of HTTP_CASES) {
    await t.test(`${c.name} → ${c.status} ${c.code}`, async () => {
      const r = await c.run(ctx);
      assert.equal(r.status, c.status, `status of ${c.name}: ${r.status} ${JSON.stringify(r.json)}`);
      assert.equal(r.json?.error?.code, c.code, `code of ${c.name}: ${JSON.stringify(r.json)}`);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// After the corpus.

test("the server is unharmed: a normal exchange works and transcripts hold only acked messages", async () => {
  assert.ok(FRAME_CASES.length + 3 + 5 + HTTP_CASES.length >= 30, "corpus of at least 30 bad inputs");
  // A normal exchange on a fresh conversation, visitor ↔ operator.
  const conv = await conversation();
  const visitor = new ProtoClient({ base: edge.base, role: "visitor", ...conv, label: "ok" });
  const operator = new ProtoClient({ base: edge.base, conversationId: conv.conversationId, role: "operator", cookie, label: "op" });
  await Promise.all([visitor.start(), operator.start()]);
  const q = visitor.send("Still there?");
  await visitor.waitForAck(q);
  const a = operator.send("Yes, all good.");
  await operator.waitForAck(a);
  await Promise.all([visitor.waitForMessages(2), operator.waitForMessages(2)]);
  assert.deepEqual(visitor.transcript().map((m) => m.text), ["Still there?", "Yes, all good."]);
  await Promise.all([visitor.close(), operator.close()]);
  touched.get(conv.conversationId).acked.add(q).add(a);

  // Every conversation the corpus touched holds exactly what was acknowledged.
  for (const [id, { conv: c, acked }] of touched) {
    const transcript = await readTranscript(edge.base, id, { role: "visitor", ...c });
    assert.deepEqual(new Set(transcript.map((m) => m.client_id)), acked, `conversation ${id}`);
  }
  console.log(`bad-input: ${touched.size} conversations checked, server unharmed`);
});
