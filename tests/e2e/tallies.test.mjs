// Traffic and invite-funnel tallies at the protocol level (plain fetch, no browser), through a
// real `wrangler dev`: `POST /api/v1/widget/events` answers counted / duplicates / refused per
// event (a retried batch counts once), the edge counts shown invites nobody answered as ignored
// after the grace, many visitors spread over the tally shards, a conversation started from an
// invite counts `chats` and `no_availability` and carries request_type / request_source /
// decision_ms, a crash after acknowledged events loses nothing — and the "Automatic invites" and
// "Traffic" CSVs end up with exactly the expected totals (polled with a deadline, never slept).
import { test } from "node:test";
import assert from "node:assert/strict";
import { newVisitor, postJson } from "./proto-client.mjs";
import { useEdge } from "./fixtures.mjs";

const SHARDS = 4;
const INVITE = "ep_tally";
const INVITE_NAME = "Tally invite";
const EXTRA_SQL = `
INSERT OR IGNORE INTO entry_points (id, account_id, channel_id, kind, name, enabled, position, created_at, updated_at)
VALUES ('btn_demo', 'acc_demo', 'demo', 'button', 'Chat button', 1, 0, 0, 0);
INSERT INTO entry_points (id, account_id, channel_id, kind, name, enabled, position, created_at, updated_at)
VALUES ('${INVITE}', 'acc_demo', 'demo', 'invite', '${INVITE_NAME}', 1, 5, 0, 0);`;

const { edge } = useEdge({
  online: [],
  extraSql: EXTRA_SQL,
  vars: { PARLEY_TALLY_FLUSH_MS: "300", PARLEY_INVITE_GRACE_MS: "1500", PARLEY_TALLY_SHARDS: String(SHARDS) },
  setup: async () => {
    admin = await edge.login();
  },
});
let admin;
let seq = 0;
/** What the CSVs must say in the end (entry point → column → n). */
const expected = {
  btn_demo: { visits: 0, views: 0, clicks: 0, chats: 0 },
  [INVITE]: { visits: 0, views: 0, clicks: 0, chats: 0 },
  funnel: {
    num_proactive: 0, num_proactive_accepted: 0, num_proactive_declined: 0, num_proactive_match: 0,
    num_proactive_cancelled: 0, num_proactive_no_availability: 0, num_proactive_expired: 0, num_proactive_ignored: 0,
  },
};

// --- events ----------------------------------------------------------------------------------

const id = (p = "e") => `${p}${++seq}`;
const visit = () => ({ id: id(), at: Date.now(), kind: "visit", entry_point: "btn_demo" });
const view = () => ({ id: id(), at: Date.now(), kind: "view", entry_point: "btn_demo" });
const click = () => ({ id: id(), at: Date.now(), kind: "click", entry_point: "btn_demo" });
const step = (kind, invite, extra = {}) => ({
  id: id(), at: Date.now(), kind, entry_point: INVITE, invite, ...(kind === "shown" ? { timeout_ms: 2_000 } : {}), ...extra,
});

/** Adds what counted events of a batch add to the expected totals. */
function expect(events) {
  const f = expected.funnel;
  for (const e of events) {
    switch (e.kind) {
      case "visit": expected.btn_demo.visits++; break;
      case "view": expected.btn_demo.views++; break;
      case "click": expected.btn_demo.clicks++; break;
      case "shown": f.num_proactive_match++; f.num_proactive++; expected[INVITE].views++; break;
      case "cancelled": f.num_proactive_match++; f.num_proactive_cancelled++; break;
      case "accepted": f.num_proactive_accepted++; expected[INVITE].clicks++; break;
      case "declined": f.num_proactive_declined++; break;
      case "ignored": f.num_proactive_ignored++; break;
      case "expired": f.num_proactive_expired++; break;
      default: throw new Error(e.kind);
    }
  }
}

