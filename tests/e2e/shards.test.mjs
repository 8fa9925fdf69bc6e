// D1 sharding by account (issue 19, ARCHITECTURE "Capacity model"): an account placed on shard 1
// (`DB_1`) has its conversations, messages, events and tallies written there and not in the
// directory's `DB`; its reports (CSV) and the console read them there; its visitor's data is
// exported and erased there; an account on shard 0 (the demo) is unaffected and sees nothing
// of it. Reads the local SQLite files of both databases while `wrangler dev` runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { d1File } from "./harness.mjs";
import { getJson, postJson, newConversation, ProtoClient, waitUntil } from "./proto-client.mjs";
import { useEdge, secondAccount, shardAnchorSql, until, C } from "./fixtures.mjs";

const S1 = {
  id: "acc_s1",
  name: "Shard one (test)",
  shard: 1,
  channels: [{ id: "ch_s1", name: "Shard one channel" }],
  operators: [{ id: "op_s1", username: "s1admin", chat_name: "Sia", role: "admin" }],
};
const { edge, clients } = useEdge({
  vars: { PARLEY_TALLY_FLUSH_MS: "300" },
  // The directory's rows (account, its shard, channel, host, button, operator) go to DB; the
  // anchors its foreign keys need go to DB_1.
  extraSql: async () => await secondAccount(S1) + `
INSERT INTO hosts (id, account_id, hostname, created_at) VALUES ('h_s1', 'acc_s1', '127.0.0.1', 1);
INSERT INTO channel_hosts (channel_id, host_id) VALUES ('ch_s1', 'h_s1');
INSERT INTO entry_points (id, account_id, channel_id, kind, name, enabled, position, created_at, updated_at)
  VALUES ('btn_ch_s1', 'acc_s1', 'ch_s1', 'button', 'Chat button', 1, 0, 1, 1);
`,
  shardSql: { DB_1: shardAnchorSql(S1) },
  setup: async () => {
    dana = await edge.login();
    sia = await edge.login("s1admin");
    const r = await postJson(edge.base, `${C}/presence`, { online: true, join: "ch_s1" }, { cookie: sia });
    assert.equal(r.status, 200, r.text);
  },
});
let dana, sia;

/** Rows of `sql` in shard `binding`'s SQLite file (read-only, while wrangler dev runs). */
function rows(binding, sql, ...params) {
  const db = new DatabaseSync(d1File(edge.state, binding), { readOnly: true });
  try { return db.prepare(sql).all(...params); } finally { db.close(); }
}
const count = (binding, table, where, ...params) => rows(binding, `SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`, ...params)[0].n;

const DAY = 24 * 60 * 60 * 1000;
const period = () => `from=${Date.now() - DAY}&to=${Date.now() + DAY}`;

/** A chat of `n` messages each way in `channel`, answered by the operator with `cookie`. */
async function chat(channel, cookie, n, tag) {
  const c = await newConversation(edge.base, { channel });
  const visitor = new ProtoClient({ base: edge.base, role: "visitor", ...c });
  const op = new ProtoClient({ base: edge.base, conversationId: c.conversationId, role: "operator", cookie });
  clients.push(visitor, op);
  await Promise.all([visitor.start(), op.start()]);
  for (let i = 1; i <= n; i++) {
    await visitor.waitForAck(visitor.send(`${tag} visitor #${i}`));
    await op.waitForAck(op.send(`${tag} operator #${i}`));
  }
  await waitUntil([visitor], () => visitor.messages.size >= 2 * n, `${tag}: ${2 * n} messages`);
  return c;
}

let s1; // the shard-1 account's conversation
let demo; // the demo account's

