// A conversation's object holds only its tail (issue 18): against a real `wrangler dev`, a
// conversation of well over MAX_REPLAY (1,000) messages, some of them long enough that the whole
// replay is more than one frame may carry, then workerd SIGKILLed and restarted so the object
// wakes from its SQLite. After that:
// - a fresh operator and a fresh visitor (hello from seq 0) each get every message exactly once,
//   in order, on one socket: a welcome then `history` frames, each below 1 MiB;
// - a hello from the middle (older than the tail) and one from inside the tail replay exactly
//   what comes after it;
// - a retry of an old client id (far before the tail) is acknowledged with its original seq and
//   stored nothing; the next message is the next seq.
// Prints one summary line, e.g.
//   tail: 1200 messages (1.2 MB of text), replay from 0 in 7 frames (largest 262 KB), …
import { test } from "node:test";
import assert from "node:assert/strict";
import { setImmediate as tick } from "node:timers/promises";
import { randomBytes } from "node:crypto";
import { ProtoClient, newConversation, upgrade, wsUrl, PROTOCOL } from "./proto-client.mjs";
import { useEdge } from "./fixtures.mjs";

// Streaming would trip the per-visitor rate limit (20 burst, 2/s by default).
const { edge } = useEdge({
  vars: { PARLEY_VISITOR_RATE: "100000/100000" },
  setup: async () => {
    cookie = await edge.login();
  },
});
let cookie;
const RUN = randomBytes(3).toString("hex");
const MAX_REPLAY = 1_000; // protocol/src/limits.rs
const TAIL = 200; // CONVERSATION_TAIL_MESSAGES
const WS_LIMIT = 1024 * 1024; // Cloudflare's WebSocket message limit

/** Sends `n` messages through `client`, at most `window` unacknowledged at a time. */
async function stream(client, n, text, window = 100) {
  for (let i = 1; i <= n; i++) {
    if (client.sentOrder.length - client.acks.size >= window) {
      await client.waitFor(() => client.sentOrder.length - client.acks.size < window, "send window", 240_000);
    }
    client.send(text(i));
    if (i % 10 === 0) await tick();
  }
}

/** Every 8th message is ~3,970 characters, mostly two-byte (~7.9 KB): 1.2 MB of text in all. */
const textOf = (who) => (i) => i % 8 === 0 ? `${who} ${RUN} #${i} ${"é".repeat(3_950)}` : `${who} ${RUN} #${i}`;

/** The frames a raw socket gets after `hello {last_seq}` until it holds `upto`. */
async function replayFrom(lastSeq, upto) {
  const res = await upgrade(wsUrl(edge.base, conv.conversationId, "operator"), { Origin: edge.base, Cookie: cookie });
  assert.equal(res.status, 101, res.body);
  const ws = res.ws;
  ws.sendText(JSON.stringify({ type: "hello", protocol: PROTOCOL, last_seq: lastSeq }));
  const frames = [];
  let held = lastSeq;
  while (frames.length === 0 || held < upto) {
    const f = await ws.next();
    frames.push(f);
    if (f.type === "welcome" || f.type === "history") held = f.history.at(-1)?.seq ?? held;
  }
  return { ws, frames, seqs: frames.flatMap((f) => (f.type === "welcome" || f.type === "history" ? f.history.map((m) => m.seq) : [])) };
}

let conv;

