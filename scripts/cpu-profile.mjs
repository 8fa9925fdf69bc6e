// A V8 CPU profile of the worker running under `wrangler dev`, over the DevTools protocol of
// wrangler's inspector proxy (`--inspector-port`; the harness's `edge.inspector`). Used by
// `bench-delivery.mjs --profile FILE` to say where the worker's CPU per message goes (issue 19):
// the edge's wasm keeps its name section, so Rust functions appear by their mangled names.

import { createRequire } from "node:module";
import { join } from "node:path";
import { ROOT } from "../tests/e2e/harness.mjs";

// Node's own WebSocket is refused by wrangler's inspector proxy; `ws` (miniflare's, always
// installed with wrangler) is what wrangler itself speaks to it with.
const WS = createRequire(join(ROOT, "node_modules", "miniflare", "package.json"))("ws");

/** Connects to the worker's inspector on `port`; resolves `{ stop() → profile }` once sampling runs. */
export async function startProfile(port, { intervalUs = 200 } = {}) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl) ?? targets[0];
  if (!target) throw new Error(`no inspector target on port ${port}`);
  const ws = new WS(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", (e) => reject(new Error(`inspector socket failed: ${e.message}`)));
  });
  let next = 1;
  const waiting = new Map();
  ws.on("message", (data) => {
    const m = JSON.parse(data.toString());
    const w = m.id !== undefined && waiting.get(m.id);
    if (w) {
      waiting.delete(m.id);
      if (m.error) w.reject(new Error(`${m.error.message} (${m.error.code})`));
      else w.resolve(m.result);
    }
  });
  const call = (method, params = {}) => new Promise((resolve, reject) => {
    const id = next++;
    waiting.set(id, { resolve, reject });
    ws.send(JSON.stringify({ id, method, params }));
  });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: intervalUs });
  await call("Profiler.start");
  return {
    async stop() {
      const { profile } = await call("Profiler.stop");
      ws.close();
      return profile;
    },
  };
}

/** Rust's legacy mangling (`_ZN…E`) made readable: `parley_core::conversation::handle`. */
export function demangle(name) {
  const m = /^_ZN(.*)E$/.exec(name);
  if (!m) return name;
  const parts = [];
  let s = m[1];
  while (s.length) {
    const n = /^(\d+)/.exec(s);
    if (!n) break;
    const len = Number(n[1]);
    parts.push(s.slice(n[1].length, n[1].length + len));
    s = s.slice(n[1].length + len);
  }
  if (parts.length && /^h[0-9a-f]{16}$/.test(parts.at(-1))) parts.pop();
  return parts.join("::").replace(/\$LT\$/g, "<").replace(/\$GT\$/g, ">").replace(/\$u20\$/g, " ")
    .replace(/\$RF\$/g, "&").replace(/\$C\$/g, ",").replace(/\$u7b\$/g, "{").replace(/\$u7d\$/g, "}")
    .replace(/\.\./g, "::");
}

/**
 * Self time per function over `profile` (ms, share; idle excluded), the heaviest first, and a split by kind:
 * the worker's wasm, its JS glue, and the runtime (GC, program, native).
 */
export function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const fns = new Map();
  const kinds = new Map();
  let total = 0;
  for (const [id, us] of selfUs) {
    const f = byId.get(id).callFrame;
    if (f.functionName === "(idle)") continue; // the isolate waiting: not CPU
    const name = demangle(f.functionName || "(anonymous)");
    const kind = f.url.includes("wasm") || /^\$?wasm-function/.test(f.functionName) ? "wasm"
      : f.url ? "js" : "runtime";
    const key = `${kind}\t${name}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
    kinds.set(kind, (kinds.get(kind) ?? 0) + us);
    total += us;
  }
  const rows = [...fns].map(([k, us]) => {
    const [kind, name] = k.split("\t");
    return { kind, name, ms: us / 1000, share: us / total };
  }).sort((a, b) => b.ms - a.ms);
  return { totalMs: total / 1000, kinds: Object.fromEntries([...kinds].map(([k, us]) => [k, us / total])), rows };
}
