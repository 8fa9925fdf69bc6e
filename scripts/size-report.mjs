// Measures what the widget ships to every visitor (raw, gzip, brotli) and fails over budget.
// Usage: node scripts/size-report.mjs   (after scripts/build-web.sh)
import { readFileSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";

const KB = 1024;
// Budgets of the foundation issue; tighten them here, never loosen them quietly.
const BUDGETS = {
  // Issue 6 raised it from 1.5 KB: the JS API (open, close, on, off, goal, identify; one queue;
  // listeners) made it 1.8 KB raw, 0.7 KB brotli.
  loaderRaw: 2 * KB,         // public/widget.js, raw bytes
  // Issue 5 raised it from 120 KB: the invite rules' types in the session (129.2 KB before the
  // widget used them), then invites, traffic events and decision time (140.9 KB). Issue 6: the
  // pre-chat form and goals in the session (142.8 KB), then the rating card, the pre-chat form,
  // goals, identify and the JS API's events (155.4 KB). Issue 8 cuts to 100 KB.
  appBrotli: 156 * KB,       // wasm + JS glue, brotli
};

const files = [
  ["loader (widget.js)", "public/widget.js"],
  ["JS glue", "public/pkg/widget/parley_widget.js"],
  ["wasm", "public/pkg/widget/parley_widget_bg.wasm"],
];

const measure = (path) => {
  const buf = readFileSync(path);
  return {
    raw: buf.length,
    gzip: gzipSync(buf, { level: 9 }).length,
    brotli: brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
};

const rows = files.map(([name, path]) => ({ name, ...measure(path) }));
const kb = (n) => (n / KB).toFixed(1).padStart(8);
console.log("Widget size report (KB = 1024 bytes)");
console.log("part                      raw      gzip    brotli");
for (const r of rows) console.log(`${r.name.padEnd(20)} ${kb(r.raw)}  ${kb(r.gzip)}  ${kb(r.brotli)}`);
const app = rows[1].brotli + rows[2].brotli;
const loader = rows[0].raw;
console.log(`\nloader raw       ${kb(loader)} KB  (budget ${(BUDGETS.loaderRaw / KB).toFixed(1)} KB)`);
console.log(`wasm+glue brotli ${kb(app)} KB  (budget ${(BUDGETS.appBrotli / KB).toFixed(1)} KB)`);
const over = [];
if (loader > BUDGETS.loaderRaw) over.push("loader");
if (app > BUDGETS.appBrotli) over.push("wasm+glue");
if (over.length) {
  console.error(`\nOVER BUDGET: ${over.join(", ")}`);
  process.exit(1);
}
console.log("\nsize budgets: 2 passed, 0 failed");
