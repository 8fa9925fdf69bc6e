#!/usr/bin/env node
// Page-cost benchmark (`make bench`, not part of `make test`): what the widget costs the host page,
// in headless Chromium on a slow phone-like setup, against a local `wrangler dev`.
//
// Setup of every run: a fresh browser context (empty cache, no storage), the browser cache disabled,
// the CPU slowed 4x (`Emulation.setCPUThrottlingRate`), the network emulated by Chromium
// (`Network.emulateNetworkConditions`: 400 ms round trip, 1.6 Mbit/s down, 750 kbit/s up; it applies
// to every request, local ones included). The host page is the demo page (`/demo/bench`): static
// HTML and an inline stylesheet, no script of its own except the widget's snippet.
//
// Runs (N each, `PARLEY_BENCH_RUNS`, default 5; medians reported, min and max beside them):
// - baseline: the same page with `widget.js` refused by the browser (the request is aborted), for
//   what the page costs without the widget;
// - quiet, then intent: the page loads and the visitor does nothing for 4 s after the page's
//   `load` (the loader must not load the app: the channel has no invites, the page does not use
//   the API, nothing is stored); then the pointer moves onto the launcher (the first intent: the
//   app loads), and once the app said `ready`, the launcher is clicked;
// - early click: the launcher is clicked as soon as it is visible (Playwright's click: it waits
//   for the button to be visible and stable, two animation frames), before the app has loaded.
//
// Measures (all from the page's own clock, `performance.now()`, 0 = navigation start):
// - bytes before the launcher: `transferSize` (headers + encoded body, as on the wire) of the
//   page's resource requests that ended before the `parley:launcher` mark (the loader and the
//   look); "widget bytes" is the same sum once the app is ready (the glue, the wasm, the session);
// - launcher visible: the `parley:launcher` mark (set right after the launcher is in the DOM; the
//   next frame paints it);
// - click to usable: from the click's `pointerdown` (`event.timeStamp`) to the first animation
//   frame where the composer (`.compose textarea`) is visible and focused;
// - main-thread script time: a CDP trace (`devtools.timeline`, `v8`) from navigation until the end
//   of the quiet time (before the visitor interacts) or until the page is loaded and idle
//   (baseline); a second trace from the pointer's arrival until the chat is usable. On the renderer's main
//   thread, the trace events that run script (`EvaluateScript`, `v8.compile`, `v8.compileModule`,
//   `v8.evaluateModule`, `FunctionCall`, `RunMicrotasks`, `TimerFire`, `FireIdleCallback`,
//   `FireAnimationFrame`, `EventDispatch`, `v8.wasm.*`) are merged into time intervals (nested
//   events count once) and summed. The host page has no script of its own, so all of it is the
//   widget's (the baseline row shows what remains without it). The split "loader" / "app" uses
//   the URL carried by the event (`args.data.url`) or by the events nested in it: `widget.js` is
//   the loader; `/pkg/widget/` (glue and wasm) is the app; intervals with no URL are counted in
//   the total only;
// - long tasks: `longtask` entries (> 50 ms, PerformanceObserver, buffered) until the end of the
//   quiet time, their count and the sum of their time over 50 ms (total blocking time); the same
//   again from navigation until the chat is usable after the click (the app's loading and the
//   click included);
// - layout shift: the sum of `layout-shift` entries without recent input, until the end of the
//   run (the panel opening after the click is input, as for any page).
//
// Usage: node scripts/bench-page.mjs   (after make build; PARLEY_BENCH_RUNS=N to change N;
// PARLEY_BENCH_DEBUG=1 prints the long tasks, the main thread's tasks over 40 ms and the script
// spans over 10 ms of each idle run, =2 also what the loader's tasks were made of).
// PARLEY_CHROMIUM_EXTRA="--js-flags=--no-wasm-lazy-compilation" runs the same with V8 compiling the
// whole wasm module up front (off the main thread) instead of each function at its first call on
// the main thread: the difference is what lazy compilation costs the page.
// Bytes are as `wrangler dev` serves them (gzip; Cloudflare serves brotli to browsers that ask).
// It starts its own edge (fresh state) and stops everything it started. Prints a markdown table.
import { startEdge, launchBrowser } from "../tests/e2e/harness.mjs";

const RUNS = Number(process.env.PARLEY_BENCH_RUNS ?? 5);
const NET = { offline: false, latency: 400, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8 };
const CPU = 4;
const PATH = "/demo/bench";
const SCRIPT_EVENTS = new Set(["EvaluateScript", "v8.compile", "v8.compileModule", "v8.evaluateModule", "FunctionCall",
  "RunMicrotasks", "TimerFire", "FireIdleCallback", "FireAnimationFrame", "EventDispatch"]);

