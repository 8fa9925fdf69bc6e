#!/usr/bin/env node
// Delivery benchmark (`make bench`, not part of `make test`): visitor → operator latency,
// throughput and server cost through a real local `wrangler dev` (workerd), the whole path
// included: visitor WebSocket → worker → conversation Durable Object (SQLite write) → broadcast
// → operator WebSocket; the object's D1 copy (coalesced, off the message path: issue 19) runs
// meanwhile and is counted.
//
// Latency is the time from the visitor writing a `send` frame to the operator's socket
// receiving the matching `message` frame, measured in this process (one clock). Scenarios:
//   1. one conversation, messages one at a time (the next is sent when the previous arrived)
//   2. one conversation at saturation: up to WINDOW messages under way at once
//   3. CONVS conversations × 2 clients (visitor and operator sockets) at saturation: every
//      visitor keeps up to CONV_WINDOW messages under way at once; the share delivered within
//      the run's timeout is reported
//   4. a chat of 20 messages in a fresh conversation: the D1 statements its object spent
//      copying it (until D1 holds all 20), and again with its close
// Messages/second is messages delivered divided by the wall time of the scenario. Server CPU
// per message is the workerd processes' CPU time (their threads' /proc/<pid>/task/*/schedstat
// summed, as scripts/bench-cpu.mjs reads it) over the scenario divided by its messages: an
// upper bound of what Cloudflare bills (local D1, the runtime and the load's sockets included).
// D1 statements are what the conversation objects report copying (`copy …: d1=N` log lines,
// PARLEY_DEBUG_COST on, as the e2e harness runs; wrangler at log level `log`).
//
// Usage: node scripts/bench-delivery.mjs [--single 2000] [--window 50] [--convs 200]
//        [--per-conv 20] [--conv-window 5] [--timeout 120] [--profile PREFIX]
// --profile records a V8 CPU profile of the worker over scenarios 1 and 3 (PREFIX-single and
// PREFIX-many .cpuprofile, for Chrome DevTools) and prints the heaviest functions by self time
// (sampling slows the worker: its CPU figures are then not comparable with a plain run).
// It starts its own edge (fresh state, visitor and socket rate limits raised) and stops
// everything it started.
import { readFileSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { join } from "node:path";
import { startEdge, ROOT } from "../tests/e2e/harness.mjs";
import { workerdPids, cpuMs } from "./workerd-cpu.mjs";
import { ProtoClient, newConversation, login, waitUntil, upgrade } from "../tests/e2e/proto-client.mjs";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { freePort } from "../tests/e2e/harness.mjs";
import { startProfile, summarize } from "./cpu-profile.mjs";
import { writeFileSync } from "node:fs";

const { values: args } = parseArgs({
  options: {
    single: { type: "string", default: "2000" }, // messages in the one-conversation scenarios
    window: { type: "string", default: "50" }, // messages under way at once in scenario 2
    convs: { type: "string", default: "200" }, // concurrent conversations
    "per-conv": { type: "string", default: "20" }, // messages per conversation
    "conv-window": { type: "string", default: "5" }, // messages under way at once per conversation
    timeout: { type: "string", default: "120" }, // seconds a saturation run may take
    warmup: { type: "string", default: "20" }, // unmeasured messages before scenario 1
    profile: { type: "string" }, // file prefix: CPU profiles of scenarios 1 and 3
    "no-room": { type: "boolean" }, // skip the plain room reference
  },
});
const SINGLE = Number(args.single), WINDOW = Number(args.window), CONVS = Number(args.convs);
const PER_CONV = Number(args["per-conv"]), CONV_WINDOW = Number(args["conv-window"]);
const RUN_MS = Number(args.timeout) * 1000, WARMUP = Number(args.warmup);
const TIMEOUT_MS = 300_000;

/** Resolves once `pred()` holds (checked every 50 ms), false after `ms`. */
async function poll(pred, ms) {
  const end = performance.now() + ms;
  while (!pred()) {
    if (performance.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** D1 statements the conversation objects reported copying in `log` (all, or of `id`). */
function copies(log, id) {
  let d1 = 0, lines = 0, through = 0;
  for (const m of log.matchAll(/copy (\S+): d1=(\d+) messages=(\d+) through=(\d+)/g)) {
    if (id && m[1] !== id) continue;
    d1 += Number(m[2]);
    lines++;
    through = Math.max(through, Number(m[4]));
  }
  return { d1, lines, through };
}

const profiles = [];
/** Starts a CPU profile of the worker when --profile is given; `done()` saves and summarises it. */
async function profiled(edge, name) {
  if (!args.profile) return { done: async () => {} };
  const p = await startProfile(edge.inspector);
  return {
    async done(messages) {
      const profile = await p.stop();
      const file = `${args.profile}-${name}.cpuprofile`;
      writeFileSync(file, JSON.stringify(profile));
      profiles.push({ name, file, messages, ...summarize(profile) });
    },
  };
}

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

/** Latency summary of a scenario; `cpu` the workerd CPU ms it took, `sent` what was sent. */
function summary(name, latencies, wallMs, cpu, sent = latencies.length) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    name, messages: sorted.length, sent,
    p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1),
    rate: sorted.length / (wallMs / 1000),
    cpu: sorted.length ? cpu / sorted.length : NaN,
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

/**
 * The reference (issue 19): a plain Durable Object chat room (scripts/bench-room/: one SQLite
 * insert, an ack and a broadcast per message; no auth, routing or D1) under its own `wrangler
 * dev`, started after Parley's stopped, measured by the same clients and clock.
 */
async function startRoom() {
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), "parley-room-"));
  const proc = spawn(process.execPath, [join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js"), "dev",
    "-c", join(ROOT, "scripts", "bench-room", "wrangler.toml"), "--ip", "127.0.0.1", "--port", String(port),
    "--persist-to", state, "--show-interactive-dev-session=false", "--log-level", "info"], {
    cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: "false" }, stdio: ["ignore", "pipe", "pipe"], detached: true,
  });
  let log = "";
  await new Promise((resolve, reject) => {
    const on = (d) => { log += d; if (log.includes("Ready on")) resolve(); };
    proc.stdout.on("data", on);
    proc.stderr.on("data", on);
    proc.on("exit", (code) => reject(new Error(`room's wrangler dev exited (${code}):\n${log}`)));
  });
  return {
    base: `http://127.0.0.1:${port}`,
    pgid: proc.pid,
    async stop() {
      const exited = new Promise((r) => proc.once("exit", r));
      try { process.kill(-proc.pid, "SIGTERM"); } catch { /* gone */ }
      await exited;
      rmSync(state, { recursive: true, force: true });
    },
  };
}

