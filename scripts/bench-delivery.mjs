#!/usr/bin/env node
// Delivery benchmark (`make bench`, not part of `make test`): visitor → operator latency and
// throughput through a real local `wrangler dev` (workerd), the whole path included: visitor
// WebSocket → worker → conversation Durable Object (SQLite write, D1 summary) → broadcast →
// operator WebSocket.
//
// Latency is the time from the visitor writing a `send` frame to the operator's socket
// receiving the matching `message` frame, measured in this process (one clock). Scenarios:
//   1. one conversation, messages one at a time (the next is sent when the previous arrived)
//   2. one conversation, pipelined: up to WINDOW messages under way at once
//   3. many conversations at once, each sending one at a time
// Messages/second is messages delivered divided by the wall time of the scenario.
//
// Usage: node scripts/bench-delivery.mjs [--single 2000] [--window 50] [--convs 200] [--per-conv 10]
// It starts its own edge (fresh state, visitor rate limit raised) and stops everything it started.
import { readFileSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { join } from "node:path";
import { startEdge, ROOT } from "../tests/e2e/harness.mjs";
import { ProtoClient, newConversation, login, waitUntil } from "../tests/e2e/proto-client.mjs";

const { values: args } = parseArgs({
  options: {
    single: { type: "string", default: "2000" }, // messages in the one-conversation scenarios
    window: { type: "string", default: "50" }, // messages under way at once when pipelined
    convs: { type: "string", default: "200" }, // concurrent conversations
    "per-conv": { type: "string", default: "10" }, // messages per conversation
    warmup: { type: "string", default: "20" }, // unmeasured messages before scenario 1
  },
});
const SINGLE = Number(args.single), WINDOW = Number(args.window), CONVS = Number(args.convs);
const PER_CONV = Number(args["per-conv"]), WARMUP = Number(args.warmup);
const TIMEOUT_MS = 300_000;

/** Nearest-rank percentile of sorted numbers. */
function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

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

/**
 * One measured conversation: a visitor and an operator client, with send times recorded at
 * the visitor and receive times at the operator (by client_id).
 */
class Pair {
  constructor(base, cookie, conv, tag) {
    this.sentAt = new Map(); // client_id → send time
    this.latencies = []; // ms, for measured messages
    this.measuring = true;
    this.visitor = new ProtoClient({ base, role: "visitor", ...conv, label: `bv${tag}`, timeoutMs: TIMEOUT_MS });
    this.operator = new ProtoClient({
      base, conversationId: conv.conversationId, role: "operator", cookie, label: `bo${tag}`, timeoutMs: TIMEOUT_MS,
      onMessage: (m) => {
        const t = this.sentAt.get(m.client_id);
        if (t !== undefined && m.author.role === "visitor") {
          this.sentAt.delete(m.client_id);
          if (this.measuring) this.latencies.push(performance.now() - t);
          this.delivered++;
        }
      },
    });
    this.delivered = 0;
  }
  start() {
    return Promise.all([this.visitor.start(), this.operator.start()]);
  }
  send(text) {
    const id = `${this.visitor.label}-${this.visitor.sentOrder.length + 1}`;
    this.sentAt.set(id, performance.now());
    this.visitor.send(text, id);
  }
  /** Sends `n` messages keeping at most `window` undelivered; resolves when all arrived. */
  async run(n, window) {
    const target = this.delivered + n;
    for (let i = 0; i < n; i++) {
      if (this.sentAt.size >= window) {
        await this.operator.waitFor(() => this.sentAt.size < window, "delivery window");
      }
      this.send(`bench message ${i} ${"lorem ipsum ".repeat(4)}`);
    }
    await this.operator.waitFor(() => this.delivered >= target, `${target} deliveries`);
  }
  close() {
    return Promise.all([this.visitor.close(), this.operator.close()]);
  }
}

/** Latency summary of a scenario. */
function summary(name, latencies, wallMs) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    name, messages: sorted.length,
    p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1),
    rate: sorted.length / (wallMs / 1000),
  };
}

