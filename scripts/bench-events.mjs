#!/usr/bin/env node
// Tally benchmark (`make bench`, not part of `make test`): many concurrent visitors of ONE
// channel send batches of traffic and invite events (visits, views, clicks, invites shown and
// then accepted / declined / expired / ignored, cancelled invites) through a real local
// `wrangler dev`: worker → the visitor's tally shard (Durable Object, SQLite) → combined
// flushes to D1. Some batches are deliberately sent twice (a widget retrying after a lost
// answer): their second copy must come back as duplicates.
//
// It measures events acknowledged per second (first copies and duplicates alike, over the wall
// time of the sending phase) and the batch round trip, then waits for the flushes and checks
// that the "Traffic" and "Automatic invites" CSVs hold exactly what was acknowledged (exit 1
// otherwise).
//
// Usage: node scripts/bench-events.mjs [--events 20000] [--visitors 200] [--batch 10]
//        [--concurrency 50] [--resend-every 10] [--shards 8] [--flush-ms 1000]
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { availableParallelism } from "node:os";
import { startEdge } from "../tests/e2e/harness.mjs";
import { newVisitor, login } from "../tests/e2e/proto-client.mjs";

const { values: args } = parseArgs({
  options: {
    events: { type: "string", default: "20000" },
    visitors: { type: "string", default: "200" },
    batch: { type: "string", default: "10" },
    concurrency: { type: "string", default: "50" },
    "resend-every": { type: "string", default: "10" },
    shards: { type: "string", default: "8" },
    "flush-ms": { type: "string", default: "1000" },
  },
});
const EVENTS = Number(args.events), VISITORS = Number(args.visitors), BATCH = Number(args.batch);
const CONCURRENCY = Number(args.concurrency), RESEND_EVERY = Number(args["resend-every"]);
const SHARDS = Number(args.shards), FLUSH_MS = Number(args["flush-ms"]);
const INVITE = "ep_bench";
const DEADLINE_MS = 120_000;

/** Runs `fn` over `items` with at most `limit` at once. */
async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }));
  return out;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** The events of batch `b` (of visitor `v`): a fixed mix with two invites. */
function makeBatch(b, size) {
  const at = Date.now();
  const ends = ["accepted", "declined", "expired", "ignored"];
  const out = [];
  let n = 0;
  const ev = (kind, extra = {}) => out.push({ id: `b${b}-${n++}`, at, kind, entry_point: "btn_demo", ...extra });
  const inv = (kind, invite) => ev(kind, { entry_point: INVITE, invite, ...(kind === "shown" ? { timeout_ms: 30_000 } : {}) });
  while (out.length < size) {
    const room = size - out.length;
    if (room >= 3 && n % 7 === 0) {
      inv("shown", `i${b}-${n}`);
      inv(ends[(b + n) % ends.length], `i${b}-${n - 1}`);
      inv("cancelled", `c${b}-${n}`);
    } else {
      ev(["visit", "view", "view", "click"][n % 4]);
    }
  }
  return out;
}

function count(expected, events) {
  const add = (k, c) => (expected[k][c] = (expected[k][c] ?? 0) + 1);
  for (const e of events) {
    switch (e.kind) {
      case "visit": add("btn_demo", "visits"); break;
      case "view": add("btn_demo", "views"); break;
      case "click": add("btn_demo", "clicks"); break;
      case "shown": add("funnel", "num_proactive_match"); add("funnel", "num_proactive"); add(INVITE, "views"); break;
      case "cancelled": add("funnel", "num_proactive_match"); add("funnel", "num_proactive_cancelled"); break;
      case "accepted": add("funnel", "num_proactive_accepted"); add(INVITE, "clicks"); break;
      case "declined": add("funnel", "num_proactive_declined"); break;
      case "expired": add("funnel", "num_proactive_expired"); break;
      case "ignored": add("funnel", "num_proactive_ignored"); break;
    }
  }
}

function parseCsv(text) {
  const [head, ...lines] = text.trim().split("\n");
  const cols = head.split(",");
  return lines.filter(Boolean).map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i], v])));
}

async function csvTotals(base, cookie) {
  const now = Date.now();
  const get = async (name) => parseCsv(await (await fetch(`${base}/api/v1/console/reports/${name}.csv?from=${now - 86_400_000}&to=${now + 3_600_000}`,
    { headers: { cookie } })).text());
  const traffic = await get("traffic");
  const invites = await get("invites");
  const out = { btn_demo: {}, [INVITE]: {}, funnel: {}, rows: traffic.length + invites.length };
  for (const ep of ["btn_demo", INVITE]) {
    for (const c of ["visits", "views", "clicks", "chats"]) {
      const n = traffic.filter((r) => r.entrypoint_id === ep).reduce((s, r) => s + Number(r[c]), 0);
      if (n) out[ep][c] = n;
    }
  }
  for (const r of invites.filter((r) => r.filter_id === INVITE)) {
    for (const [c, v] of Object.entries(r)) {
      if (c.startsWith("num_proactive") && Number(v)) out.funnel[c] = (out.funnel[c] ?? 0) + Number(v);
    }
  }
  return out;
}

const sameTotals = (a, e) => ["btn_demo", INVITE, "funnel"].every((k) => JSON.stringify(Object.entries(a[k]).sort()) === JSON.stringify(Object.entries(e[k]).sort()));