async function send(v, events, { origin = edge.base, contentType = "application/json", token } = {}) {
  const body = JSON.stringify({ channel_id: "demo", visitor_id: v.visitorId, visitor_token: token ?? v.visitorToken, events });
  const res = await fetch(`${edge.base}/api/v1/widget/events`, {
    method: "POST", headers: { "content-type": contentType, origin }, body,
  });
  return { status: res.status, json: await res.json().catch(() => null), headers: res.headers };
}

/** Sends a batch that must be counted whole, and records it as expected. */
async function counted(v, events) {
  const r = await send(v, events);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json, { counted: events.length, duplicates: 0, refused: [] });
  expect(events);
  return r;
}

/** FNV-1a, as `shared::metrics::shard_of`. */
function shardOf(visitorId, shards) {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(visitorId)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shards;
}

// --- reports ---------------------------------------------------------------------------------

function parseCsv(text) {
  const [head, ...lines] = text.trim().split("\n");
  const cols = head.split(",");
  return lines.filter(Boolean).map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i], v])));
}

async function report(name, cookie = admin) {
  const now = Date.now();
  return fetch(`${edge.base}/api/v1/console/reports/${name}?from=${now - 86_400_000}&to=${now + 3_600_000}`, {
    headers: cookie ? { cookie } : {},
  });
}

/** Totals of the CSVs: traffic per entry point, funnel of the test invite. */
async function totals() {
  const traffic = parseCsv(await (await report("traffic.csv")).text());
  const invites = parseCsv(await (await report("invites.csv")).text());
  const out = { btn_demo: {}, [INVITE]: {}, funnel: {} };
  for (const ep of ["btn_demo", INVITE]) {
    for (const c of ["visits", "views", "clicks", "chats"]) {
      out[ep][c] = traffic.filter((r) => r.entrypoint_id === ep).reduce((s, r) => s + Number(r[c]), 0);
    }
  }
  for (const c of Object.keys(expected.funnel)) {
    out.funnel[c] = invites.filter((r) => r.filter_id === INVITE).reduce((s, r) => s + Number(r[c]), 0);
  }
  return out;
}

/** Polls the CSVs until they say exactly `expected` (deadline 20 s). */
async function totalsReach(label) {
  const deadline = Date.now() + 20_000;
  let last;
  while (Date.now() < deadline) {
    last = await totals();
    try {
      assert.deepEqual(last, expected);
      return;
    } catch { /* not flushed yet */ }
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(last, expected, `${label}: CSV totals never reached the expected ones`);
}

// --- tests -----------------------------------------------------------------------------------

test("a batch is counted once: retries are duplicates, bad events are refused with their code", async () => {
  const v = await newVisitor(edge.base);
  const batch = [visit(), view(), click(), step("shown", "i1"), step("accepted", "i1")];
  await counted(v, batch);
  const again = await send(v, batch);
  assert.equal(again.status, 200);
  assert.deepEqual(again.json, { counted: 0, duplicates: 5, refused: [] });
  assert.equal(again.headers.get("access-control-allow-origin"), edge.base);

  const bad = [
    { ...visit(), id: "bad id" },
    { ...visit(), id: "u1", entry_point: "ep_nope" },
    { ...visit(), id: "u2", entry_point: INVITE },
    { ...step("accepted", "nope"), id: "u3" },
    { id: "u4", at: Date.now(), kind: "chat", entry_point: "btn_demo" },
    { ...step("no_availability", "i1"), id: "u5" },
    { ...step("declined", "i1"), id: "u6" },
    { ...step("shown", "i1"), id: "u7" },
    { ...visit(), id: "u8", at: Date.now() - 25 * 3_600_000 },
    { ...step("shown", "i9"), id: "u9", timeout_ms: 5 },
  ];
  const r = await send(v, bad);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.counted, 0);
  assert.deepEqual(Object.fromEntries(r.json.refused.map((x) => [x.id, x.code])), {
    "bad id": "invalid_event", u1: "unknown_entry_point", u2: "unknown_entry_point", u3: "unknown_invite",
    u4: "not_allowed", u5: "not_allowed", u6: "invite_ended", u7: "invite_ended", u8: "too_old", u9: "invalid_event",
  });

  // Every other way through the funnel; a repeated id inside one batch is a duplicate too.
  const paths = [step("cancelled", "i2"), step("shown", "i3"), step("declined", "i3"), step("shown", "i4"),
    step("expired", "i4"), step("shown", "i5"), step("ignored", "i5")];
  const dup = await send(v, [...paths, paths[0]]);
  assert.deepEqual(dup.json, { counted: paths.length, duplicates: 1, refused: [] });
  expect(paths);
});