/** A visitor and an operator socket in one room; the same measurements as `Pair`. */
class RoomPair {
  constructor(base, room, tag) {
    this.base = base;
    this.room = room;
    this.tag = tag;
    this.sentAt = new Map();
    this.latencies = [];
    this.measuring = true;
    this.delivered = 0;
    this.pongs = 0;
    this.sent = 0;
    this.waiters = [];
  }
  async #open(role) {
    const r = await upgrade(`${this.base}/room/${this.room}?role=${role}`);
    if (r.status !== 101) throw new Error(`room upgrade: ${r.status}`);
    r.ws.buffered = false;
    r.ws.on("text", (t) => {
      const m = JSON.parse(t);
      if (m.type === "message" && role === "operator") {
        const at = this.sentAt.get(m.client_id);
        if (at !== undefined) {
          this.sentAt.delete(m.client_id);
          if (this.measuring) this.latencies.push(performance.now() - at);
          this.delivered++;
        }
      } else if (m.type === "pong") {
        this.pongs++;
      }
      this.waiters = this.waiters.filter((w) => !w.pred() || (w.resolve(), false));
    });
    return r.ws;
  }
  async start() {
    this.visitor = await this.#open("visitor");
    this.operator = await this.#open("operator");
  }
  waitFor(pred) {
    return pred() ? Promise.resolve() : new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }
  send(text) {
    const id = `r${this.tag}-${++this.sent}`;
    this.sentAt.set(id, performance.now());
    this.visitor.sendText(JSON.stringify({ type: "send", client_id: id, text }));
  }
  async run(n, window) {
    const target = this.delivered + n;
    for (let i = 0; i < n; i++) {
      if (this.sentAt.size >= window) await this.waitFor(() => this.sentAt.size < window);
      this.send(`bench message ${i} ${"lorem ipsum ".repeat(4)}`);
    }
    await this.waitFor(() => this.delivered >= target);
  }
  async pings(n, window) {
    const p0 = this.pongs;
    for (let i = 0; i < n; i++) {
      if (i - (this.pongs - p0) >= window) await this.waitFor(() => i - (this.pongs - p0) < window);
      this.visitor.sendText('{"type":"ping"}');
    }
    await this.waitFor(() => this.pongs - p0 >= n);
  }
  close() {
    this.visitor?.close();
    this.operator?.close();
  }
}