test("a long conversation replays whole, once and in order after its object restarts", { timeout: 900_000 }, async () => {
  conv = await newConversation(edge.base);
  const visitor = new ProtoClient({ base: edge.base, role: "visitor", ...conv, label: "tv" });
  const operator = new ProtoClient({ base: edge.base, conversationId: conv.conversationId, role: "operator", cookie, label: "to" });
  await Promise.all([visitor.start(), operator.start()]);
  const N = 600, TOTAL = 2 * N;
  await Promise.all([stream(visitor, N, textOf("visitor")), stream(operator, N, textOf("operator"))]);
  await Promise.all([visitor, operator].map((c) => c.allAcked(240_000)));
  await Promise.all([visitor, operator].map((c) => c.waitForMessages(TOTAL, 240_000)));
  await Promise.all([visitor.close(), operator.close()]);
  for (const c of [visitor, operator]) assert.equal(c.rejected.size, 0, `${c.label} refused: ${[...c.rejected]}`);
  // What was stored, by seq: each client id and text (from the senders' acks).
  const want = new Array(TOTAL + 1);
  for (const c of [visitor, operator]) for (const [id, { seq }] of c.acks) want[seq] = { id, text: c.texts.get(id), role: c.role };
  const textBytes = want.slice(1).reduce((n, w) => n + Buffer.byteLength(w.text), 0);

  // The object wakes from its SQLite: workerd is killed, nothing flushed, and started again.
  await edge.kill();
  await edge.restart();

  // From seq 0, a fresh operator and a fresh visitor: everything, once, in order, one socket.
  const largest = { bytes: 0 };
  const onFrame = (f) => {
    const bytes = Buffer.byteLength(JSON.stringify(f));
    largest.bytes = Math.max(largest.bytes, bytes);
    assert.ok(bytes < WS_LIMIT, `a ${f.type} frame of ${bytes} bytes`);
  };
  const readers = [
    new ProtoClient({ base: edge.base, conversationId: conv.conversationId, role: "operator", cookie, label: "ro", onFrame }),
    new ProtoClient({ base: edge.base, role: "visitor", ...conv, label: "rv", onFrame }),
  ];
  for (const r of readers) {
    await r.start();
    await r.caughtUp(120_000);
    await r.close();
    assert.equal(r.serverLastSeq, TOTAL, `${r.label}: the welcome announces every message`);
    assert.equal(r.contiguous, TOTAL, `${r.label} holds 1..${TOTAL}`);
    assert.equal(r.duplicateDeliveries, 0, `${r.label}: nothing twice`);
    assert.equal(r.connects, 1, `${r.label}: one socket, no paging by reconnects`);
    assert.ok(r.historyFrames >= 2, `${r.label}: the replay went on in ${r.historyFrames} history frames`);
    const got = r.transcript();
    for (let seq = 1; seq <= TOTAL; seq++) {
      const m = got[seq - 1];
      assert.ok(m.seq === seq && m.client_id === want[seq].id && m.text === want[seq].text && m.author.role === want[seq].role,
        `${r.label}: seq ${seq} is ${want[seq].id}, got ${m?.client_id}`);
    }
  }

  // From the middle (older than the tail) and from inside the tail: exactly what came after.
  for (const from of [777, TOTAL - TAIL - 1, TOTAL - 50, TOTAL]) {
    const { ws, frames, seqs } = await replayFrom(from, TOTAL);
    ws.close();
    assert.equal(frames[0].type, "welcome");
    assert.deepEqual(seqs, Array.from({ length: TOTAL - from }, (_, i) => from + 1 + i), `hello(${from}) replays ${from + 1}..${TOTAL}`);
    for (const f of frames) assert.ok(Buffer.byteLength(JSON.stringify(f)) < WS_LIMIT);
  }

  // A retry of an operator's message stored far before the tail: its original seq, stored once.
  const oldId = operator.sentOrder[2];
  const { seq: oldSeq, at: oldAt } = operator.acks.get(oldId);
  assert.ok(oldSeq < TOTAL - TAIL, `${oldId} (seq ${oldSeq}) is older than the tail`);
  const { ws, frames } = await replayFrom(TOTAL, TOTAL);
  assert.deepEqual(frames.map((f) => f.type), ["welcome"]);
  ws.sendText(JSON.stringify({ type: "send", client_id: oldId, text: operator.texts.get(oldId) }));
  const ack = await ws.next();
  assert.deepEqual(ack, { type: "ack", client_id: oldId, seq: oldSeq, at: oldAt });
  ws.sendText(JSON.stringify({ type: "send", client_id: `new-${RUN}`, text: "after the retry" }));
  let next;
  do next = await ws.next(); while (next.type !== "ack");
  assert.equal(next.seq, TOTAL + 1, "the retry stored nothing: the next message is the next seq");
  ws.close();

  const frames0 = readers[0].historyFrames + 1;
  console.log(`tail: ${TOTAL} messages (${(textBytes / 1e6).toFixed(1)} MB of text), replay from 0 in ${frames0} frames ` +
    `(largest ${Math.round(largest.bytes / 1024)} KB, limit ${WS_LIMIT / 1024} KB; MAX_REPLAY ${MAX_REPLAY}), ` +
    `hello from 777 / the tail exact, old retry acked with seq ${oldSeq}`);
});
