// What each request spends of Cloudflare's per-invocation budgets, which `wrangler dev` does not
// enforce (issue 18; ARCHITECTURE.md "Limits only Cloudflare's production enforces"): D1
// queries, Durable Object calls and fetches, counted by the edge per request (`edge/src/cost.rs`,
// shown because the harness sets PARLEY_DEBUG_COST) and read back by the request's own id.
// Every route family is driven with worst-case data — a report over 3,000 conversations with
// CSV pages of 50, a logout with more open chats than one request revokes, the export of a
// visitor with a dozen conversations and the erasure of one with more than a request erases,
// the retention job over thousands of expired conversations — and each request must stay within the Free plan's 50 subrequests, except the
// per-conversation CSVs, which are paid-plan downloads past a few pages: their cost is pinned
// to a formula (a fixed part + 4 queries a page) under the Paid plan's 1,000 D1 queries.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { newVisitor, upgrade, wsUrl, ProtoClient } from "./proto-client.mjs";
import { useEdge, until, C } from "./fixtures.mjs";
import { closedConversationsSql } from "./harness.mjs";

/** `protocol/src/limits.rs` `cloudflare::MAX_SUBREQUESTS_FREE` / `MAX_D1_QUERIES_PAID` / `MAX_REVOKES_PER_REQUEST`. */
const FREE = 50;
const PAID_D1 = 1_000;
const MAX_REVOKES = 10;
/** Queries a page of a per-conversation CSV reads (conversations, messages, assignments, blocks). */
const PER_PAGE = 4;
const PAGE = 50;
const N = 3_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 9, 1);
const MANY = 12;
/** `cloudflare::MAX_ERASED_CONVERSATIONS_PER_REQUEST`, and a visitor with more. */
const ERASE_PER_REQUEST = 30;
const ERASE_MANY = 40;

// N closed conversations in one day (the reports' worst case), and a visitor with MANY of them.
const extraSql = `
${closedConversationsSql({ n: N, prefix: "rc", t0: T0, step: 20000, visitor: "'v_rc' || (i % 700)" })}\
${closedConversationsSql({ n: MANY, prefix: "many", t0: T0, step: 1000 })}\
${closedConversationsSql({ n: ERASE_MANY, prefix: "erase", t0: T0 - DAY, step: 1000 })}\
INSERT OR IGNORE INTO goals (id, account_id, name, value, url_glob, enabled, position, created_at) VALUES
  ('g_rc', 'acc_demo', 'E2E request-cost goal', 1, NULL, 1, 96, 1);
INSERT INTO offline_messages (id, account_id, channel_id, visitor_id, name, email, text, page_url, created_at)
VALUES ('om_rc', 'acc_demo', 'demo', 'v_erase', 'Rc', 'rc@visitor.example', 'hello', '', ${T0});
`;
const { edge, clients } = useEdge({
  extraSql,
  vars: {
    PARLEY_REPORT_CSV_PAGE: String(PAGE),
    PARLEY_LIMIT_CHAT_ADDRESS: "1000/60", PARLEY_LIMIT_CHAT_CHANNEL: "1000/60", PARLEY_LIMIT_CHAT_VISITOR: "1000/60",
    PARLEY_LIMIT_REPORT_ADDRESS: "1000/60", PARLEY_LIMIT_REPORT_LINK: "1000/60",
  },
  setup: async () => {
    dana = await edge.login();
  },
});
let dana;

/** Every count measured, printed at the end (the README's figures). */
const seen = [];
after(() => {
  const rows = seen.map(([label, c]) => `${label.padEnd(52)} d1=${String(c.d1).padStart(3)} do=${String(c.do).padStart(2)} fetch=${c.fetch}`);
  console.log(`\nrequest costs (free plan: ${FREE} subrequests)\n${rows.join("\n")}`);
});

let seq = 0;
const newId = () => `rc-${++seq}-${randomBytes(4).toString("hex")}`;

/** A finished request's count (`GET /api/v1/debug/cost/:id`; a streamed body's once it ended). */
async function costOf(id) {
  for (let i = 0; i < 100; i++) {
    const r = await fetch(`${edge.base}/api/v1/debug/cost/${id}`);
    if (r.status === 200) return r.json();
    await sleep(50);
  }
  throw new Error(`no count for request ${id}`);
}

/** One request with its own id; resolves `{ status, json, text, headers, cost }`. */
async function call(method, path, { body, cookie = dana, origin = edge.base } = {}) {
  const id = newId();
  const headers = { "x-parley-request-id": id };
  if (cookie) headers.cookie = cookie;
  if (origin) headers.origin = origin;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(edge.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text, headers: res.headers, cost: await costOf(id) };
}

