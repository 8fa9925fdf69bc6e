// Report facts through the real edge (wrangler dev, D1, Durable Objects): a chat's messages
// reach D1 `messages` through the conversation object's retried sync (visitor and operator,
// dense seqs, a repeated send stored once, nothing lost across a SIGKILL of workerd), the new
// conversation's session_id and host_id, and the generic report endpoints — JSON, the streamed
// CSV (headers, same cells as the JSON), 400 naming the field, 404 for an unknown report, 401
// and 403 — and the transcript endpoint's account isolation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { queryD1 } from "./harness.mjs";
import { getJson, newConversation, ProtoClient, waitUntil } from "./proto-client.mjs";
import { useEdge, secondAccount, assertError } from "./fixtures.mjs";

const DAY = 24 * 60 * 60 * 1000;
// A second account with its own admin (Dana's password) and one conversation (isolation).
// One conversation per streamed CSV page: the two chats below stream in several pages.
const { edge, clients } = useEdge({
  vars: { PARLEY_REPORT_CSV_PAGE: "1" },
  extraSql: async () => await secondAccount({
    name: "Other account",
    channels: [{ id: "ch_other", name: "Other channel" }],
    operators: [{ id: "op_other", username: "other-admin", chat_name: "Olga", role: "admin" }],
  }) + `
INSERT INTO conversations (id, account_id, channel_id, visitor_id, status, created_at, updated_at)
  VALUES ('c_othertranscript00000000', 'acc_other', 'ch_other', 'v_other', 'closed', ${Date.now()}, ${Date.now()});
INSERT INTO messages (conversation_id, seq, account_id, channel_id, role, author_name, text, at)
  VALUES ('c_othertranscript00000000', 1, 'acc_other', 'ch_other', 'visitor', 'Visitor', 'secret', ${Date.now()});
`,
  setup: async () => {
    dana = await edge.login();
    sam = await edge.login("sam");
    other = await edge.login("other-admin");
  },
});
let dana, sam, other;

/** Runs a read-only SQL query on the local D1 (wrangler dev stopped); resolves its rows. */
const d1 = (sql) => queryD1(edge.state, sql);

const transcript = (id, cookie = dana) => getJson(edge.base, `/api/v1/console/conversations/${id}/transcript`, cookie);

/** Polls the transcript until it holds `n` messages (the object copies them right after storing). */
async function transcriptWith(id, n) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await transcript(id);
    assert.equal(r.status, 200, r.text);
    if (r.json.messages.length >= n) return r.json;
    if (Date.now() > deadline) throw new Error(`transcript of ${id}: ${r.text}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** A table's CSV as the edge writes it (RFC 4180, quotes only where needed). */
function csvOf(table) {
  const cell = (v, only) => (/[",\r\n]/.test(v) || (only && v === "") ? `"${v.replaceAll('"', '""')}"` : v);
  const line = (cells) => cells.map((v) => cell(v, cells.length === 1)).join(",") + "\n";
  return line(table.columns) + table.rows.map(line).join("");
}

let chat; // { conversationId, visitorId, visitorToken }
let expected; // [{ role, author_name, text }] in seq order
let sessions; // conversation id → session_id, as D1 holds it

