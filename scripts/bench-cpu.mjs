#!/usr/bin/env node
// CPU per request benchmark (`make bench`, not part of `make test`). Cloudflare stops a request
// past its CPU time (Free plan: 10 ms; Paid: 30 s by default, `[limits] cpu_ms` up to 5 min);
// `wrangler dev` never does. Speed is not asserted in tests: this benchmark measures it and
// FAILS (exit 1) when a route's median is over its budget.
//
// How: a real `wrangler dev` (the e2e harness), otherwise idle. For each route, a batch of
// identical requests is sent one after another; the workerd process's CPU time (the sum over its
// threads of /proc/<pid>/task/<tid>/schedstat, nanoseconds on CPU; /proc/<pid>/stat utime+stime
// as a fallback) is read before and after, and divided by the batch's size. That is an UPPER
// BOUND of what Cloudflare counts: it includes the runtime's own work (HTTP parsing, the
// isolate's event loop, local D1 — SQLite in the same process — and the Durable Objects the
// request calls, which production bills to the object, not the request), and any background
// work that ran meanwhile (the idle rate is printed). Each batch runs `--runs` times: median,
// min–max.
//
// Because local D1 (SQLite behind an object in the same workerd) and the objects a request calls
// are billed to D1 and to those objects in production, not to the request, three calibration
// routes measure the runtime's floor (`/health`: no query), one trivial D1 query (`/widget/look`)
// and one trivial object call (`/widget/availability`); a route's own CPU is its workerd CPU
// less the floor, its D1 queries and its object calls (counted by the edge, `x-parley-cost`)
// at those rates. Both figures are printed; the budget applies to the route's own CPU. It is
// still an estimate: a query heavier than a primary-key read costs D1 more than the
// calibration, and that remainder is counted against the route.
//
// Budgets: what a visitor's page calls must fit the Free plan's 10 ms (a socket message: the
// conversation object's whole CPU); the console is a paid-plan client (its login's WebCrypto
// PBKDF2 at 100,000 iterations is above 10 ms), so its routes and the reports over thousands of
// conversations have budgets of their own, far below the Paid plan's default 30 s (so
// `wrangler.toml` needs no `[limits] cpu_ms`).
//
// Usage: node scripts/bench-cpu.mjs [--batch 20] [--runs 5] [--conversations 3000]
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { startEdge, closedConversationsSql } from "../tests/e2e/harness.mjs";
import { workerdPids, cpuMs } from "./workerd-cpu.mjs";
import { newVisitor, login, postJson, ProtoClient } from "../tests/e2e/proto-client.mjs";

const { values: args } = parseArgs({
  options: {
    batch: { type: "string", default: "20" },
    runs: { type: "string", default: "5" },
    conversations: { type: "string", default: "3000" },
  },
});
const BATCH = Number(args.batch), RUNS = Number(args.runs), N = Number(args.conversations);
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 9, 1);
/** `protocol/src/limits.rs` `cloudflare::MAX_CPU_MS_FREE`. */
const FREE_MS = 10;

// N closed conversations in one day, each with two messages (the reports' worst case).
const extraSql = closedConversationsSql({ n: N, prefix: "b", t0: T0, step: 20000, messages: 2, visitor: "'v_b' || (i % 700)" });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// -- the routes --------------------------------------------------------------------------------