const subrequests = (c) => c.d1 + c.do + c.fetch;

/** Asserts the request answered `status` within `bound` subrequests (the Free plan's by default). */
function within(label, r, status, bound = FREE) {
  assert.equal(r.status, status, `${label}: ${r.text}`);
  seen.push([label, r.cost]);
  assert.ok(subrequests(r.cost) <= bound, `${label}: ${JSON.stringify(r.cost)} is over ${bound} subrequests`);
  assert.ok(r.cost.d1 <= FREE || bound > FREE, `${label}: ${r.cost.d1} D1 queries`);
  return r;
}

const creds = (v) => ({ channel_id: "demo", visitor_id: v.visitorId, visitor_token: v.visitorToken });

test("each request counts its own, even when requests interleave", async () => {
  const lone = await call("GET", `${C}/conversations`);
  assert.equal(lone.status, 200);
  assert.ok(lone.cost.d1 > 0, JSON.stringify(lone.cost));
  // The header carries the same count as the debug endpoint.
  assert.equal(lone.headers.get("x-parley-cost"), `d1=${lone.cost.d1}, do=${lone.cost.do}, fetch=${lone.cost.fetch}`);
  // Twelve of them at once (awaits interleave in one isolate), with event batches in between:
  // each still counts exactly what it does alone.
  const v = await newVisitor(edge.base);
  const mixed = await Promise.all(Array.from({ length: 12 }, (_, i) => i % 3 === 2
    ? call("POST", "/api/v1/widget/events", { body: { ...creds(v), events: [] }, cookie: null })
    : call("GET", `${C}/conversations`)));
  for (const r of mixed.filter((_, i) => i % 3 !== 2)) assert.deepEqual(r.cost, lone.cost);
  // A path that is not a file reaches the worker, which asks the assets: one fetch, nothing else
  // (existing files are served before the worker runs).
  const asset = await call("GET", "/no-such-file.txt", { cookie: null });
  assert.equal(asset.status, 404);
  assert.deepEqual(asset.cost, { d1: 0, do: 0, fetch: 1 });
});

test("the widget's doors fit the free plan", async () => {
  within("GET /widget/look", await call("GET", "/api/v1/widget/look?channel=demo", { cookie: null }), 200);
  const s = within("POST /widget/session", await call("POST", "/api/v1/widget/session", { body: { channel_id: "demo" }, cookie: null }), 200);
  const v = { visitorId: s.json.visitor_id, visitorToken: s.json.visitor_token };
  within("POST /widget/availability", await call("POST", "/api/v1/widget/availability", { body: creds(v), cookie: null }), 200);
  const events = Array.from({ length: 50 }, (_, i) => ({ id: `rc-ev-${i}`, at: Date.now(), kind: "visit", entry_point: "btn_demo" }));
  within("POST /widget/events (50 events)", await call("POST", "/api/v1/widget/events", { body: { ...creds(v), events }, cookie: null }), 200);
  const made = within("POST /conversations", await call("POST", "/api/v1/conversations",
    { body: { ...creds(v), page_url: `${edge.base}/pricing` }, cookie: null }), 200);
  const id = made.json.conversation_id;
  const ticket = within("POST /conversations/:id/ticket", await call("POST", `/api/v1/conversations/${id}/ticket`,
    { body: { visitor_id: v.visitorId, visitor_token: v.visitorToken }, cookie: null }), 200);
  // The socket's upgrade: its 101 carries no header, so the count is read by the id we gave it.
  const wsId = newId();
  const sock = await upgrade(wsUrl(edge.base, id, "visitor", { ticket: ticket.json.ticket }),
    { origin: edge.base, "x-parley-request-id": wsId });
  assert.equal(sock.status, 101, JSON.stringify(sock));
  within("GET /conversations/:id/ws (visitor)", { status: 101, cost: await costOf(wsId) }, 101);
  sock.ws.close?.();
  const opId = newId();
  const opSock = await upgrade(wsUrl(edge.base, id, "operator"), { origin: edge.base, cookie: dana, "x-parley-request-id": opId });
  assert.equal(opSock.status, 101, JSON.stringify(opSock));
  within("GET /conversations/:id/ws (operator)", { status: 101, cost: await costOf(opId) }, 101);
  opSock.ws.close?.();
  within("POST /widget/goals", await call("POST", "/api/v1/widget/goals", {
    body: { ...creds(v), conversation_id: id, goals: [{ goal_id: "g_rc", name: "ignored", value: 1, at: 1 }] }, cookie: null,
  }), 200);
  const survey = await call("POST", `/api/v1/widget/conversations/${id}/survey`, {
    body: { ...creds(v), survey: { survey: "rated", rating: "good", comment: "fine" } }, cookie: null,
  });
  seen.push(["POST /widget/conversations/:id/survey", survey.cost]);
  assert.ok(subrequests(survey.cost) <= FREE, JSON.stringify(survey.cost));
  within("POST /widget/offline-message", await call("POST", "/api/v1/widget/offline-message", {
    body: { ...creds(await newVisitor(edge.base)), name: "Rc", email: "rc@visitor.example", text: "hi", page_url: `${edge.base}/` },
    cookie: null,
  }), 201);
});