/** Scenarios 1–3 and the ping calibration against the plain room; rows as `summary` makes them. */
async function runRoom() {
  const room = await startRoom();
  const pids = workerdPids(room.pgid);
  const pairs = [];
  const rows = [];
  let ping = null;
  try {
    const one = new RoomPair(room.base, "one", "1");
    pairs.push(one);
    await one.start();
    one.measuring = false;
    await one.run(WARMUP, 1);
    one.measuring = true;
    console.error(`plain room: 1 conversation, ${SINGLE} messages one at a time, then at saturation…`);
    let c = cpuMs(pids), t = performance.now();
    await one.run(SINGLE, 1);
    rows.push(summary(`plain room: 1 conversation, one at a time`, one.latencies.splice(0), performance.now() - t, cpuMs(pids) - c));
    c = cpuMs(pids), t = performance.now();
    await one.run(SINGLE, WINDOW);
    rows.push(summary(`plain room: 1 conversation at saturation (≤ ${WINDOW} under way)`, one.latencies.splice(0), performance.now() - t, cpuMs(pids) - c));
    c = cpuMs(pids), t = performance.now();
    await one.pings(SINGLE, WINDOW);
    ping = { n: SINGLE, rate: SINGLE / ((performance.now() - t) / 1000), cpu: (cpuMs(pids) - c) / SINGLE };
    console.error(`plain room: ${CONVS} rooms × 2 clients at saturation…`);
    const many = Array.from({ length: CONVS }, (_, i) => new RoomPair(room.base, `m${i}`, `m${i}`));
    pairs.push(...many);
    await pool(many, 20, (p) => p.start());
    c = cpuMs(pids), t = performance.now();
    let timer;
    await Promise.race([
      Promise.all(many.map((p) => p.run(PER_CONV, CONV_WINDOW))),
      new Promise((r) => { timer = setTimeout(r, RUN_MS); }),
    ]);
    clearTimeout(timer);
    const row = summary(`plain room: ${CONVS} rooms × 2 clients at saturation (≤ ${CONV_WINDOW} under way each)`,
      many.flatMap((p) => p.latencies), performance.now() - t, cpuMs(pids) - c, CONVS * PER_CONV);
    row.messages = many.reduce((a, p) => a + p.delivered, 0);
    rows.push(row);
  } finally {
    pairs.forEach((p) => p.close());
    await room.stop();
  }
  return { rows, ping };
}