function machine() {
  let cpu = "unknown CPU";
  try {
    cpu = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.+)$/m)?.[1] ?? cpu;
  } catch { /* not Linux */ }
  let wrangler = "?";
  try {
    wrangler = JSON.parse(readFileSync(join(ROOT, "node_modules", "wrangler", "package.json"), "utf8")).version;
  } catch { /* not installed */ }
  let bundle = "?";
  try {
    const s = statSync(join(ROOT, "edge", "build", "index_bg.wasm"));
    bundle = `${(s.size / 1024).toFixed(0)} KB wasm, built ${s.mtime.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  } catch { /* not built */ }
  return { nproc: availableParallelism(), cpu: cpu.replace(/\s+/g, " ").trim(), node: process.version, wrangler, bundle };
}

async function main() {
  const m = machine();
  console.error(`starting wrangler dev (nproc ${m.nproc}, ${m.cpu})…`);
  const edge = await startEdge({ vars: { PARLEY_VISITOR_RATE: "100000/100000" } });
  const pairs = [];
  const stopAll = async () => {
    await Promise.allSettled(pairs.map((p) => p.close()));
    await edge.stop();
    edge.cleanup();
  };
  process.once("SIGINT", () => stopAll().finally(() => process.exit(130)));
  const rows = [];
  try {
    const cookie = await login(edge.base);

    // 1 and 2: one conversation.
    const one = new Pair(edge.base, cookie, await newConversation(edge.base), "1");
    pairs.push(one);
    await one.start();
    one.measuring = false;
    await one.run(WARMUP, 1); // wake everything up (object, SQLite, D1) before measuring
    one.measuring = true;

    console.error(`1 conversation, ${SINGLE} messages one at a time…`);
    let t = performance.now();
    await one.run(SINGLE, 1);
    rows.push(summary(`1 conversation, one at a time`, one.latencies.splice(0), performance.now() - t));

    console.error(`1 conversation, ${SINGLE} messages pipelined (window ${WINDOW})…`);
    t = performance.now();
    await one.run(SINGLE, WINDOW);
    rows.push(summary(`1 conversation, pipelined (≤ ${WINDOW} under way)`, one.latencies.splice(0), performance.now() - t));
    await one.close();

    // 3: many conversations at once.
    console.error(`setting up ${CONVS} conversations…`);
    const convs = await pool(Array.from({ length: CONVS }), 8, () => newConversation(edge.base));
    const many = convs.map((c, i) => new Pair(edge.base, cookie, c, `m${i}`));
    pairs.push(...many);
    await pool(many, 20, (p) => p.start());
    console.error(`${CONVS} conversations × ${PER_CONV} messages, concurrently…`);
    t = performance.now();
    await Promise.all(many.map((p) => p.run(PER_CONV, 1)));
    const wall = performance.now() - t;
    await waitUntil(many.map((p) => p.visitor), () => many.every((p) => p.visitor.outbox.size === 0), "all acked", TIMEOUT_MS);
    rows.push(summary(`${CONVS} conversation${CONVS === 1 ? "" : "s"} × ${PER_CONV}, one at a time each`, many.flatMap((p) => p.latencies), wall));
  } finally {
    await stopAll();
  }

  const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : "–");
  const date = new Date().toISOString().slice(0, 10);
  console.log(`\n### Delivery: visitor → operator (local \`wrangler dev\`, ${date})\n`);
  console.log(`Machine: \`nproc\` ${m.nproc}, ${m.cpu}; Node ${m.node}; wrangler ${m.wrangler}; edge bundle ${m.bundle}.`);
  console.log(`Clients run in the same process as the measurement, on the same machine as workerd.\n`);
  console.log("| scenario | messages | p50 ms | p99 ms | max ms | messages/s |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) console.log(`| ${r.name} | ${r.messages} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.max)} | ${r.rate.toFixed(0)} |`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