test("sendBeacon's text/plain body is accepted; origin, token and batch size are checked", async () => {
  const v = await newVisitor(edge.base);
  const beacon = [visit()];
  const r = await send(v, beacon, { contentType: "text/plain;charset=UTF-8" });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json, { counted: 1, duplicates: 0, refused: [] });
  expect(beacon);

  const foreign = await send(v, [visit()], { origin: "https://evil.example" });
  assert.equal(foreign.status, 403);
  assert.equal(foreign.json.error.code, "origin_not_allowed");
  const noOrigin = await fetch(`${edge.base}/api/v1/widget/events`, {
    method: "POST", body: JSON.stringify({ channel_id: "demo", visitor_id: v.visitorId, visitor_token: v.visitorToken, events: [visit()] }),
  });
  assert.equal(noOrigin.status, 403);
  const other = await newVisitor(edge.base);
  const badToken = await send(v, [visit()], { token: other.visitorToken });
  assert.equal(badToken.status, 403);
  assert.equal(badToken.json.error.code, "bad_visitor_token");
  const tooMany = await send(v, Array.from({ length: 51 }, visit));
  assert.equal(tooMany.status, 400);
  assert.equal(tooMany.json.error.code, "malformed");
  const none = await send(v, []);
  assert.equal(none.status, 400);
  const garbage = await postJson(edge.base, "/api/v1/widget/events", null, { raw: "{not json" });
  assert.equal(garbage.status, 400);
});

test("a shown invite nobody answers is counted ignored by the edge after its timeout and the grace", async () => {
  const v = await newVisitor(edge.base);
  await counted(v, [step("shown", "quiet")]);
  expected.funnel.num_proactive_ignored++;
  await totalsReach("server-side ignored");
  // The invite has ended: a late answer is refused.
  const late = await send(v, [step("accepted", "quiet")]);
  assert.deepEqual(late.json.refused.map((x) => x.code), ["invite_ended"]);
});

test("many visitors spread over the shards; every count arrives exactly once", async () => {
  const visitors = await Promise.all(Array.from({ length: 40 }, () => newVisitor(edge.base)));
  const shards = new Set(visitors.map((v) => shardOf(v.visitorId, SHARDS)));
  assert.ok(shards.size >= 3, `40 visitors over ${shards.size} shards`);
  await Promise.all(visitors.map(async (v, i) => {
    const inv = `m${i}`;
    const batch = [visit(), view(), step("shown", inv), step(i % 2 ? "accepted" : "declined", inv)];
    await counted(v, batch);
    // The same batch again, as a widget retrying after a lost answer.
    const again = await send(v, batch);
    assert.deepEqual(again.json, { counted: 0, duplicates: batch.length, refused: [] });
  }));
  await totalsReach("many visitors");
});