test("the console's lists, writes and reports fit the free plan", async () => {
  within("POST /auth/login", await call("POST", "/api/v1/auth/login", { body: { username: "sam", password: "parley-demo" }, cookie: null }), 200);
  within("GET /auth/me", await call("GET", "/api/v1/auth/me"), 200);
  for (const path of ["conversations", "operators", "presence", "settings", "canned", "offline-messages", "blocks",
    "report-links", "account", "account/retention", "outcome-settings"]) {
    within(`GET /console/${path}`, await call("GET", `${C}/${path}`), 200);
  }
  within("GET /console/conversations/:id/events", await call("GET", `${C}/conversations/c_rc1/events`), 200);
  within("GET /console/conversations/:id/transcript", await call("GET", `${C}/conversations/c_rc1/transcript`), 200);
  within("POST /console/presence", await call("POST", `${C}/presence`, { body: { online: true, join: "demo" } }), 200);
  within("POST /console/account/retention", await call("POST", `${C}/account/retention`, { body: { days: 3650 } }), 200);
  within("POST /console/canned", await call("POST", `${C}/canned`, { body: { shortcut: "rc-hi", text: "Hello from rc" } }), 201);
  // Reports as JSON over all N conversations: one read each, whatever the period holds.
  const q = `from=${T0}&to=${T0 + DAY}&tz=UTC`;
  for (const slug of ["conversations", "overview", "by_operator", "agent_performance", "sessions", "traffic"]) {
    within(`GET /reports/${slug} (${N} conversations)`, await call("GET", `/api/v1/reports/${slug}?${q}`), 200);
  }
  within("GET /console/reports/traffic.csv", await call("GET", `${C}/reports/traffic.csv?from=${T0}&to=${T0 + DAY}`), 200);
  within(`GET /reports/by_operator.csv (${N} conversations)`, await call("GET", `/api/v1/reports/by_operator.csv?${q}`), 200);
  // A shared link and its public read.
  const link = within("POST /console/report-links", await call("POST", `${C}/report-links`,
    { body: { report: "overview", query: `${q}&channel=demo`, title: "rc" } }), 200);
  const url = new URL(link.json.api_url, edge.base);
  within("GET /public/reports/:slug", await call("GET", url.pathname + url.search, { cookie: null }), 200);
});

test("a per-conversation CSV costs a fixed part and 4 queries a page: free up to a few pages, paid beyond", async () => {
  const empty = await call("GET", `/api/v1/reports/conversations.csv?from=${T0 - 2 * DAY}&to=${T0 - DAY}&tz=UTC`);
  within("GET /reports/conversations.csv (empty period)", empty, 200);
  const big = await call("GET", `/api/v1/reports/conversations.csv?from=${T0}&to=${T0 + DAY}&tz=UTC`);
  assert.equal(big.status, 200);
  const rows = big.text.trim().split("\n").length - 1;
  assert.equal(rows, N + MANY, "every conversation of the day (the visitor with many's are in it)");
  // Pages: full ones of PAGE, then the last (partial, or empty when the rows divide evenly).
  const pages = Math.floor(rows / PAGE) + 1;
  assert.equal(big.cost.d1, empty.cost.d1 + PER_PAGE * (pages - 1), JSON.stringify({ empty: empty.cost, big: big.cost, pages }));
  within(`GET /reports/conversations.csv (${N} conv., pages of ${PAGE})`, big, 200, PAID_D1);
  const freePages = Math.floor((FREE - empty.cost.d1) / PER_PAGE) + 1;
  seen.push([`  -> free plan: ${freePages} pages; paid: ${Math.floor((PAID_D1 - empty.cost.d1) / PER_PAGE) + 1} pages`, { d1: 0, do: 0, fetch: 0 }]);
  assert.ok(freePages >= 9, `${freePages} pages fit the free plan`);
  within(`GET /reports/sessions.csv (${N} conv.)`, await call("GET", `/api/v1/reports/sessions.csv?from=${T0}&to=${T0 + DAY}&tz=UTC`), 200, PAID_D1);
});