async function main() {
  console.error(`starting wrangler dev (nproc ${availableParallelism()})…`);
  const edge = await startEdge({
    online: [],
    // The flood doors are counted as usual but not what is measured: some visitors send 201
    // events within a minute here (their resent batches included).
    vars: {
      PARLEY_TALLY_SHARDS: String(SHARDS), PARLEY_TALLY_FLUSH_MS: String(FLUSH_MS),
      PARLEY_LIMIT_EVENTS_VISITOR: "100000/60", PARLEY_LIMIT_EVENTS_ADDRESS: "100000/60",
      // Off, as in production: the tests' harness turns it on, a log line for every request.
      PARLEY_DEBUG_COST: "0",
    },
    extraSql: `INSERT OR IGNORE INTO entry_points (id, account_id, channel_id, kind, name, enabled, position, created_at, updated_at)
VALUES ('btn_demo', 'acc_demo', 'demo', 'button', 'Chat button', 1, 0, 0, 0);
INSERT INTO entry_points (id, account_id, channel_id, kind, name, enabled, position, created_at, updated_at)
VALUES ('${INVITE}', 'acc_demo', 'demo', 'invite', 'Bench invite', 1, 9, 0, 0);`,
  });
  process.once("SIGINT", () => edge.stop().finally(() => { edge.cleanup(); process.exit(130); }));
  let ok = false;
  try {
    const cookie = await login(edge.base);
    const visitors = await pool(Array.from({ length: VISITORS }), 8, () => newVisitor(edge.base));
    const batches = Array.from({ length: Math.ceil(EVENTS / BATCH) }, (_, b) => ({
      visitor: visitors[b % VISITORS],
      events: makeBatch(b, Math.min(BATCH, EVENTS - b * BATCH)),
      resend: RESEND_EVERY > 0 && b % RESEND_EVERY === 0,
    }));
    const send = async (v, events) => {
      const t = performance.now();
      const res = await fetch(`${edge.base}/api/v1/widget/events`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: edge.base },
        body: JSON.stringify({ channel_id: "demo", visitor_id: v.visitorId, visitor_token: v.visitorToken, events }),
      });
      const json = await res.json();
      if (res.status !== 200) throw new Error(`events: ${res.status} ${JSON.stringify(json)}`);
      return { ack: json, ms: performance.now() - t };
    };
    // Warm up every shard's object (not measured, not counted in the checks: visits only).
    const expected = { btn_demo: {}, [INVITE]: {}, funnel: {} };
    const warm = visitors.slice(0, 32).map((v, i) => ({ v, events: [{ id: `w${i}`, at: Date.now(), kind: "visit", entry_point: "btn_demo" }] }));
    for (const w of await Promise.all(warm.map((w) => send(w.v, w.events)))) if (w.ack.counted !== 1) throw new Error("warm-up not counted");
    warm.forEach((w) => count(expected, w.events));

    console.error(`${EVENTS} events in ${batches.length} batches of ${BATCH} from ${VISITORS} visitors, ${CONCURRENCY} at once…`);
    const lat = [];
    const totals = { counted: 0, duplicates: 0, refused: 0, acked: 0, resent: 0 };
    const t0 = performance.now();
    await pool(batches, CONCURRENCY, async (b) => {
      const first = await send(b.visitor, b.events);
      lat.push(first.ms);
      totals.counted += first.ack.counted;
      totals.duplicates += first.ack.duplicates;
      totals.refused += first.ack.refused.length;
      if (first.ack.counted !== b.events.length) throw new Error(`batch not counted whole: ${JSON.stringify(first.ack)}`);
      count(expected, b.events);
      if (b.resend) {
        const again = await send(b.visitor, b.events);
        lat.push(again.ms);
        totals.resent++;
        totals.duplicates += again.ack.duplicates;
        if (again.ack.duplicates !== b.events.length || again.ack.counted !== 0) {
          throw new Error(`resent batch counted again: ${JSON.stringify(again.ack)}`);
        }
      }
    });
    const wall = performance.now() - t0;
    totals.acked = totals.counted + totals.duplicates;

    console.error("waiting for the flushes…");
    const tf = performance.now();
    let got;
    while (performance.now() - tf < DEADLINE_MS) {
      got = await csvTotals(edge.base, cookie);
      if (sameTotals(got, expected)) break;
      await new Promise((r) => setTimeout(r, 250)); // polling interval of a benchmark, not a test
    }
    const settled = performance.now() - tf;
    ok = sameTotals(got, expected);

    lat.sort((a, b) => a - b);
    const date = new Date().toISOString().slice(0, 10);
    console.log(`\n### Tallies: events → shards → D1 (local \`wrangler dev\`, ${date})\n`);
    console.log(`One channel, ${SHARDS} shards, flush every ${FLUSH_MS} ms; ${VISITORS} visitors, ${CONCURRENCY} batches under way.\n`);
    console.log("| events counted | batches (+ resent) | duplicates acked | refused | wall s | events acked/s | batch p50 ms | batch p99 ms | CSV exact after | CSV rows |");
    console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    console.log(`| ${totals.counted} | ${batches.length} (+${totals.resent}) | ${totals.duplicates} | ${totals.refused} | ${(wall / 1000).toFixed(1)} | ${(totals.acked / (wall / 1000)).toFixed(0)} | ${percentile(lat, 50).toFixed(1)} | ${percentile(lat, 99).toFixed(1)} | ${ok ? `${(settled / 1000).toFixed(1)} s` : "NEVER"} | ${got?.rows ?? "?"} |`);
    if (!ok) {
      console.error("CSV totals differ from what was acknowledged:");
      console.error(JSON.stringify({ expected, got }, null, 1));
    }
  } finally {
    await edge.stop();
    edge.cleanup();
  }
  if (!ok) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