test("a chat from an accepted invite while nobody is online counts chats and no_availability", async () => {
  const v = await newVisitor(edge.base);
  await counted(v, [step("shown", "conv1"), step("accepted", "conv1")]);
  const create = (entry) => postJson(edge.base, "/api/v1/conversations", {
    channel_id: "demo", visitor_id: v.visitorId, visitor_token: v.visitorToken, page_url: `${edge.base}/pricing`,
    language: "en", entry,
  });
  const unknown = await create({ entry_point: "ep_nope", invite: "conv1", decision_ms: 10 });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.json.error.code, "unknown_entry_point");
  const r = await create({ entry_point: INVITE, invite: "conv1", decision_ms: 4_200 });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  expected[INVITE].chats++;
  expected.funnel.num_proactive_no_availability++;
  // The same request again returns the open conversation and counts nothing more.
  const again = await create({ entry_point: INVITE, invite: "conv1", decision_ms: 4_200 });
  assert.equal(again.json.conversation_id, r.json.conversation_id);

  // A plain chat (no entry) is the chat button's.
  const w = await newVisitor(edge.base);
  const plain = await postJson(edge.base, "/api/v1/conversations", {
    channel_id: "demo", visitor_id: w.visitorId, visitor_token: w.visitorToken, page_url: `${edge.base}/`,
  });
  assert.equal(plain.status, 200);
  expected.btn_demo.chats++;

  const list = await fetch(`${edge.base}/api/v1/console/conversations`, { headers: { cookie: admin } }).then((x) => x.json());
  const mine = list.conversations.find((c) => c.id === r.json.conversation_id);
  assert.equal(mine.request_type, "invite");
  assert.equal(mine.request_source, INVITE_NAME);
  assert.equal(mine.decision_ms, 4_200);
  const theirs = list.conversations.find((c) => c.id === plain.json.conversation_id);
  assert.equal(theirs.request_type, "button");
  assert.equal(theirs.decision_ms, null);
  await totalsReach("conversation from an invite");
});

test("reports: admins only, checked periods, CSV headers", async () => {
  assert.equal((await report("invites.csv", null)).status, 401);
  const sam = await edge.login("sam");
  assert.equal((await report("traffic.csv", sam)).status, 403);
  const bad = await fetch(`${edge.base}/api/v1/console/reports/traffic?from=abc`, { headers: { cookie: admin } });
  assert.equal(bad.status, 400);
  const long = await fetch(`${edge.base}/api/v1/console/reports/traffic?from=0&to=${400 * 86_400_000}`, { headers: { cookie: admin } });
  assert.equal(long.status, 400);
  const csv = await report("invites.csv");
  assert.equal(csv.headers.get("content-type"), "text/csv; charset=utf-8");
  assert.equal(csv.headers.get("content-disposition"), 'attachment; filename="automatic-invites.csv"');
  assert.match(await csv.text(), /^chatcampaign_id,date,hour_of_day,filter_id,account_id,hour_begin_time,/);
  const t = await report("traffic.csv");
  assert.equal(t.headers.get("content-disposition"), 'attachment; filename="traffic.csv"');
  assert.equal((await t.text()).split("\n")[0], "chatcampaign_id,hour_begin_time,entrypoint_id,entrypoint,visits,views,clicks,chats");
  const json = await (await report("invites")).json();
  const rows = json.rows.filter((r) => r.filter_id === INVITE);
  assert.ok(rows.length >= 1 && rows.every((r) => r.filter_name === INVITE_NAME));
});

test("a crash after acknowledged events, before their flush, loses nothing; their retries are still duplicates", async () => {
  const visitors = await Promise.all(Array.from({ length: 8 }, () => newVisitor(edge.base)));
  const batches = visitors.map((v, i) => [visit(), view(), step("shown", `k${i}`), step("declined", `k${i}`),
    step("shown", `crash${i}`, { timeout_ms: 600_000 })]);
  await Promise.all(visitors.map((v, i) => counted(v, batches[i])));
  await edge.kill();
  await edge.restart();
  admin = await edge.login();
  // Every shard was evicted with the process: what it acknowledged is still known to it, the
  // ids (a retried batch is all duplicates) and the invites (a later step of one counts).
  for (const [i, v] of visitors.entries()) {
    const again = await send(v, batches[i]);
    assert.equal(again.status, 200, JSON.stringify(again.json));
    assert.deepEqual(again.json, { counted: 0, duplicates: batches[i].length, refused: [] });
    await counted(v, [step("accepted", `crash${i}`)]);
  }
  await totalsReach("after a crash");
});