test("an account on shard 1: its chat, events and tallies are in DB_1, none in DB", { timeout: 180_000 }, async () => {
  // The directory says where it lives.
  assert.deepEqual(rows("DB", "SELECT account_id, shard FROM account_shards ORDER BY account_id").map((r) => [r.account_id, r.shard]),
    [["acc_demo", 0], ["acc_s1", 1]]);

  s1 = await chat("ch_s1", sia, 3, "s1");
  // Page views from the look (visit + button view each) and a click, on a page of the channel's host.
  for (let i = 0; i < 3; i++) {
    const r = await fetch(`${edge.base}/api/v1/widget/look?channel=ch_s1`, { headers: { origin: edge.base } });
    assert.equal(r.status, 200);
  }
  const click = { id: `clk_${Date.now()}`, at: Date.now(), kind: "click", entry_point: "btn_ch_s1" };
  const ev = await postJson(edge.base, "/api/v1/widget/events",
    { channel_id: "ch_s1", visitor_id: s1.visitorId, visitor_token: s1.visitorToken, events: [click] });
  assert.equal(ev.status, 200, ev.text);

  // The conversation object's copy and the tally shards' flushes reach DB_1.
  const id = s1.conversationId;
  await until(() => count("DB_1", "messages", "conversation_id = ?", id) === 6, "6 messages in DB_1", 60_000);
  const visits = () => rows("DB_1", "SELECT COALESCE(SUM(n), 0) AS n FROM hourly_tallies WHERE channel_id = 'ch_s1' AND metric = 'visits'")[0].n;
  await until(() => visits() === 3, "3 visits flushed to DB_1", 60_000);
  assert.equal(count("DB_1", "conversations", "id = ? AND account_id = 'acc_s1'", id), 1);
  assert.ok(count("DB_1", "conversation_events", "conversation_id = ?", id) >= 1, "its events");
  assert.ok(count("DB_1", "tally_flushes", "shard LIKE 'ch_s1/%'") >= 1, "the flushes' guards");
  // Each message once, in DB_1 only.
  assert.deepEqual(rows("DB_1", "SELECT seq FROM messages WHERE conversation_id = ? ORDER BY seq", id).map((r) => r.seq), [1, 2, 3, 4, 5, 6]);
  for (const [table, where] of [["conversations", "account_id = 'acc_s1'"], ["messages", "account_id = 'acc_s1'"],
    ["conversation_events", `conversation_id = '${id}'`], ["hourly_tallies", "account_id = 'acc_s1'"],
    ["tally_flushes", "shard LIKE 'ch_s1/%'"]]) {
    assert.equal(count("DB", table, where), 0, `nothing of acc_s1 in DB.${table}`);
  }
  // The directory knows whose conversation it is (the ticket and socket doors read it).
  assert.deepEqual(rows("DB", "SELECT account_id, channel_id FROM conversation_parties WHERE id = ?", id).map((r) => ({ ...r })),
    [{ account_id: "acc_s1", channel_id: "ch_s1" }]);
});

test("its reports read its shard: the CSVs, the console's list and transcript", async () => {
  const id = s1.conversationId;
  const csv = async (slug, cookie) => {
    const r = await fetch(`${edge.base}/api/v1/reports/${slug}.csv?${period()}`, { headers: { cookie } });
    assert.equal(r.status, 200, slug);
    return (await r.text()).trim().split("\n");
  };
  const conversations = await csv("conversations", sia);
  assert.equal(conversations.length, 2, conversations.join("\n"));
  assert.ok(conversations[1].includes(id), conversations[1]);
  const traffic = await (await fetch(`${edge.base}${C}/reports/traffic.csv?${period()}`, { headers: { cookie: sia } })).text();
  const [head, ...lines] = traffic.trim().split("\n");
  const cols = head.split(",");
  const btn = lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i], v]))).filter((r) => r.entrypoint_id === "btn_ch_s1");
  const sum = (k) => btn.reduce((a, r) => a + Number(r[k]), 0);
  assert.deepEqual({ visits: sum("visits"), views: sum("views"), clicks: sum("clicks") }, { visits: 3, views: 3, clicks: 1 }, traffic);
  const list = await getJson(edge.base, `${C}/conversations`, sia);
  assert.deepEqual(list.json.conversations.map((c) => c.id), [id]);
  // Warm, the account's shard costs no query: the session's read and the list's, as on shard 0.
  const again = await fetch(`${edge.base}${C}/conversations`, { headers: { cookie: sia } });
  assert.equal(again.headers.get("x-parley-cost"), "d1=2, do=0, fetch=0");
  await fetch(`${edge.base}${C}/conversations`, { headers: { cookie: dana } });
  const demoList = await fetch(`${edge.base}${C}/conversations`, { headers: { cookie: dana } });
  assert.equal(demoList.headers.get("x-parley-cost"), "d1=2, do=0, fetch=0");
  const t = await getJson(edge.base, `${C}/conversations/${id}/transcript`, sia);
  assert.equal(t.status, 200, t.text);
  assert.equal(t.json.messages.length, 6);
});

