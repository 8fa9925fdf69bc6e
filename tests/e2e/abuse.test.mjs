// Floods against a real `wrangler dev` (issue 18): each flood is refused with its code — 429
// `rate_limited` with `Retry-After` over HTTP, an `error` frame on a socket — while legitimate
// traffic from other visitors, addresses, channels and conversations in the same run goes
// through. Client addresses are played with `CF-Connecting-IP` (Cloudflare sets it in
// production; `wrangler dev` keeps the one a client sends, and a request without one is local
// and not counted at the address doors). Some windows are lowered through their variables so
// the floods stay short; the others run at their defaults (`protocol/src/limits.rs`).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  upgrade, wsUrl, postJson, getJson, newVisitor, newConversation, PROTOCOL,
} from "./proto-client.mjs";
import { useEdge, C } from "./fixtures.mjs";

const VARS = {
  PARLEY_LIMIT_CHAT_ADDRESS: "4/600",
  PARLEY_LIMIT_CHAT_CHANNEL: "40/600",
  PARLEY_LIMIT_OFFLINE_ADDRESS: "3/3600",
  PARLEY_LIMIT_REPORT_LINK: "4/60",
  PARLEY_LIMIT_REPORT_ADDRESS: "3/60",
  PARLEY_CONVERSATION_CAP: "6/100000",
  // The events doors are counted by the tally shard the batch goes to: one shard here, so an
  // address's batches all meet in it whatever their visitor.
  PARLEY_LIMIT_EVENTS_ADDRESS: "300/3600",
  PARLEY_TALLY_SHARDS: "1",
};
const { edge } = useEdge({
  vars: VARS,
  // A second channel of the demo account on the same hosts, with nobody in it.
  extraSql: `
INSERT INTO channels (id, account_id, name, created_at) VALUES ('side', 'acc_demo', 'Side channel', 1);
INSERT INTO channel_hosts (channel_id, host_id) VALUES ('side', 'h_demo_ip'), ('side', 'h_demo_local');
`,
  setup: async () => {
    cookie = await edge.login();
  },
});
let cookie;

// ---------------------------------------------------------------------------------------------
// Helpers

/** POSTs a visitor's JSON body from the demo page's origin, from client address `ip` (none: local). */
async function post(path, body, ip) {
  const headers = { "content-type": "application/json", origin: edge.base };
  if (ip) headers["cf-connecting-ip"] = ip;
  const res = await fetch(edge.base + path, { method: "POST", headers, body: JSON.stringify(body) });
  const json = await res.json().catch(() => null);
  return { status: res.status, json, headers: res.headers };
}

/** GETs `path` from client address `ip` (none: local). */
async function get(path, ip) {
  const headers = ip ? { "cf-connecting-ip": ip } : {};
  const res = await fetch(edge.base + path, { headers });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* CSV */ }
  return { status: res.status, json, text, headers: res.headers };
}

const creds = (v, channel = "demo") => ({ channel_id: channel, visitor_id: v.visitorId, visitor_token: v.visitorToken });
const startChat = (v, { channel = "demo", ip } = {}) =>
  post("/api/v1/conversations", { ...creds(v, channel), page_url: `${edge.base}/` }, ip);

/** Asserts a 429 `rate_limited` (or `code`) with a `Retry-After` of 1 s to `maxSecs`. */
function assertLimited(r, maxSecs, code = "rate_limited", status = 429) {
  assert.equal(r.status, status, JSON.stringify(r.json));
  assert.equal(r.json?.error?.code, code, JSON.stringify(r.json));
  const after = Number(r.headers.get ? r.headers.get("retry-after") : r.headers["retry-after"]);
  assert.ok(Number.isInteger(after) && after >= 1 && after <= maxSecs, `Retry-After ${after} (≤ ${maxSecs})`);
  return after;
}