// In the page before anything else: long tasks, layout shifts, the `ready` event, the click's time
// and the first frame where the composer is usable.
const INIT = () => {
  const w = window;
  w.__b = { long: [], cls: 0, ready: null, down: null, usable: null };
  new PerformanceObserver((l) => { for (const e of l.getEntries()) w.__b.long.push([e.startTime, e.duration]); })
    .observe({ type: "longtask", buffered: true });
  new PerformanceObserver((l) => { for (const e of l.getEntries()) if (!e.hadRecentInput) w.__b.cls += e.value; })
    .observe({ type: "layout-shift", buffered: true });
  addEventListener("pointerdown", (e) => {
    if (w.__b.down != null || !e.composedPath().some((n) => n.classList?.contains("launcher"))) return;
    w.__b.down = e.timeStamp;
    const tick = () => {
      const r = document.querySelector("parley-chat")?.shadowRoot;
      const ta = r?.querySelector(".compose textarea");
      if (ta && ta.checkVisibility() && r.activeElement === ta) w.__b.usable = performance.now();
      else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }, true);
};

async function until(pred, label, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 25)); // polling interval of a benchmark, not a test
  }
}

/** A throttled page in a fresh context: CDP session with CPU and network emulation, cache off. */
async function throttledPage(browser) {
  const ctx = await browser.newContext();
  await ctx.addInitScript(INIT);
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  await cdp.send("Network.emulateNetworkConditions", NET);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: CPU });
  return { ctx, page, cdp };
}

async function startTrace(cdp) {
  const events = [];
  cdp.on("Tracing.dataCollected", (d) => events.push(...d.value));
  const done = new Promise((r) => cdp.once("Tracing.tracingComplete", r));
  await cdp.send("Tracing.start", {
    categories: "devtools.timeline,v8,disabled-by-default-devtools.timeline", transferMode: "ReportEvents",
  });
  return async () => {
    await cdp.send("Tracing.end");
    await done;
    return events;
  };
}

/** Main-thread script time (ms) of a trace: total, and the parts seen running the loader / the app. */
function scriptTime(events) {
  const main = events.find((e) => e.name === "thread_name" && e.args?.name === "CrRendererMain");
  if (!main) return { total: NaN, loader: NaN, app: NaN };
  const mine = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === "X" && e.dur > 0
    && (SCRIPT_EVENTS.has(e.name) || e.name.startsWith("v8.wasm")))
    .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const urlOf = (e) => e.args?.data?.url || e.args?.data?.fileName || e.args?.fileName || e.args?.url || "";
  // Top-level intervals, each with the URLs seen in it.
  const spans = [];
  for (const e of mine) {
    const last = spans[spans.length - 1];
    if (last && e.ts < last.end) {
      last.end = Math.max(last.end, e.ts + e.dur);
      last.urls.push(urlOf(e));
    } else spans.push({ start: e.ts, end: e.ts + e.dur, urls: [urlOf(e)] });
  }
  if (process.env.PARLEY_BENCH_DEBUG) {
    const all = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === "X");
    for (const task of all.filter((e) => e.name === "RunTask" && e.dur > (process.env.PARLEY_BENCH_DEBUG === "2" ? 8_000 : 40_000))) {
      console.error(`task ${(task.dur / 1000).toFixed(1)} ms`);
      const inside = all.filter((e) => e.ts >= task.ts && e.ts < task.ts + task.dur && e !== task);
      if (process.env.PARLEY_BENCH_DEBUG === "2" && inside.some((e) => urlOf(e).endsWith("/widget.js") || urlOf(e).includes("/pkg/widget/"))) {
        const by = {};
        for (const e of inside) by[e.name] = (by[e.name] ?? 0) + e.dur / 1000;
        console.error("  widget task:", Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 12).map(([n, d]) => `${n} ${d.toFixed(1)}`).join(", "));
      }
      for (const e of inside.filter((e) => e.dur > 2000)) {
        console.error(`  ${e.name} ${(e.dur / 1000).toFixed(1)} ms +${((e.ts - task.ts) / 1000).toFixed(1)} ${(urlOf(e) || "").slice(-30)}`);
      }
    }
    for (const sp of spans.filter((x) => x.end - x.start > 10_000)) {
      console.error(`span ${((sp.end - sp.start) / 1000).toFixed(1)} ms at ${(sp.start / 1000).toFixed(0)}: ${[...new Set(sp.urls.filter(Boolean))].join(" ")}`);
    }
  }
  const out = { total: 0, loader: 0, app: 0 };
  for (const s of spans) {
    const ms = (s.end - s.start) / 1000;
    out.total += ms;
    if (s.urls.some((u) => u.includes("/pkg/widget/"))) out.app += ms;
    else if (s.urls.some((u) => u.endsWith("/widget.js"))) out.loader += ms;
  }
  return out;
}