test("an account on shard 0 is unaffected: its chat is in DB, and neither account sees the other's", { timeout: 120_000 }, async () => {
  demo = await chat("demo", dana, 2, "demo");
  const id = demo.conversationId;
  await until(() => count("DB", "messages", "conversation_id = ?", id) === 4, "4 messages in DB", 60_000);
  assert.equal(count("DB_1", "messages", "account_id = 'acc_demo'"), 0, "nothing of acc_demo in DB_1");
  assert.equal(count("DB_1", "conversations", "account_id = 'acc_demo'"), 0);
  const danas = await (await fetch(`${edge.base}/api/v1/reports/conversations.csv?${period()}`, { headers: { cookie: dana } })).text();
  assert.ok(danas.includes(id) && !danas.includes(s1.conversationId), danas);
  const sias = await (await fetch(`${edge.base}/api/v1/reports/conversations.csv?${period()}`, { headers: { cookie: sia } })).text();
  assert.ok(!sias.includes(id), sias);
  assert.equal((await getJson(edge.base, `${C}/conversations/${s1.conversationId}/transcript`, dana)).status, 404);
  assert.equal((await getJson(edge.base, `${C}/conversations/${id}/transcript`, sia)).status, 404);
});

test("a channel created in the console by a shard-1 admin gets its anchor in DB_1 and chats there", { timeout: 120_000 }, async () => {
  const made = await postJson(edge.base, `${C}/channels`, { name: "Shard one, second", hosts: ["127.0.0.1"] }, { cookie: sia });
  assert.equal(made.status, 201, made.text);
  const ch = made.json.id;
  assert.deepEqual(rows("DB_1", "SELECT account_id FROM channels WHERE id = ?", ch).map((r) => r.account_id), ["acc_s1"], "its anchor");
  assert.equal(count("DB", "channels", "id = ? AND account_id = 'acc_s1'", ch), 1, "the channel itself, in the directory");
  const joined = await postJson(edge.base, `${C}/presence`, { online: true, join: ch }, { cookie: sia });
  assert.equal(joined.status, 200, joined.text);
  const c = await chat(ch, sia, 1, "s1b");
  await until(() => count("DB_1", "messages", "conversation_id = ?", c.conversationId) === 2, "2 messages in DB_1", 60_000);
  assert.equal(count("DB", "conversations", "id = ?", c.conversationId), 0);
  await Promise.all(clients.splice(0).map((x) => x.close().catch(() => {})));
});

test("a shard-1 visitor's data is exported and erased from DB_1 (and its parties from the directory)", { timeout: 120_000 }, async () => {
  const { conversationId: id, visitorId } = s1;
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
  const exp = await getJson(edge.base, `${C}/visitors/${visitorId}/export`, sia);
  assert.equal(exp.status, 200, exp.text);
  assert.deepEqual(exp.json.conversations.map((c) => [c.summary.id, c.messages.length]), [[id, 6]]);
  const erased = await postJson(edge.base, `${C}/visitors/${visitorId}/erase`, {}, { cookie: sia });
  assert.equal(erased.status, 200, erased.text);
  assert.equal(erased.json.conversations, 1, erased.text);
  for (const table of ["conversations", "messages", "conversation_events"]) {
    assert.equal(count("DB_1", table, table === "conversations" ? "id = ?" : "conversation_id = ?", id), 0, `DB_1.${table}`);
  }
  assert.equal(count("DB", "conversation_parties", "id = ?", id), 0, "the directory forgot it");
  // The demo's chat is still there.
  assert.equal(count("DB", "messages", "conversation_id = ?", demo.conversationId), 4);
});