test("a visitor with many conversations is exported in constant queries and erased in bounded steps", async () => {
  // The export reads every conversation's child rows in one query per table.
  const some = Math.floor((N - 1) / 700) + 1;
  const few = within(`GET /console/visitors/:id/export (${some} conversations)`, await call("GET", `${C}/visitors/v_rc1/export`), 200);
  assert.equal(few.json.conversations.length, some);
  const many = within(`GET /console/visitors/:id/export (${MANY} conversations)`, await call("GET", `${C}/visitors/v_many/export`), 200);
  assert.equal(many.json.conversations.length, MANY);
  assert.deepEqual(many.cost, few.cost, "the same queries whatever the number of conversations");
  // Erasure: at most ERASE_PER_REQUEST conversations (one object call each) a request; the
  // answer says how many remain, the last request takes the visitor's other rows.
  const first = within(`POST /console/visitors/:id/erase (${ERASE_MANY} conversations, 1st)`,
    await call("POST", `${C}/visitors/v_erase/erase`, { body: {} }), 200);
  assert.deepEqual(first.json, { visitor_id: "v_erase", conversations: ERASE_PER_REQUEST, offline_messages: 0, identities: 0,
    blocks: 0, remaining: ERASE_MANY - ERASE_PER_REQUEST });
  assert.equal(first.cost.do, ERASE_PER_REQUEST, "one call per conversation's object");
  const second = within(`POST /console/visitors/:id/erase (${ERASE_MANY} conversations, 2nd)`,
    await call("POST", `${C}/visitors/v_erase/erase`, { body: {} }), 200);
  assert.deepEqual(second.json, { visitor_id: "v_erase", conversations: ERASE_MANY - ERASE_PER_REQUEST, offline_messages: 1,
    identities: 0, blocks: 0 });
  const gone = await call("GET", `${C}/visitors/v_erase/export`);
  assert.deepEqual([gone.json.conversations, gone.json.offline_messages], [[], []]);
  within(`POST /console/visitors/:id/erase (${MANY} conversations)`, await call("POST", `${C}/visitors/v_many/erase`, { body: {} }), 200);
});

test("a logout with more open chats than one request revokes stays within its bound", async () => {
  // Sam watches MANY chats (one operator socket each), then logs out.
  const sam = await edge.login("sam");
  for (let i = 0; i < MANY; i++) {
    const v = await newVisitor(edge.base);
    const made = await call("POST", "/api/v1/conversations", { body: { ...creds(v), page_url: `${edge.base}/` }, cookie: null });
    assert.equal(made.status, 200, made.text);
    const op = new ProtoClient({ base: edge.base, conversationId: made.json.conversation_id, role: "operator", cookie: sam });
    clients.push(op);
    await op.start();
  }
  const ops = clients.slice(-MANY);
  const out = within(`POST /auth/logout (${MANY} open chats)`, await call("POST", "/api/v1/auth/logout", { body: {}, cookie: sam }), 200);
  assert.equal(out.cost.do, MAX_REVOKES, `at most ${MAX_REVOKES} conversations are told at once`);
  // Those told close at once; the others at their next session check (within a minute).
  await until(() => ops.filter((o) => o.refusal || !o.ready).length >= MAX_REVOKES, "revoked sockets close", 30_000);
  for (const o of ops) await o.close().catch(() => {});
});

test("the retention job purges within one run's subrequests and takes the rest next run", async () => {
  const set = await call("POST", `${C}/account/retention`, { body: { days: 1 } });
  assert.equal(set.status, 200, set.text);
  /** The day's conversations as the Conversations report counts them (a fresh session: the run purges idle ones). */
  const count = async () => {
    const cookie = await edge.login();
    const r = await call("GET", `/api/v1/reports/conversations?from=${T0}&to=${T0 + DAY}&tz=UTC`, { cookie });
    assert.equal(r.status, 200, r.text);
    return r.json.table.rows.length;
  };
  let at = Date.now() + 400 * DAY;
  const run = async () => {
    const before = await count();
    const time = ++at;
    const r = await fetch(`${edge.base}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("17 * * * *")}&time=${time}`);
    assert.equal(r.status, 200, await r.text());
    return { cost: await costOf(`cron-${time}`), purged: before - (await count()) };
  };
  const first = await run();
  seen.push([`scheduled run (${N} expired conversations)`, first.cost]);
  assert.ok(subrequests(first.cost) <= FREE, JSON.stringify(first.cost));
  assert.ok(first.purged > 0 && first.purged < N, `${first.purged} purged in one run`);
  const second = await run();
  assert.ok(subrequests(second.cost) <= FREE, JSON.stringify(second.cost));
  assert.equal(second.purged, first.purged, "the next run takes as many more");
});