const resources = (page) => page.evaluate(() => performance.getEntriesByType("resource")
  .map((r) => ({ url: r.name, end: r.responseEnd, bytes: r.transferSize })));
const markAt = (page, name) => page.evaluate((n) => performance.getEntriesByName(n)[0]?.startTime ?? null, name);
const state = (page) => page.evaluate(() => window.__b);
const nav = (page) => page.evaluate(() => {
  const n = performance.getEntriesByType("navigation")[0];
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  return { load: n.loadEventEnd, fcp: fcp?.startTime ?? null };
});
const idleFrame = (page) => page.evaluate(() => new Promise((r) => requestIdleCallback(() => r(), { timeout: 5000 })));
const tbt = (long) => long.reduce((t, [, d]) => t + Math.max(0, d - 50), 0);

async function baseline(browser, base) {
  const { ctx, page, cdp } = await throttledPage(browser);
  await page.route("**/widget.js", (r) => r.abort());
  const stop = await startTrace(cdp);
  await page.goto(base + PATH, { waitUntil: "load" });
  await idleFrame(page);
  const events = await stop();
  const b = await state(page);
  const n = await nav(page);
  await ctx.close();
  return { load: n.load, fcp: n.fcp, script: scriptTime(events).total, longCount: b.long.length, tbt: tbt(b.long), cls: b.cls };
}

const QUIET_MS = 4_000;

async function idleRun(browser, base) {
  const { ctx, page, cdp } = await throttledPage(browser);
  let stop = await startTrace(cdp);
  await page.goto(base + PATH, { waitUntil: "load" });
  await idleFrame(page);
  // The visitor reads the page (a benchmark's wait, not a test's).
  await new Promise((r) => setTimeout(r, QUIET_MS));
  await idleFrame(page);
  const quiet = scriptTime(await stop());
  const b0 = await state(page);
  const launcher = await markAt(page, "parley:launcher");
  const loadedQuiet = (await markAt(page, "parley:ready")) != null;
  const before = await resources(page);
  const n = await nav(page);
  // The first intent: the pointer on the launcher. `ready` is listened to only now (a `ready`
  // listener is a use of the API: the loader would load the app when idle).
  stop = await startTrace(cdp);
  const hover = await page.evaluate(() => {
    Parley.on("ready", () => { window.__b.ready ??= performance.now(); });
    return performance.now();
  });
  await page.locator("parley-chat .launcher").hover();
  await until(async () => (await state(page)).ready != null, "ready");
  await idleFrame(page);
  const appReady = await markAt(page, "parley:ready");
  const res = await resources(page);
  await page.locator("parley-chat .launcher").click();
  await until(async () => (await state(page)).usable != null, "usable after the click");
  const intent = scriptTime(await stop());
  const b = await state(page);
  // What the click left for the tasks right after it (the click counted, the availability).
  await idleFrame(page);
  const after = (await state(page)).long.filter(([start]) => start >= b.usable);
  const pmarks = process.env.PARLEY_BENCH_DEBUG
    ? await page.evaluate(() => performance.getEntriesByType("mark").filter((m) => m.name.startsWith("pm:")).map((m) => `${m.name} ${m.startTime.toFixed(1)}`))
    : [];
  await ctx.close();
  if (process.env.PARLEY_BENCH_DEBUG) {
    console.error("long tasks", JSON.stringify(b.long), "launcher", launcher, "ready", appReady);
    console.error("marks", pmarks.join(" | "));
  }
  return {
    launcher, loadedQuiet, appReady: appReady - hover, ready: b.ready - hover, load: n.load, fcp: n.fcp,
    before: before.filter((r) => r.end <= launcher).reduce((t, r) => t + r.bytes, 0),
    quietBytes: before.reduce((t, r) => t + r.bytes, 0),
    widget: res.reduce((t, r) => t + r.bytes, 0),
    click: b.usable - b.down,
    script: quiet.total, loaderScript: quiet.loader, appScript: quiet.app,
    intentScript: intent.total, intentApp: intent.app,
    longCount: b0.long.length, tbt: tbt(b0.long), cls: b.cls,
    // From navigation until the chat is usable after the click (the app's loading and the click's
    // own task included).
    longUsable: b.long.length, tbtUsable: tbt(b.long),
    longAfter: after.length,
  };
}

async function earlyRun(browser, base) {
  const { ctx, page } = await throttledPage(browser);
  await page.goto(base + PATH, { waitUntil: "commit" });
  await page.locator("parley-chat .launcher").click();
  const readyAtClick = await markAt(page, "parley:ready");
  await until(async () => (await state(page)).usable != null, "usable after the early click");
  const b = await state(page);
  await ctx.close();
  return { click: b.usable - b.down, clickedBeforeApp: readyAtClick == null || readyAtClick > b.down, cls: b.cls };
}