async function main() {
  const m = machine();
  console.error(`starting wrangler dev (nproc ${m.nproc}, ${m.cpu})…`);
  // Log level `log`: the objects' `console.log` lines (`copy …: d1=N`) are what D1 statements are counted from.
  const edge = await startEdge({
    vars: { PARLEY_VISITOR_RATE: "100000/100000", PARLEY_SOCKET_RATE: "100000/100000" }, logLevel: "log",
  });
  const pids = workerdPids(edge.child.pid);
  if (pids.length === 0) throw new Error("no workerd process found in wrangler's process group");
  const pairs = [];
  const stopAll = async () => {
    await Promise.allSettled(pairs.map((p) => p.close()));
    await edge.stop();
    edge.cleanup();
  };
  process.once("SIGINT", () => stopAll().finally(() => process.exit(130)));
  const rows = [];
  let chat = null, idle = NaN, ping = null;
  try {
    const cookie = await login(edge.base);

    // 1 and 2: one conversation.
    const one = new Pair(edge.base, cookie, await newConversation(edge.base), "1");
    pairs.push(one);
    await one.start();
    one.measuring = false;
    await one.run(WARMUP, 1); // wake everything up (object, SQLite, D1) before measuring
    one.measuring = true;
    // The runtime's own CPU while idle (ms of CPU per second), for reference.
    let c = cpuMs(pids), t = performance.now();
    await new Promise((r) => setTimeout(r, 2000));
    idle = (cpuMs(pids) - c) / ((performance.now() - t) / 1000);

    console.error(`1 conversation, ${SINGLE} messages one at a time…`);
    let prof = await profiled(edge, "single");
    c = cpuMs(pids), t = performance.now();
    await one.run(SINGLE, 1);
    await prof.done(SINGLE);
    rows.push(summary(`1 conversation, one at a time`, one.latencies.splice(0), performance.now() - t, cpuMs(pids) - c));

    console.error(`1 conversation, ${SINGLE} messages at saturation (window ${WINDOW})…`);
    c = cpuMs(pids), t = performance.now();
    await one.run(SINGLE, WINDOW);
    rows.push(summary(`1 conversation at saturation (≤ ${WINDOW} under way)`, one.latencies.splice(0), performance.now() - t, cpuMs(pids) - c));
    // Calibration: the runtime's floor for a frame in and a frame out, with no storage: pings
    // from the visitor's socket, up to WINDOW under way, answered by pongs.
    console.error(`1 socket, ${SINGLE} pings at saturation (window ${WINDOW})…`);
    const v = one.visitor;
    c = cpuMs(pids), t = performance.now();
    const pongs0 = v.pongs;
    for (let i = 0; i < SINGLE; i++) {
      if (i - (v.pongs - pongs0) >= WINDOW) await v.waitFor(() => i - (v.pongs - pongs0) < WINDOW, "ping window");
      v.sendFrame({ type: "ping" });
    }
    await v.waitFor(() => v.pongs - pongs0 >= SINGLE, `${SINGLE} pongs`);
    const pingWall = performance.now() - t, pingCpu = cpuMs(pids) - c;
    ping = { n: SINGLE, rate: SINGLE / (pingWall / 1000), cpu: pingCpu / SINGLE };
    await one.close();

    // 3: many conversations at once, two clients each, at saturation.
    console.error(`setting up ${CONVS} conversations…`);
    const convs = await pool(Array.from({ length: CONVS }), 8, () => newConversation(edge.base));
    const many = convs.map((c, i) => new Pair(edge.base, cookie, c, `m${i}`));
    pairs.push(...many);
    await pool(many, 20, (p) => p.start());
    console.error(`${CONVS} conversations × 2 clients, ${PER_CONV} messages each at saturation (≤ ${CONV_WINDOW} under way each)…`);
    prof = await profiled(edge, "many");
    c = cpuMs(pids), t = performance.now();
    const sent = CONVS * PER_CONV;
    let timer;
    const delivered = () => many.reduce((a, p) => a + p.delivered, 0);
    await Promise.race([
      Promise.all(many.map((p) => p.run(PER_CONV, CONV_WINDOW))),
      new Promise((r) => { timer = setTimeout(r, RUN_MS); }),
    ]);
    clearTimeout(timer);
    const wall = performance.now() - t, cpu = cpuMs(pids) - c;
    await prof.done(delivered());
    const row = summary(`${CONVS} conversations × 2 clients at saturation (≤ ${CONV_WINDOW} under way each)`,
      many.flatMap((p) => p.latencies), wall, cpu, sent);
    row.messages = delivered();
    rows.push(row);
    const copied = copies(edge.log());

    // 4: a chat of 20 messages: the D1 statements its object spends to copy it.
    console.error(`a chat of 20 messages: D1 statements…`);
    const conv = await newConversation(edge.base);
    const p = new Pair(edge.base, cookie, conv, "d");
    pairs.push(p);
    await p.start();
    const before = copies(edge.log(), conv.conversationId).d1; // its creation and the operator joining
    await p.run(20, 1);
    // (an older edge logs no copies: then no figure)
    await poll(() => copies(edge.log(), conv.conversationId).through >= 20, 30_000);
    const messagesOnly = copies(edge.log(), conv.conversationId).d1 - before;
    const linesBefore = copies(edge.log(), conv.conversationId).lines;
    p.operator.sendFrame({ type: "end" });
    await p.operator.waitFor(() => p.operator.status === "closed", "closed");
    await poll(() => copies(edge.log(), conv.conversationId).lines > linesBefore, 10_000);
    const withClose = copies(edge.log(), conv.conversationId).d1 - before;
    chat = { messagesOnly, withClose, copied };
  } finally {
    await stopAll();
  }
  const room = args["no-room"] ? null : await runRoom();

  const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : "–");
  const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : "–");
  const date = new Date().toISOString().slice(0, 10);
  console.log(`\n### Delivery: visitor → operator (local \`wrangler dev\`, ${date})\n`);
  console.log(`Machine: \`nproc\` ${m.nproc}, ${m.cpu}; Node ${m.node}; wrangler ${m.wrangler}; edge bundle ${m.bundle}.`);
  console.log(`Clients run in the same process as the measurement, on the same machine as workerd; workerd idles at ${f(idle)} ms of CPU a second.\n`);
  console.log("| scenario | delivered / sent | p50 ms | p99 ms | max ms | messages/s | workerd CPU per message |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    const share = r.sent === r.messages ? `${r.messages}` : `${r.messages} / ${r.sent} (${((100 * r.messages) / r.sent).toFixed(1)} %)`;
    console.log(`| ${r.name} | ${share} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.max)} | ${r.rate.toFixed(0)} | ${f2(r.cpu)} ms |`);
  }
  if (ping) {
    console.log(`| calibration: 1 socket, ping → pong at saturation (no storage) | ${ping.n} | – | – | – | ${ping.rate.toFixed(0)} | ${f2(ping.cpu)} ms a frame |`);
  }
  for (const r of room?.rows ?? []) {
    const share = r.sent === r.messages ? `${r.messages}` : `${r.messages} / ${r.sent} (${((100 * r.messages) / r.sent).toFixed(1)} %)`;
    console.log(`| ${r.name} | ${share} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.max)} | ${r.rate.toFixed(0)} | ${f2(r.cpu)} ms |`);
  }
  if (room?.ping) {
    console.log(`| plain room: calibration, ping → pong at saturation | ${room.ping.n} | – | – | – | ${room.ping.rate.toFixed(0)} | ${f2(room.ping.cpu)} ms a frame |`);
  }
  if (room) {
    // Parley against the room, scenario by scenario (same order: one at a time, saturation, many).
    const ratios = rows.map((r, i) => {
      const q = room.rows[i];
      return q && `${r.name.split(" (")[0]}: CPU ${f2(r.cpu / q.cpu)}×, messages/s ${f2(r.rate / q.rate)}×`;
    }).filter(Boolean);
    console.log(`\nParley ÷ plain room: ${ratios.join("; ")}.`);
  }
  if (chat && chat.copied.lines === 0 && chat.messagesOnly === 0) {
    console.log(`\nD1 statements per message: not reported by this edge (no \`copy …: d1=N\` lines).`);
  } else if (chat) {
    const total = rows.reduce((a, r) => a + r.messages, 0);
    console.log(`\nD1 statements per message: ${f2(chat.messagesOnly / 20)} over a chat of 20 messages ` +
      `(${chat.messagesOnly} statements), ${f2(chat.withClose / 20)} with its close (${chat.withClose}); ` +
      `over scenarios 1–3, ${chat.copied.d1} statements in ${chat.copied.lines} copies for ${total} messages ` +
      `(${f2(chat.copied.d1 / total)} a message).`);
  }
  for (const p of profiles) {
    const k = Object.entries(p.kinds).map(([kind, share]) => `${kind} ${(100 * share).toFixed(1)} %`).join(", ");
    console.log(`\n#### CPU profile of the worker, ${p.name} (${p.file}): ${p.totalMs.toFixed(0)} ms sampled ` +
      `(${(p.totalMs / p.messages).toFixed(2)} ms a message); ${k}\n`);
    console.log("| self ms | share | kind | function |");
    console.log("| ---: | ---: | --- | --- |");
    for (const r of p.rows.slice(0, 30)) {
      console.log(`| ${r.ms.toFixed(1)} | ${(100 * r.share).toFixed(1)} % | ${r.kind} | \`${r.name.slice(0, 140)}\` |`);
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