const edge = await startEdge({
  extraSql,
  vars: {
    PARLEY_VISITOR_RATE: "100000/100000", PARLEY_SOCKET_RATE: "100000/100000",
    PARLEY_LIMIT_CHAT_ADDRESS: "100000/60", PARLEY_LIMIT_CHAT_CHANNEL: "100000/60", PARLEY_LIMIT_CHAT_VISITOR: "100000/60",
    PARLEY_LIMIT_EVENTS_VISITOR: "100000/60", PARLEY_LIMIT_EVENTS_ADDRESS: "100000/60",
    PARLEY_LIMIT_REPORT_ADDRESS: "100000/60", PARLEY_LIMIT_REPORT_LINK: "100000/60",
  },
});
let failed = false;
try {
  const base = edge.base;
  const pids = workerdPids(edge.child.pid);
  if (pids.length === 0) throw new Error("no workerd process found in wrangler's process group");
  const cookie = await login(base);
  const must = (r, status = 200) => {
    if (r.status !== status) throw new Error(`${r.status} ${JSON.stringify(r.json ?? r.text)}`);
    return r;
  };
  const q = `from=${T0}&to=${T0 + DAY}&tz=UTC`;
  let ev = 0;
  const events = (n) => Array.from({ length: n }, () => ({ id: `bc${++ev}`, at: Date.now(), kind: "visit", entry_point: "btn_demo" }));
  const creds = (v) => ({ channel_id: "demo", visitor_id: v.visitorId, visitor_token: v.visitorToken });

  // A visitor's socket for the message route (kept open over every run).
  const v0 = await newVisitor(base);
  const c0 = must(await postJson(base, "/api/v1/conversations", { ...creds(v0), page_url: `${base}/` })).json.conversation_id;
  const sock = new ProtoClient({ base, conversationId: c0, role: "visitor", ...v0 });
  await sock.start();

  /** One request with its own id (its count: `/api/v1/debug/cost/:id`, PARLEY_DEBUG_COST is on in the harness). */
  let rid = 0;
  const req = async (method, path, { body, cookie: c, origin = base, id = `cpu-${++rid}` } = {}) => {
    const headers = { "x-parley-request-id": id, origin };
    if (c) headers.cookie = c;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, json, text, id };
  };
  const costOf = async (id) => {
    for (let i = 0; i < 100; i++) {
      const r = await fetch(`${base}/api/v1/debug/cost/${id}`);
      if (r.status === 200) return r.json();
      await sleep(50);
    }
    throw new Error(`no count for ${id}`);
  };
  const get = (path, c) => req("GET", path, { cookie: c });
  const post = (path, body, c) => req("POST", path, { body, cookie: c });

  /**
   * Each route: [label, budget in ms (null: a calibration), setup (untimed, per run) → request
   * (timed, per item), expected status].
   */
  const routes = [
    ["GET /health (calibration: runtime floor)", null, async () => () => get("/api/v1/health")],
    ["GET /widget/look (calibration: + 1 D1 query)", null, async () => () => get("/api/v1/widget/look?channel=demo")],
    ["POST /widget/availability (calibration: + 1 object)", null, async () => {
      const v = await newVisitor(base);
      return () => post("/api/v1/widget/availability", creds(v));
    }],
    ["POST /widget/session", FREE_MS, async () => () => post("/api/v1/widget/session", { channel_id: "demo" })],
    ["POST /conversations", FREE_MS, async () => {
      const vs = [];
      for (let i = 0; i < BATCH; i++) vs.push(await newVisitor(base));
      let i = 0;
      return () => post("/api/v1/conversations", { ...creds(vs[i++]), page_url: `${base}/` });
    }],
    ["POST /conversations/:id/ticket", FREE_MS, async () => () =>
      post(`/api/v1/conversations/${c0}/ticket`, { visitor_id: v0.visitorId, visitor_token: v0.visitorToken })],
    ["a message through the socket (object only)", FREE_MS, async () => {
      let i = 0;
      return async () => {
        await sock.waitForAck(sock.send(`bench message ${++i}`));
        return { status: 200 };
      };
    }],
    ["POST /widget/events (50 events)", FREE_MS, async () => {
      const v = await newVisitor(base);
      return () => post("/api/v1/widget/events", { ...creds(v), events: events(50) });
    }],
    ["POST /auth/login (PBKDF2 100,000; paid plan)", 150, async () => () => post("/api/v1/auth/login", { username: "demo", password: "parley-demo" })],
    // The console is a paid-plan client already (its login's PBKDF2 is above 10 ms): budgets
    // of its own, far below the Paid plan's default 30 s.
    ["GET /console/conversations (paid plan)", 100, async () => () => get("/api/v1/console/conversations", cookie)],
    [`GET /reports/overview (${N} conversations)`, 500, async () => () => get(`/api/v1/reports/overview?${q}`, cookie)],
    [`GET /reports/conversations (${N}, JSON)`, 1_000, async () => () => get(`/api/v1/reports/conversations?${q}`, cookie)],
    [`GET /reports/conversations.csv (${N})`, 1_000, async () => () => get(`/api/v1/reports/conversations.csv?${q}`, cookie)],
  ];

  // The idle rate (background timers of the runtime), for reading the table.
  const idle0 = cpuMs(pids);
  await sleep(1_000);
  const idlePerSec = cpuMs(pids) - idle0;

  const rows = [];
  const floor = { base: 0, query: 0, object: 0 };
  for (const [label, budget, setup] of routes) {
    // Heavy routes run fewer times per batch (a report over thousands of conversations).
    const size = budget > 100 ? Math.max(3, Math.floor(BATCH / 4)) : BATCH;
    const perRun = [];
    let last = null;
    // One warm-up batch (the isolate compiles the route's code paths once).
    for (let run = -1; run < RUNS; run++) {
      const next = await setup();
      const before = cpuMs(pids);
      for (let i = 0; i < size; i++) last = must(await next());
      const ms = (cpuMs(pids) - before) / size;
      if (run >= 0) perRun.push(ms);
    }
    const raw = median(perRun);
    const cost = last.id ? await costOf(last.id) : { d1: 0, do: 0, fetch: 0 };
    // What local D1 (an object running SQLite in workerd) and the objects called cost, from the
    // calibrations: production bills them to D1 and to the objects, not to this request.
    if (label.startsWith("GET /health")) floor.base = raw;
    else if (label.startsWith("GET /widget/look")) floor.query = Math.max(0, raw - floor.base);
    else if (label.startsWith("POST /widget/availability")) floor.object = Math.max(0, raw - floor.base - cost.d1 * floor.query);
    // A socket message is no HTTP request: the conversation object's own CPU, all of it.
    const own = label.includes("(object only)") ? raw
      : Math.max(0, raw - floor.base - cost.d1 * floor.query - cost.do * floor.object);
    const ok = budget === null || own <= budget;
    if (!ok) failed = true;
    rows.push({ label, raw, own, min: Math.min(...perRun), max: Math.max(...perRun), budget, cost, ok });
  }
  await sock.close();

  console.log(`\nCPU per request: workerd's CPU time, median of ${RUNS} runs (min–max), and what is left of it for the`);
  console.log(`request itself once the runtime floor (${floor.base.toFixed(2)} ms), local D1 (${floor.query.toFixed(2)} ms a query) and`);
  console.log(`the objects called (${floor.object.toFixed(2)} ms a call) are taken out (calibrated on the first three routes);`);
  console.log(`the budget applies to that. idle: ${idlePerSec.toFixed(2)} ms of CPU per second.\n`);
  console.log(`${"route".padEnd(52)} ${"workerd".padStart(9)} ${"min–max".padStart(15)} ${"d1/do".padStart(7)} ${"request".padStart(10)} ${"budget".padStart(8)}`);
  for (const r of rows) {
    const budget = r.budget === null ? "—" : `${r.budget} ms`;
    console.log(`${r.label.padEnd(52)} ${r.raw.toFixed(2).padStart(6)} ms ${`${r.min.toFixed(1)}–${r.max.toFixed(1)}`.padStart(12)} ms ${`${r.cost.d1}/${r.cost.do}`.padStart(7)} ${r.own.toFixed(2).padStart(7)} ms ${budget.padStart(8)} ${r.ok ? (r.budget === null ? "" : "ok") : "OVER BUDGET"}`);
  }
} catch (e) {
  console.error(e);
  failed = true;
} finally {
  await edge.stop();
  edge.cleanup();
}
if (failed) {
  console.error("\nbench-cpu: a route is over its CPU budget (or the benchmark failed)");
  process.exit(1);
}