const median = (xs) => {
  const s = xs.filter((x) => x != null && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const edge = await startEdge({
    vars: { PARLEY_VISITOR_RATE: "100000/100000" },
    extraSql: "UPDATE entry_points SET enabled = 0 WHERE id = 'ep_welcome';",
  });
  const browser = await launchBrowser();
  const stopAll = async () => {
    await browser.close().catch(() => {});
    await edge.stop();
    edge.cleanup();
  };
  process.once("SIGINT", () => stopAll().finally(() => process.exit(130)));
  const runs = { base: [], idle: [], early: [] };
  try {
    // One unmeasured idle run first: workerd compiles the worker and the demo state warms up.
    await idleRun(browser, edge.base);
    for (let i = 0; i < RUNS; i++) {
      runs.base.push(await baseline(browser, edge.base));
      runs.idle.push(await idleRun(browser, edge.base));
      runs.early.push(await earlyRun(browser, edge.base));
      console.error(`run ${i + 1}/${RUNS} done`);
    }
  } finally {
    await stopAll();
  }

  const col = (rs, k) => rs.map((r) => r[k]);
  const fmt = (x, unit) => Number.isNaN(x) || x == null ? "–" : unit === "B" ? `${Math.round(x).toLocaleString("en")} B`
    : unit === "ms" ? `${Math.round(x)} ms` : unit === "" ? `${Math.round(x)}` : x.toFixed(3);
  const row = (label, rs, k, unit, baseRs) => {
    const xs = col(rs, k).filter((x) => x != null);
    const base = baseRs ? fmt(median(col(baseRs, k)), unit) : "";
    console.log(`| ${label} | ${fmt(median(xs), unit)} | ${fmt(Math.min(...xs), unit)} – ${fmt(Math.max(...xs), unit)} | ${base} |`);
  };
  const date = new Date().toISOString().slice(0, 10);
  console.log(`\n### Page cost of the widget (headless Chromium, ${date})\n`);
  console.log(`CPU slowed ${CPU}x; network ${NET.latency} ms round trip, ${NET.downloadThroughput * 8 / 1e6} Mbit/s down, `
    + `${NET.uploadThroughput * 8 / 1e3} kbit/s up; cache disabled; host page \`${PATH}\`; median of ${RUNS} runs `
    + `(min – max). Baseline: the same page with \`widget.js\` refused.\n`);
  console.log("| measure | with the widget | min – max | baseline (no widget) |");
  console.log("| --- | ---: | ---: | ---: |");
  const { base, idle, early } = runs;
  row("bytes before the launcher is visible (loader + look)", idle, "before", "B");
  row(`widget bytes until the visitor interacts (${QUIET_MS / 1000} s after \`load\`)`, idle, "quietBytes", "B");
  row("widget bytes once the app is ready (+ glue, wasm, session; gzip as `wrangler dev` serves them)", idle, "widget", "B");
  row("launcher visible (from navigation start)", idle, "launcher", "ms");
  row("host page `load` event", idle, "load", "ms", base);
  row("host page first contentful paint", idle, "fcp", "ms", base);
  row(`**main-thread script time before the visitor interacts** (navigation → ${QUIET_MS / 1000} s after \`load\`)`, idle, "script", "ms", base);
  row("… of it seen running the loader", idle, "loaderScript", "ms");
  row("… of it seen running the app (glue, wasm)", idle, "appScript", "ms");
  row("long tasks (> 50 ms) before the visitor interacts", idle, "longCount", "", base);
  row("total blocking time of those", idle, "tbt", "ms", base);
  row("pointer on the launcher → app mounted (`parley:ready` mark)", idle, "appReady", "ms");
  row("pointer on the launcher → `ready`", idle, "ready", "ms");
  row("main-thread script time from the pointer's arrival until the chat is usable", idle, "intentScript", "ms");
  row("… of it seen running the app (glue, wasm)", idle, "intentApp", "ms");
  row("click → composer visible and focused (app loaded at the pointer's arrival)", idle, "click", "ms");
  row("click → composer visible and focused (clicked before the app loaded)", early, "click", "ms");
  row("long tasks (> 50 ms) from navigation until the chat is usable after the click", idle, "longUsable", "");
  row("total blocking time of those", idle, "tbtUsable", "ms");
  row("long tasks (> 50 ms) after the chat is usable, until the browser is idle", idle, "longAfter", "");
  row("cumulative layout shift (incl. the click)", idle, "cls", "cls", base);
  row("cumulative layout shift (early click run)", early, "cls", "cls");
  const eager = idle.filter((r) => r.loadedQuiet).length;
  if (eager) console.log(`\n**${eager} of ${RUNS} runs loaded the app before the visitor interacted.**`);
  const late = early.filter((r) => !r.clickedBeforeApp).length;
  if (late) console.log(`\n${late} of ${RUNS} early clicks came after the app was mounted.`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