test("a chat's messages reach D1: roles, authors, dense seqs, a repeated send stored once", async () => {
  chat = await newConversation(edge.base);
  const visitor = new ProtoClient({ base: edge.base, role: "visitor", ...chat });
  const op = new ProtoClient({ base: edge.base, conversationId: chat.conversationId, role: "operator", cookie: dana });
  clients.push(visitor, op);
  await Promise.all([visitor.start(), op.start()]);

  const v1 = visitor.send("Hello, is anyone there?");
  await visitor.waitForAck(v1);
  const o1 = op.send("Hi! Dana here, how can I help?");
  await op.waitForAck(o1);
  // The same client id twice: one message (the object deduplicates, D1 copies it once).
  visitor.sendFrame({ type: "send", client_id: "dup-1", text: "Prices, please, with a \"quote\", and a comma" });
  visitor.sendFrame({ type: "send", client_id: "dup-1", text: "Prices, please, with a \"quote\", and a comma" });
  const o2 = op.send("Sure: 10 € a month.");
  await op.waitForAck(o2);
  await waitUntil([visitor], () => visitor.messages.size >= 4, "visitor holds 4 messages");

  const t = await transcriptWith(chat.conversationId, 4);
  expected = [
    { role: "visitor", author_name: "Visitor", text: "Hello, is anyone there?" },
    { role: "operator", author_name: "Dana", text: "Hi! Dana here, how can I help?" },
    { role: "visitor", author_name: "Visitor", text: "Prices, please, with a \"quote\", and a comma" },
    { role: "operator", author_name: "Dana", text: "Sure: 10 € a month." },
  ];
  assert.deepEqual(t.messages.map(({ role, author_name, text }) => ({ role, author_name, text })), expected);
  assert.deepEqual(t.messages.map((m) => m.seq), [1, 2, 3, 4], "dense seqs, the repeat not stored");
  assert.deepEqual(t.messages.map((m) => m.at), [...visitor.messages.values()].map((m) => m.at), "times as acked");
  assert.equal(t.conversation.id, chat.conversationId);
  assert.equal(t.survey_result, "", "not rated yet");

  // Any operator of the account reads it; another account's admin, nobody logged in, or a
  // missing id do not.
  assert.equal((await transcript(chat.conversationId, sam)).status, 200, "a plain operator of the account");
  assertError(await transcript(chat.conversationId, other), 404, "unknown_conversation", "another account's admin");
  assertError(await transcript("c_othertranscript00000000", dana), 404, "unknown_conversation", "a foreign conversation");
  assertError(await transcript("c_nosuchconversation0000"), 404, "unknown_conversation", "missing");
  assertError(await transcript(chat.conversationId, null), 401, "unauthenticated", "no session");
  const mine = await transcript("c_othertranscript00000000", other);
  assert.equal(mine.status, 200, mine.text);
  assert.deepEqual(mine.json.messages.map((m) => m.text), ["secret"], "its own account's admin sees it");
});

test("a SIGKILL of workerd loses nothing and doubles nothing; session_id and host_id are set", async () => {
  const visitor = new ProtoClient({ base: edge.base, role: "visitor", ...chat, backoffMaxMs: 200 });
  clients.push(visitor);
  await visitor.start();
  // Acknowledged just before the crash: stored in the object, its D1 copy may or may not have
  // happened; the next change copies whatever D1 lacks.
  const before = visitor.send("Sent right before the crash");
  await visitor.waitForAck(before);
  await edge.kill();

  const rows = await d1(`SELECT session_id, host_id, pages FROM conversations WHERE id = '${chat.conversationId}'`);
  assert.equal(rows.length, 1);
  assert.match(rows[0].session_id, /^ss_/, "a session id minted with the conversation");
  assert.equal(rows[0].host_id, "h_demo_ip", "the host the origin check matched (127.0.0.1)");
  assert.deepEqual(JSON.parse(rows[0].pages).map((p) => p.url), [`${edge.base}/`], "the pages seen, as JSON");

  await edge.restart();
  await visitor.waitFor(() => visitor.ready, "visitor reconnected");
  const afterIt = visitor.send("Sent after the restart");
  await visitor.waitForAck(afterIt);
  expected.push({ role: "visitor", author_name: "Visitor", text: "Sent right before the crash" });
  expected.push({ role: "visitor", author_name: "Visitor", text: "Sent after the restart" });
  const t = await transcriptWith(chat.conversationId, 6);
  assert.deepEqual(t.messages.map(({ role, author_name, text }) => ({ role, author_name, text })), expected);
  assert.deepEqual(t.messages.map((m) => m.seq), [1, 2, 3, 4, 5, 6]);

  // Another chat gets its own session.
  const second = await newConversation(edge.base);
  await edge.kill();
  const ids = await d1(`SELECT id, session_id, host_id FROM conversations WHERE id IN ('${chat.conversationId}', '${second.conversationId}')`);
  assert.equal(new Set(ids.map((r) => r.session_id)).size, 2, "two conversations, two sessions");
  sessions = Object.fromEntries(ids.map((r) => [r.id, r.session_id]));
  const copies = await d1(`SELECT COUNT(*) AS n, COUNT(DISTINCT seq) AS d, MAX(seq) AS m FROM messages WHERE conversation_id = '${chat.conversationId}'`);
  assert.deepEqual(copies[0], { n: 6, d: 6, m: 6 }, "one D1 row per message");
  const ops = await d1(`SELECT seq, operator_id FROM messages WHERE conversation_id = '${chat.conversationId}' AND role = 'operator' ORDER BY seq`);
  assert.deepEqual(ops, [{ seq: 2, operator_id: "op_demo" }, { seq: 4, operator_id: "op_demo" }]);
  await edge.restart();
  dana = await edge.login();
});

