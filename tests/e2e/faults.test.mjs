// Fault injection against a real `wrangler dev`: the edge SIGKILLed mid-stream, sockets dropped
// mid-exchange, every frame sent twice, D1 failing for a while. Each test reads the whole transcript back with a fresh
// client and checks the delivery guarantees of ARCHITECTURE.md: nothing acknowledged is lost,
// nothing is stored twice, each sender's order is kept, sequence numbers are dense from 1. Then
// it checks the D1 copy the console and the reports read (written by the object off the message
// path, coalesced: issue 19), awaited by polling: every message exactly once, the same seq and
// text as the object's transcript, and the conversation row counting them.
// Each test prints one summary line, e.g.
//   fault kill-restart: sent 500, stored 500, lost 0, duplicated 0, out of order 0
import { test } from "node:test";
import assert from "node:assert/strict";
import { setImmediate as tick } from "node:timers/promises";
import { randomBytes } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { ProtoClient, newConversation, readTranscript, audit, sentBy, waitUntil, getJson, postJson } from "./proto-client.mjs";
import { useEdge, until } from "./fixtures.mjs";
import { d1File } from "./harness.mjs";

// Streaming tests would trip the per-visitor rate limit (20 burst, 2/s by default).
const VARS = { PARLEY_VISITOR_RATE: "100000/100000" };
const RUN = randomBytes(3).toString("hex"); // makes every text of this run unique
const { edge } = useEdge({
  vars: VARS,
  setup: async () => {
    cookie = await edge.login();
  },
});
let cookie;

/** A visitor client of a fresh conversation (and the conversation's details). */
async function visitorOfNewConversation(opts = {}) {
  const conv = await newConversation(edge.base);
  const visitor = new ProtoClient({ base: edge.base, role: "visitor", ...conv, label: "v", ...opts });
  return { conv, visitor };
}

function operatorOf(conv, opts = {}) {
  return new ProtoClient({ base: edge.base, conversationId: conv.conversationId, role: "operator", cookie, label: "o", ...opts });
}

/**
 * Sends `n` messages through `client`'s outbox without waiting for acknowledgements, keeping
 * at most `window` unacknowledged (so the stream goes on across faults instead of being
 * written out all at once). Yields to the event loop now and then so frames are read.
 */
async function stream(client, n, text, window = 100) {
  for (let i = 1; i <= n; i++) {
    if (client.sentOrder.length - client.acks.size >= window) {
      await client.waitFor(() => client.sentOrder.length - client.acks.size < window, "send window", 180_000);
    }
    client.send(text(i));
    if (i % 10 === 0) await tick();
  }
}

/** Prints the summary line and asserts a clean audit. */
function check(name, result, extra = "") {
  const line = `fault ${name}: sent ${result.sent}, stored ${result.stored}, lost ${result.lost}, ` +
    `duplicated ${result.duplicated}, out of order ${result.outOfOrder}${extra}`;
  console.log(line);
  assert.deepEqual(result.problems, [], line);
  assert.equal(result.stored, result.sent, line);
}

/**
 * Awaits (polling the console's transcript, read from D1) the D1 copy of conversation `id`
 * holding all of `transcript` (the object's, as read back), then checks it holds every message
 * exactly once: seqs dense from 1, each row the object's message (author's role and text), no
 * text twice, and the conversation row's count. Returns the summary's part of the line.
 */