/** A greeted visitor socket of `conv`. */
async function visitorSocket(conv) {
  const r = await upgrade(wsUrl(edge.base, conv.conversationId, "visitor", conv), { Origin: edge.base });
  assert.equal(r.status, 101, `upgrade refused: ${r.status} ${r.body}`);
  r.ws.sendText(JSON.stringify({ type: "hello", protocol: PROTOCOL, last_seq: 0 }));
  const welcome = await r.ws.nextMatching((f) => f?.type === "welcome");
  return { ws: r.ws, welcome };
}

/** Ends `conv` from the visitor's side and waits for its `closed` status. */
async function endChat(conv) {
  const { ws } = await visitorSocket(conv);
  ws.sendText(JSON.stringify({ type: "end" }));
  await ws.nextMatching((f) => f?.type === "status" && f.status === "closed");
  ws.close();
}

// ---------------------------------------------------------------------------------------------
// New chats

test("new chats: per visitor (default 5 in 10 min), refused with Retry-After; other visitors go on", async () => {
  const v = await newVisitor(edge.base);
  const ids = new Set();
  let reused = 0;
  for (let n = 1; n <= 5; n++) {
    // The chat before is closed in the object at once and in D1 a moment later: until then the
    // same open chat is answered (a reuse, not counted), so ask until a new one starts.
    let r;
    do {
      r = await startChat(v);
      assert.equal(r.status, 200, JSON.stringify(r.json));
      if (ids.has(r.json.conversation_id)) reused++;
    } while (ids.has(r.json.conversation_id));
    ids.add(r.json.conversation_id);
    await endChat({ conversationId: r.json.conversation_id, ...v });
  }
  let r;
  do {
    r = await startChat(v);
    if (r.status === 200) reused++;
  } while (r.status === 200 && ids.has(r.json.conversation_id));
  const after = assertLimited(r, 600);
  assert.match(r.json.error.message, /too many new chats/);
  console.log(`abuse: the visitor's 6th chat refused, Retry-After ${after} s (${reused} answers of a chat closing meanwhile)`);
  // Another visitor starts at once.
  const other = await startChat(await newVisitor(edge.base));
  assert.equal(other.status, 200, JSON.stringify(other.json));
});

test("new chats: per client address (4 in 10 min here), fresh visitor ids do not help; another address goes on", async () => {
  const flood = "203.0.113.7";
  for (let n = 1; n <= 4; n++) {
    const r = await startChat(await newVisitor(edge.base), { ip: flood });
    assert.equal(r.status, 200, `chat ${n}: ${JSON.stringify(r.json)}`);
  }
  const refused = await startChat(await newVisitor(edge.base), { ip: flood });
  assertLimited(refused, 600);
  // A refusal changes nothing: the refused visitor has no conversation.
  const v = await newVisitor(edge.base);
  assertLimited(await startChat(v, { ip: flood }), 600);
  const session = await post("/api/v1/widget/session", { channel_id: "demo", visitor_id: v.visitorId, visitor_token: v.visitorToken });
  assert.equal(session.json.conversation_id ?? null, null, "the refused chat was not created");
  // Another address, and a local one, go on.
  assert.equal((await startChat(await newVisitor(edge.base), { ip: "198.51.100.20" })).status, 200);
  assert.equal((await startChat(await newVisitor(edge.base))).status, 200);
});

test("new chats: per channel (40 in 10 min here) from many addresses; another channel goes on", async () => {
  for (let n = 1; n <= 40; n++) {
    const r = await startChat(await newVisitor(edge.base, { channel: "side" }), { channel: "side", ip: `192.0.2.${n}` });
    assert.equal(r.status, 200, `chat ${n}: ${JSON.stringify(r.json)}`);
  }
  const r = await startChat(await newVisitor(edge.base, { channel: "side" }), { channel: "side", ip: "192.0.2.99" });
  assertLimited(r, 600);
  assert.match(r.json.error.message, /channel/);
  assert.equal(r.headers.get("access-control-allow-origin"), edge.base, "the widget can read its refusal");
  assert.equal((await startChat(await newVisitor(edge.base), { ip: "198.51.100.21" })).status, 200);
});

