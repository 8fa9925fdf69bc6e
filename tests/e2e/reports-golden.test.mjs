// Golden reports (issue 7, point 3): the scripted day of tests/golden/scenario.mjs (operators
// Dana, Sam, Kim and a disabled Lee; channels demo and sales; a button and an invite; a
// transfer; ratings good, bad, skipped and never answered; pauses inside shifts; a visitor-only
// chat, a chat without messages, an open chat, a blocked visitor, goals, tallies) seeded into
// D1, then the real edge serves `GET /api/v1/reports/<slug>.csv?from=…&to=…&tz=UTC` for every
// `tests/golden/<slug>.csv`, compared byte for byte with that file (written by hand from the
// seeds and the interpretation notes in reports/src). The one substitution: the
// transcript links carry the edge's origin, written `{origin}` in the files (the port is free
// per run). A file `<slug>@<name>.csv` is the same report asked with the query QUERIES[name]
// instead (e.g. another time zone). On a difference the test prints the differing lines and, per row, each differing
// column with its expected and actual value.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./harness.mjs";
import { getJson } from "./proto-client.mjs";
import { useEdge } from "./fixtures.mjs";
import { extraSql, FROM, TO } from "../golden/scenario.mjs";

const GOLDEN = join(ROOT, "tests", "golden");
const PERIOD = `from=${FROM}&to=${TO}&tz=UTC`;
/** The queries of the `<slug>@<name>.csv` files. */
const QUERIES = {
  // The account-time-zone case: Berlin's local day 2026-11-18 (UTC+1 in November) is
  // 2026-11-17 23:00 → 2026-11-18 23:00 UTC, local hours one later than UTC's.
  berlin: "from=2026-11-18&to=2026-11-18&tz=Europe%2FBerlin",
};
// Nobody goes online at start: every activity interval is the scenario's.
const { edge } = useEdge({
  extraSql, online: [],
  setup: async () => {
    admin = await edge.login();
  },
});
let admin;

/** RFC 4180 records of a CSV text. */
function parseCsv(text) {
  const rows = [];
  let row = [], cell = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") { row.push(cell); cell = ""; }
    else if (ch === "\n") { row.push(cell); rows.push(row); row = []; cell = ""; }
    else if (ch !== "\r") cell += ch;
  }
  if (cell !== "" || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

/** A readable account of how `got` differs from `want` (lines, then cells by column name). */
function describeDiff(name, want, got) {
  const out = [`${name}: the CSV differs from tests/golden/${name}.csv`];
  const wl = want.split("\n"), gl = got.split("\n");
  for (let i = 0; i < Math.max(wl.length, gl.length); i++) {
    if (wl[i] !== gl[i]) out.push(`  line ${i + 1}\n    - ${JSON.stringify(wl[i])}\n    + ${JSON.stringify(gl[i])}`);
  }
  const w = parseCsv(want), g = parseCsv(got);
  const header = w[0] ?? [];
  for (let r = 1; r < Math.max(w.length, g.length); r++) {
    const a = w[r] ?? [], b = g[r] ?? [];
    for (let c = 0; c < Math.max(a.length, b.length, header.length); c++) {
      if (a[c] !== b[c]) out.push(`  row ${r} ${header[c] ?? `#${c + 1}`}: expected ${JSON.stringify(a[c])}, got ${JSON.stringify(b[c])}`);
    }
  }
  return out.join("\n");
}

async function csvOf(slug, query = PERIOD) {
  const res = await fetch(`${edge.base}/api/v1/reports/${slug}.csv?${query}`, { headers: { cookie: admin } });
  const text = await res.text();
  assert.equal(res.status, 200, `${slug}: ${res.status} ${text}`);
  assert.match(res.headers.get("content-type") ?? "", /^text\/csv/, slug);
  return text.split(edge.base).join("{origin}");
}

const goldens = readdirSync(GOLDEN).filter((f) => f.endsWith(".csv")).map((f) => f.slice(0, -4)).sort();

test("every golden report's CSV is byte for byte the hand-written file", async () => {
  assert.ok(goldens.includes("conversations") && goldens.length >= 5, `golden files: ${goldens}`);
  const failures = [];
  for (const name of goldens) {
    const want = readFileSync(join(GOLDEN, `${name}.csv`), "utf8");
    const [slug, variant] = name.split("@");
    assert.ok(variant === undefined || QUERIES[variant], `${name}.csv: no query named ${variant} in QUERIES`);
    const got = await csvOf(slug, variant === undefined ? PERIOD : QUERIES[variant]);
    if (got !== want) failures.push(describeDiff(name, want, got));
  }
  assert.equal(failures.length, 0, `\n${failures.join("\n\n")}\n`);
});

test("filters narrow the streamed conversations export to the golden rows that match", async () => {
  const want = readFileSync(join(GOLDEN, "conversations.csv"), "utf8").split("\n");
  const only = (pred) => [want[0], ...want.slice(1).filter((l) => l && pred(parseCsv(l)[0]))].join("\n") + "\n";
  const header = parseCsv(want[0])[0];
  const col = (name) => header.indexOf(name);
  const cases = [
    ["channel=sales", (r) => r[col("chatcampaign_id")] === "sales"],
    ["entry_point=ep_welcome", (r) => r[col("requestSource")] === "Welcome invite"],
    ["status=active", (r) => r[col("duration_total_secs")] === ""],
    ["operator=op_sam", (r) => r[col("last_agent_id")] === "op_sam"],
  ];
  for (const [filter, pred] of cases) {
    const expected = only(pred);
    const got = await csvOf("conversations", `${PERIOD}&${filter}`);
    assert.equal(got, expected, describeDiff(`conversations?${filter}`, expected, got));
  }
});

test("the JSON view has the same cells and links each conversation row to its transcript", async () => {
  const r = await getJson(edge.base, `/api/v1/reports/conversations?${PERIOD}`, admin);
  assert.equal(r.status, 200, r.text);
  const want = parseCsv(readFileSync(join(GOLDEN, "conversations.csv"), "utf8"));
  const cells = r.json.table.rows.map((row) => row.map((c) => c.split(edge.base).join("{origin}")));
  assert.deepEqual([r.json.table.columns, ...cells], want);
  assert.deepEqual(r.json.table.conversations, ["c01", "c02", "c03", "c04", "c05", "c06", "c07"]);
});