test("report endpoints: JSON, streamed CSV (paged: one conversation a page) with its headers and the same cells, refusals", async () => {
  const now = Date.now();
  const period = `from=${now - DAY}&to=${now + DAY}`;
  for (const slug of ["conversations", "sessions", "agents"]) {
    const j = await getJson(edge.base, `/api/v1/reports/${slug}?${period}`, dana);
    assert.equal(j.status, 200, `${slug}: ${j.text}`);
    assert.equal(j.json.query.report, slug);
    assert.equal(j.json.query.tz, "UTC", "the account's zone when tz is absent");
    assert.ok(j.json.title.length > 0);
    assert.ok(Array.isArray(j.json.table.columns) && j.json.table.columns.length > 0);

    const res = await fetch(`${edge.base}/api/v1/reports/${slug}.csv?${period}`, { headers: { cookie: dana } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/csv; charset=utf-8");
    assert.equal(res.headers.get("content-disposition"), `attachment; filename="${slug}.csv"`);
    assert.equal(res.headers.get("content-length"), null, `${slug}: streamed (no length known up front)`);
    const body = await res.text();
    assert.equal(body, csvOf(j.json.table), `${slug}: the CSV is the JSON's table`);
  }
  // The conversations export shows this account's chats only, with their session and host.
  const conv = await getJson(edge.base, `/api/v1/reports/conversations?${period}`, dana);
  assert.ok(!JSON.stringify(conv.json).includes("c_othertranscript"), "no other account's conversation");
  const { columns, rows } = conv.json.table;
  assert.equal(rows.length, 2, "the two chats of this test");
  const col = (name) => columns.indexOf(name);
  assert.deepEqual(rows.map((r) => r[col("session_id")]).sort(), Object.values(sessions).sort());
  assert.deepEqual(rows.map((r) => r[col("host_id")]), ["h_demo_ip", "h_demo_ip"]);

  const bad = (q, cookie = dana, slug = "conversations") => getJson(edge.base, `/api/v1/reports/${slug}?${q}`, cookie);
  assertError(await bad("from=yesterday&to=1"), 400, "invalid", "unreadable from", "from");
  assertError(await bad(`${period}&colour=red`), 400, "invalid", "unknown key", "colour");
  assertError(await bad(`${period}&tz=Mars/Olympus`), 400, "invalid", "unknown zone", "tz");
  assertError(await bad(`from=${now}&to=${now - 1}`), 400, "invalid", "backwards period", "to");
  assertError(await bad(`${period}&status=maybe`), 400, "invalid", "bad status", "status");
  assertError(await bad("to=5"), 400, "invalid", "no from", "from");
  assertError(await bad(period, dana, "nonsense"), 404, "not_found", "unknown report");
  assertError(await bad(period, dana, "nonsense.csv"), 404, "not_found", "unknown report CSV");
  assertError(await bad(period, sam), 403, "forbidden", "not an admin");
  assertError(await bad(period, sam, "conversations.csv"), 403, "forbidden", "not an admin, CSV");
  assertError(await bad(period, null), 401, "unauthenticated", "no session");
});