test("one open conversation per visitor and channel: five starts at once give one conversation", async () => {
  const v = await newVisitor(edge.base);
  const answers = await Promise.all(Array.from({ length: 5 }, () => startChat(v)));
  for (const a of answers) assert.equal(a.status, 200, JSON.stringify(a.json));
  const ids = new Set(answers.map((a) => a.json.conversation_id));
  assert.equal(ids.size, 1, `one conversation: ${[...ids]}`);
  const session = await post("/api/v1/widget/session", { channel_id: "demo", visitor_id: v.visitorId, visitor_token: v.visitorToken });
  assert.equal(session.json.conversation_id, [...ids][0]);
});

// ---------------------------------------------------------------------------------------------
// Sockets

test("frames: every kind takes the socket's bucket (40 burst); the flood's page frames stop reaching operators", async () => {
  const conv = await newConversation(edge.base);
  const { ws } = await visitorSocket(conv);
  const op = await upgrade(wsUrl(edge.base, conv.conversationId, "operator"), { Origin: edge.base, Cookie: cookie });
  assert.equal(op.status, 101, op.body);
  op.ws.sendText(JSON.stringify({ type: "hello", protocol: PROTOCOL, last_seq: 0 }));
  await op.ws.nextMatching((f) => f?.type === "welcome");
  // 100 page frames (each a new page: each accepted one is an update for operators), 20 typing.
  const N = 100;
  for (let i = 0; i < N; i++) ws.sendText(JSON.stringify({ type: "page", url: `${edge.base}/p${i}`, title: `P${i}` }));
  for (let i = 0; i < 20; i++) ws.sendText(JSON.stringify({ type: "typing", typing: i % 2 === 0 }));
  // Every refused frame is answered `rate_limited` (no client_id); every accepted page is one
  // update for the operator, every accepted typing one typing frame. Wait until all 120 are
  // accounted for.
  let refused = 0, updates = 0, typing = 0;
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${refused} + ${updates} + ${typing} of ${N + 20}`)), 20_000);
    const check = () => {
      if (refused + updates + typing >= N + 20) {
        clearTimeout(timer);
        resolve();
      }
    };
    const parse = (t) => { try { return JSON.parse(t); } catch { return null; } };
    ws.on("text", (t) => {
      const f = parse(t);
      if (f?.type !== "error") return;
      if (f.code !== "rate_limited" || f.client_id !== undefined) reject(new Error(`unexpected ${t}`));
      refused++;
      check();
    });
    op.ws.on("text", (t) => {
      const f = parse(t);
      if (f?.type === "visitor") updates++;
      if (f?.type === "typing") typing++;
      check();
    });
  });
  assert.ok(refused > 0, "some frames refused");
  // The burst (40) and what refilled meanwhile (5 a second) at most.
  assert.ok(updates + typing <= 70, `the flood was cut: ${updates} pages, ${typing} typing reached the operator`);
  console.log(`abuse: frames sent ${N + 20}, refused ${refused}, page updates ${updates}, typing ${typing}`);
  // Another conversation's socket is not held back.
  const other = await newConversation(edge.base);
  const o = await visitorSocket(other);
  o.ws.sendText(JSON.stringify({ type: "ping" }));
  assert.deepEqual(await o.ws.nextMatching((f) => f?.type === "pong"), { type: "pong" });
  for (const s of [ws, op.ws, o.ws]) s.close();
});

test("sockets per conversation: the 21st is refused 429 too_many_sockets with Retry-After; another conversation opens", async () => {
  const conv = await newConversation(edge.base);
  const open = [];
  for (let i = 0; i < 20; i++) {
    const r = await upgrade(wsUrl(edge.base, conv.conversationId, "visitor", conv), { Origin: edge.base });
    assert.equal(r.status, 101, `socket ${i + 1}: ${r.status} ${r.body}`);
    open.push(r.ws);
  }
  const r = await upgrade(wsUrl(edge.base, conv.conversationId, "visitor", conv), { Origin: edge.base });
  assertLimited(r, 60, "too_many_sockets");
  const other = await newConversation(edge.base);
  const ok = await upgrade(wsUrl(edge.base, other.conversationId, "visitor", other), { Origin: edge.base });
  assert.equal(ok.status, 101);
  // The first sockets still serve.
  open[0].sendText(JSON.stringify({ type: "hello", protocol: PROTOCOL, last_seq: 0 }));
  assert.equal((await open[0].nextMatching((f) => f?.type === "welcome")).type, "welcome");
  for (const s of [...open, ok.ws]) s.close();
});

test("a conversation holds its most messages (6 here): the next send is refused conversation_full, others still chat", async () => {
  const conv = await newConversation(edge.base);
  const { ws } = await visitorSocket(conv);
  for (let i = 1; i <= 6; i++) {
    ws.sendText(JSON.stringify({ type: "send", client_id: `m${i}`, text: `message ${i}` }));
    const ack = await ws.nextMatching((f) => f?.type === "ack" || f?.type === "error");
    assert.equal(ack.type, "ack", JSON.stringify(ack));
  }
  ws.sendText(JSON.stringify({ type: "send", client_id: "m7", text: "one too many" }));
  const e = await ws.nextMatching((f) => f?.type === "ack" || f?.type === "error");
  assert.deepEqual([e.type, e.code, e.client_id], ["error", "conversation_full", "m7"]);
  // A resend of a stored message is still acknowledged; another conversation takes messages.
  ws.sendText(JSON.stringify({ type: "send", client_id: "m6", text: "message 6" }));
  assert.equal((await ws.nextMatching((f) => f?.type === "ack")).seq, 6);
  const other = await newConversation(edge.base);
  const o = await visitorSocket(other);
  o.ws.sendText(JSON.stringify({ type: "send", client_id: "x1", text: "hello" }));
  assert.equal((await o.ws.nextMatching((f) => f?.type === "ack")).seq, 1);
  ws.close();
  o.ws.close();
});

// ---------------------------------------------------------------------------------------------
// Offline messages

const leave = (v, text, ip) =>
  post("/api/v1/widget/offline-message", { ...creds(v), name: "Vi", email: "vi@example.com", text }, ip);

test("offline messages: the same text is stored once, 3 per visitor an hour, 3 per address here; others go on", async () => {
  const v = await newVisitor(edge.base);
  const a = await leave(v, "Please call me back");
  assert.equal(a.status, 201, JSON.stringify(a.json));
  const again = await leave(v, "Please call me back");
  assert.equal(again.status, 201);
  assert.equal(again.json.id, a.json.id, "a resent form is the same message");
  assert.equal((await leave(v, "Second thought")).status, 201);
  assertLimited(await leave(v, "Third"), 3600);
  // Per address: fresh visitors from one address.
  const flood = "203.0.113.50";
  for (let n = 1; n <= 3; n++) assert.equal((await leave(await newVisitor(edge.base), `from ${n}`, flood)).status, 201);
  assertLimited(await leave(await newVisitor(edge.base), "from 4", flood), 3600);
  // Another visitor, locally.
  assert.equal((await leave(await newVisitor(edge.base), "legit")).status, 201);
  // Only what was accepted is listed (the dedup and the refusals stored nothing).
  const list = await getJson(edge.base, `${C}/offline-messages`, cookie);
  const texts = list.json.messages.map((m) => m.text);
  assert.equal(texts.filter((t) => t === "Please call me back").length, 1);
  assert.ok(!texts.includes("Third") && !texts.includes("from 4"), JSON.stringify(texts));
});

test("offline messages: a blocked visitor is refused visitor_blocked", async () => {
  const conv = await newConversation(edge.base);
  const b = await postJson(edge.base, `${C}/conversations/${conv.conversationId}/block`, { reason: "spam" }, { cookie });
  assert.equal(b.status, 201, JSON.stringify(b.json));
  const r = await leave(conv, "let me in");
  assert.equal(r.status, 403, JSON.stringify(r.json));
  assert.equal(r.json.error.code, "visitor_blocked");
  assert.equal((await leave(await newVisitor(edge.base), "not blocked")).status, 201);
});

// ---------------------------------------------------------------------------------------------
// Traffic and funnel events

let eventSeq = 0;
const visits = (n) => Array.from({ length: n }, () => ({ id: `ab${++eventSeq}`, at: Date.now(), kind: "visit", entry_point: "btn_demo" }));

test("events: 200 per visitor a minute (each event counts); the 201st is refused, another visitor is counted", async () => {
  const v = await newVisitor(edge.base);
  for (let i = 0; i < 4; i++) {
    const r = await post("/api/v1/widget/events", { ...creds(v), events: visits(50) });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.counted, 50);
  }
  assertLimited(await post("/api/v1/widget/events", { ...creds(v), events: visits(1) }), 60);
  const other = await newVisitor(edge.base);
  const r = await post("/api/v1/widget/events", { ...creds(other), events: visits(3) });
  assert.equal(r.status, 200);
  assert.equal(r.json.counted, 3);
});

test("events: per client address (300 an hour here), fresh visitor ids do not help, a refused batch writes nothing; another address goes on", async () => {
  const ip = "203.0.113.70";
  for (let i = 0; i < 6; i++) {
    const r = await post("/api/v1/widget/events", { ...creds(await newVisitor(edge.base)), events: visits(50) }, ip);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.counted, 50);
  }
  const v = await newVisitor(edge.base);
  const batch = visits(2);
  assertLimited(await post("/api/v1/widget/events", { ...creds(v), events: batch }, ip), 3600);
  // The refused batch left nothing behind: the same events from another address count, once.
  const r = await post("/api/v1/widget/events", { ...creds(v), events: batch }, "203.0.113.71");
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual([r.json.counted, r.json.duplicates], [2, 0]);
  const again = await post("/api/v1/widget/events", { ...creds(v), events: batch }, "203.0.113.71");
  assert.deepEqual([again.json.counted, again.json.duplicates], [0, 2]);
});

// ---------------------------------------------------------------------------------------------
// Public report links

async function newLink(title) {
  const D = Date.UTC(2026, 10, 18);
  const r = await postJson(edge.base, `${C}/report-links`,
    { report: "conversations", query: `from=${D}&to=${D + 86_400_000}&tz=UTC&channel=demo`, title }, { cookie });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const url = new URL(r.json.api_url, edge.base);
  return url.pathname + url.search;
}

test("report links: 4 reads per link a minute, 3 per address here, answers cached; other links go on", async () => {
  const [a, b, c] = [await newLink("A"), await newLink("B"), await newLink("C")];
  const first = await get(a);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.headers.get("x-parley-cache"), "miss");
  assert.equal(first.headers.get("cache-control"), "no-store");
  const second = await get(a);
  assert.equal(second.headers.get("x-parley-cache"), "hit");
  assert.deepEqual(second.json, first.json, "the cached answer is the report");
  assert.equal((await get(a)).status, 200);
  assert.equal((await get(a)).status, 200);
  assertLimited(await get(a), 60);
  // Per address: link B from one address.
  for (let n = 1; n <= 3; n++) assert.equal((await get(b, "203.0.113.80")).status, 200);
  assertLimited(await get(b, "203.0.113.80"), 60);
  // Link C, locally, and from another address.
  assert.equal((await get(c)).status, 200);
  assert.equal((await get(c, "198.51.100.30")).status, 200);
});