async function assertD1Copy(id, transcript) {
  const n = transcript.length;
  const deadline = Date.now() + 60_000;
  let copy;
  for (;;) {
    const r = await getJson(edge.base, `/api/v1/console/conversations/${id}/transcript`, cookie);
    assert.equal(r.status, 200, r.text);
    copy = r.json;
    if (copy.messages.length >= n && copy.conversation.message_count >= n) break;
    if (Date.now() > deadline) {
      assert.fail(`D1 copy of ${id}: ${copy.messages.length} messages, count ${copy.conversation.message_count}, want ${n}`);
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.deepEqual(copy.messages.map((m) => m.seq), transcript.map((_, i) => i + 1), "D1: seqs dense from 1, each once");
  assert.deepEqual(copy.messages.map((m) => [m.role, m.text]), transcript.map((m) => [m.author.role, m.text]),
    "D1: the object's messages, in order");
  assert.equal(new Set(copy.messages.map((m) => m.text)).size, n, "D1: no message twice");
  assert.equal(copy.conversation.message_count, n, "D1: the conversation row counts every message once");
  return `, D1 copy ${copy.messages.length}/${n} exactly once`;
}

/** Every acknowledgement told the truth: the acked seq holds that very message. */
function assertAcksMatch(client, transcript) {
  for (const [id, { seq }] of client.acks) {
    const m = transcript[seq - 1];
    assert.ok(m && m.client_id === id && m.author.role === client.role, `${client.label} ack ${id} → seq ${seq} holds ${m?.client_id}`);
  }
}

/**
 * Reads the transcript back and checks both clients' acknowledgements, the D1 copy and the
 * audit of what each sent; `extra(d1)` gives the summary's end. Resolves the transcript.
 */
async function checkBoth(name, conv, visitor, operator, extra) {
  const transcript = await readTranscript(edge.base, conv.conversationId, { role: "visitor", ...conv });
  assertAcksMatch(visitor, transcript);
  assertAcksMatch(operator, transcript);
  const d1 = await assertD1Copy(conv.conversationId, transcript);
  check(name, audit(transcript, [
    { role: "visitor", sent: sentBy(visitor) },
    { role: "operator", sent: sentBy(operator) },
  ]), extra(d1));
  return transcript;
}

test("SIGKILL of the edge mid-stream loses nothing acknowledged and stores nothing twice", { timeout: 300_000 }, async () => {
  const { conv, visitor } = await visitorOfNewConversation({ label: "k" });
  await visitor.start();
  const N = 500;
  const killAt = 100 + Math.floor(Math.random() * 151); // after 100-250 acks
  const producer = stream(visitor, N, (i) => `kill-restart ${RUN} #${i}`);

  await visitor.waitForAcks(killAt, 120_000);
  await edge.kill(); // wrangler and workerd, SIGKILL: nothing flushed, nothing closed
  const ackedAtKill = visitor.acks.size, unackedAtKill = visitor.outbox.size;
  const downSince = Date.now();
  await edge.restart(); // same state, port, secret and vars
  const downMs = Date.now() - downSince;

  await producer;
  await visitor.allAcked(180_000);
  await visitor.close();
  assert.equal(visitor.rejected.size, 0, `refused sends: ${[...visitor.rejected]}`);
  assert.ok(visitor.connects >= 2, "the client reconnected after the restart");

  const transcript = await readTranscript(edge.base, conv.conversationId, { role: "visitor", ...conv });
  assertAcksMatch(visitor, transcript);
  const d1 = await assertD1Copy(conv.conversationId, transcript);
  check("kill-restart", audit(transcript, [{ role: "visitor", sent: sentBy(visitor) }]),
    ` (killed after ${ackedAtKill} acks with ${unackedAtKill} unacked, down ${downMs} ms, ${visitor.connects} connects)${d1}`);
  assert.equal(transcript.length, N);
});

test("20 socket drops during a 1,000-message exchange in both directions", { timeout: 300_000 }, async () => {
  const { conv, visitor } = await visitorOfNewConversation({ label: "dv" });
  const operator = operatorOf(conv, { label: "do" });
  await Promise.all([visitor.start(), operator.start()]);
  const N = 500, TOTAL = 2 * N, DROPS = 20;
  const both = [visitor, operator];

  // Both sides stream concurrently…
  const producers = Promise.all([
    stream(visitor, N, (i) => `drops ${RUN} visitor #${i}`, 50),
    stream(operator, N, (i) => `drops ${RUN} operator #${i}`, 50),
  ]);
  // …while one or the other socket is dropped 20 times (10 each, in random order), spread
  // over the run by progress: drop k happens once k/21 of all messages are acknowledged.
  const victims = [...Array(DROPS / 2).fill(visitor), ...Array(DROPS / 2).fill(operator)]
    .map((c) => [Math.random(), c]).sort((a, b) => a[0] - b[0]).map(([, c]) => c);
  for (const [k, victim] of victims.entries()) {
    const threshold = Math.round(((k + 1) * TOTAL) / (DROPS + 1));
    await waitUntil(both, () => visitor.acks.size + operator.acks.size >= threshold, `${threshold} acks`, 120_000);
    victim.drop();
  }

  await producers;
  await Promise.all(both.map((c) => c.allAcked(180_000)));
  // Each side eventually holds all 1,000 messages, in seq order without gaps.
  await Promise.all(both.map((c) => c.waitForMessages(TOTAL, 180_000)));
  await Promise.all(both.map((c) => c.close()));
  for (const c of both) assert.equal(c.rejected.size, 0, `${c.label} refused sends: ${[...c.rejected]}`);

  const transcript = await readTranscript(edge.base, conv.conversationId, { role: "operator", cookie });
  for (const c of both) {
    assertAcksMatch(c, transcript);
    // What each side received matches the stored transcript message for message.
    assert.deepEqual(c.transcript().map((m) => m.client_id), transcript.map((m) => m.client_id), `${c.label} received the transcript`);
  }
  const drops = visitor.drops + operator.drops;
  const d1 = await assertD1Copy(conv.conversationId, transcript);
  check("drops", audit(transcript, [
    { role: "visitor", sent: sentBy(visitor) },
    { role: "operator", sent: sentBy(operator) },
  ]), ` (${drops} drops [${victims.map((c) => c.role[0]).join("")}], received visitor ${visitor.contiguous}/${TOTAL}, operator ${operator.contiguous}/${TOTAL})${d1}`);
  assert.equal(drops, DROPS);
  assert.equal(transcript.length, TOTAL);
});

test("every send frame sent twice is stored once and acknowledged twice with the same seq", { timeout: 300_000 }, async () => {
  const { conv, visitor } = await visitorOfNewConversation({ label: "2v", repeatSends: 2 });
  const operator = operatorOf(conv, { label: "2o", repeatSends: 2 });
  await Promise.all([visitor.start(), operator.start()]);
  const N = 100;
  await Promise.all([
    stream(visitor, N, (i) => `twice ${RUN} visitor #${i}`),
    stream(operator, N, (i) => `twice ${RUN} operator #${i}`),
  ]);
  // Two acks per send: the first stores, the repeat is acknowledged with the original seq.
  await Promise.all([visitor, operator].map((c) => c.waitFor(() => c.ackLog.length >= 2 * N, `${2 * N} acks`)));
  await Promise.all([visitor, operator].map((c) => c.waitForMessages(2 * N)));
  await Promise.all([visitor.close(), operator.close()]);

  let sameSeq = 0;
  for (const c of [visitor, operator]) {
    assert.equal(c.connects, 1, "no reconnect: every repeat is from the same socket");
    const seqs = new Map();
    for (const { client_id, seq } of c.ackLog) seqs.set(client_id, [...(seqs.get(client_id) ?? []), seq]);
    for (const id of c.sentOrder) {
      const s = seqs.get(id) ?? [];
      assert.equal(s.length, 2, `${id} acked ${s.length} times`);
      assert.equal(s[0], s[1], `${id} acked with seqs ${s}`);
      sameSeq++;
    }
    // Each stored message was broadcast once, not once per frame.
    assert.equal(c.duplicateDeliveries, 0, `${c.label} got repeated message frames`);
    // Protocol v2: the other side's messages came as `message` frames, our own only as acks.
    assert.equal(c.ownEchoes, 0, `${c.label} was sent its own messages back`);
    assert.equal(c.ownFromAck, N, `${c.label} held its own ${N} messages from their acks`);
  }
  await checkBoth("duplicate-frames", conv, visitor, operator, (d1) => `, acked twice with the same seq ${sameSeq}/${2 * N}${d1}`);
});

// D1 fails for a while: the test holds the write lock of the local D1 database's SQLite file
// (`BEGIN IMMEDIATE` from this process; `wrangler dev`'s D1 then fails every write, as an
// unreachable D1 would). Messages are still acknowledged (the hot path does not touch D1), the
// object's copies fail and are retried by its alarm; once the lock is released the backlog
// drains: every message in D1 exactly once.
test("D1 failing for a while: messages acknowledged meanwhile reach D1 once it is back, none twice", { timeout: 300_000 }, async () => {
  const { conv, visitor } = await visitorOfNewConversation({ label: "d1v" });
  const operator = operatorOf(conv, { label: "d1o" });
  await Promise.all([visitor.start(), operator.start()]);
  const before = 20, during = 100;
  await stream(visitor, before, (i) => `d1-down ${RUN} before #${i}`);
  await visitor.allAcked(60_000);

  // The demo account's shard: DB (shard 0, also the directory, which the doors read too).
  const d1 = new DatabaseSync(d1File(edge.state, "DB"));
  const logFrom = edge.log().length;
  d1.exec("BEGIN IMMEDIATE");
  let released = false;
  try {
    await Promise.all([
      stream(visitor, during, (i) => `d1-down ${RUN} visitor #${i}`),
      stream(operator, during / 2, (i) => `d1-down ${RUN} operator #${i}`),
    ]);
    // Acknowledged with D1 down: the hot path does not wait for it.
    await Promise.all([visitor, operator].map((c) => c.allAcked(60_000)));
    // The object tried to copy them and failed (its log says so; retried by its alarm).
    await until(() => edge.log().slice(logFrom).includes("D1 sync failed"), "a failed D1 copy", 30_000);
    // A door that needs D1 meanwhile says it is the edge's failure, never "no such channel".
    const ses = await postJson(edge.base, "/api/v1/widget/session", { channel_id: "demo" }, { origin: edge.base });
    assert.deepEqual([ses.status, ses.json?.error?.code], [500, "internal"], ses.text);
    const inD1 = d1.prepare("SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ?").get(conv.conversationId).n;
    assert.ok(inD1 <= before, `D1 holds ${inD1} messages while failing: none sent after it failed`);
  } finally {
    d1.exec("ROLLBACK");
    d1.close();
    released = true;
  }
  assert.ok(released);
  await Promise.all([visitor, operator].map((c) => c.waitForMessages(before + during * 1.5, 60_000)));
  await Promise.all([visitor.close(), operator.close()]);
  const transcript = await checkBoth("d1-down", conv, visitor, operator, (d1) => d1);
  assert.equal(transcript.length, before + during * 1.5);
});
