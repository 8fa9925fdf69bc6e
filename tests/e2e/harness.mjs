// End-to-end harness: a real `wrangler dev` (workerd) on a free port with a fresh state
// folder, and Debian's Chromium driven by playwright-core. Everything started is stopped.
import { spawn, execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createHash, randomBytes } from "node:crypto";
import { chromium } from "playwright-core";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const ARTIFACTS = join(ROOT, "tests", "artifacts");
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts `wrangler dev` on fresh state (migrated and seeded); resolves once it is ready.
 *
 * Options:
 * - `state`: an existing state folder to use instead of a fresh one.
 * - `vars`: extra worker variables, each passed as `--var K:V`
 *   (e.g. `{ PARLEY_VISITOR_RATE: "100000/100000" }` to raise the visitor rate limit).
 * - `extraSql`: SQL run on the local D1 after migrations and the demo seed, before
 *   `wrangler dev` starts (e.g. a second account; see `hashPassword`).
 * - `seed: false`: no demo account — the database of a fresh deployment (`/console/setup`);
 *   pass `online: []` with it (nobody to set online).
 *
 * The returned handle can also `kill()` the whole `wrangler dev` process group with SIGKILL
 * (workerd included, nothing flushed) and `restart()` it on the same state folder, port,
 * secret and vars, for fault-injection tests.
 */
export async function startEdge({ state, vars = {}, extraSql, shardSql = {}, online = ["demo"], logLevel = "info", seed = true } = {}) {
  if (state) {
    await migrate(state, seed);
  } else {
    state = mkdtempSync(join(tmpdir(), "parley-e2e-"));
    cpSync(await templateState(seed), state, { recursive: true });
  }
  if (extraSql) await seedSql(state, extraSql);
  // `shardSql`: { DB_1: sql, … } run on those shards' databases (e.g. `shardAnchorSql`).
  for (const [binding, sql] of Object.entries(shardSql)) await seedSql(state, sql, binding);
  let port = await freePort();
  const secret = randomBytes(24).toString("hex");
  let base = `http://127.0.0.1:${port}`;
  let log = "";
  let child = null;
  let inspectorPort = 0;

  // One `wrangler dev` run; resolves with the child once it printed "Ready on".
  const launch = async () => {
    const inspector = await freePort();
    inspectorPort = inspector;
    const extra = Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
    const args = [WRANGLER, "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector),
      "--persist-to", state, "--var", `PARLEY_SECRET:${secret}`,
      // Every answer says what it spent of Cloudflare's per-invocation budgets (`x-parley-cost`,
      // `/api/v1/debug/cost/:id`; off in production): request-cost.test.mjs, bench-cpu.mjs.
      "--var", "PARLEY_DEBUG_COST:1", ...extra,
      "--show-interactive-dev-session=false", "--log-level", logLevel];
    const proc = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, PARLEY_SKIP_EDGE_BUILD: "1", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group, so stop()/kill() reach workerd too
    });
    let runLog = "";
    await new Promise((resolve, reject) => {
      const onData = (d) => {
        log += d;
        runLog += d;
        if (runLog.includes("Ready on")) resolve();
      };
      proc.stdout.on("data", onData);
      proc.stderr.on("data", onData);
      proc.on("exit", (code) => reject(new Error(`wrangler dev exited (${code}) before ready:\n${runLog}`)));
    });
    return proc;
  };

  // Signals the whole process group and waits for wrangler itself to exit.
  const signal = async (sig) => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      try { process.kill(-child.pid, sig); } catch { /* already gone */ }
      await exited;
    }
  };

  // A free port can be taken by another process between the pick and wrangler's bind (or one of
  // the ports miniflare picks for itself): the first start tries fresh ports, three times.
  for (let attempt = 1; ; attempt++) {
    try {
      child = await launch();
      break;
    } catch (e) {
      if (attempt === 3 || !String(e.message).includes("Address already in use")) throw e;
      log += `\n[harness] port taken, another: ${e.message.split("\n")[1] ?? ""}\n`;
      port = await freePort();
      base = `http://127.0.0.1:${port}`;
    }
  }
  // Operators who are online in channel `demo` from the start (most tests chat with Dana;
  // with nobody online the widget would offer the offline form instead).
  for (const username of online) await goOnline(base, username);
  return {
    base, port, state, secret, vars,
    get child() { return child; },
    /** The DevTools port of the running worker (CDP through wrangler's inspector proxy). */
    get inspector() { return inspectorPort; },
    log: () => log,
    async stop() {
      await signal("SIGTERM");
    },
    /** SIGKILLs every process of the `wrangler dev` group (wrangler and workerd): a crash. */
    async kill() {
      await signal("SIGKILL");
      log += "\n[harness] SIGKILL\n";
    },
    /** Starts `wrangler dev` again on the same state, port, secret and vars (after kill/stop). */
    async restart() {
      await signal("SIGKILL");
      log += "\n[harness] restart\n";
      child = await launch();
    },
    cleanup() { rmSync(state, { recursive: true, force: true }); },
  };
}

/** Logs `username` (password `parley-demo`) in and sets them online in `channel`; resolves the cookie. */
export async function goOnline(base, username, channel = "demo") {
  const { login, postJson } = await import("./proto-client.mjs");
  const cookie = await login(base, { username });
  const r = await postJson(base, "/api/v1/console/presence", { online: true, join: channel }, { cookie });
  if (r.status !== 200) throw new Error(`${username} online: ${r.status} ${JSON.stringify(r.json)}`);
  return cookie;
}

/** Runs `sql` on the local D1 database of state folder `state` (while `wrangler dev` is not running). */
/**
 * SQL inserting `n` closed conversations of the demo channel, ids `c_<prefix>1…`: the i-th
 * created at `t0 + i * step` ms and closed `step / 2` later by the visitor, with `messages`
 * counted; `visitor(i)` is the SQL expression of its visitor id (default: one visitor, `v_<prefix>`).
 */
export function closedConversationsSql({ n, prefix, t0, step, messages = 0, visitor }) {
  const who = visitor ?? `'v_${prefix}'`;
  return `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${n})
INSERT INTO conversations (id, account_id, channel_id, visitor_id, status, created_at, updated_at, closed_at, closed_by, message_count)
SELECT 'c_${prefix}' || i, 'acc_demo', 'demo', ${who}, 'closed', ${t0} + i * ${step}, ${t0} + i * ${step} + ${step / 2},
       ${t0} + i * ${step} + ${step / 2}, 'visitor', ${messages} FROM n;
`;
}

// `scripts/db.sh` (every migration on every shard, then the demo seed unless `seed` is false)
// on state folder `state`.
async function migrate(state, seed) {
  await promisify(execFile)("bash", [join(ROOT, "scripts", "db.sh"), state],
    { cwd: ROOT, env: { ...process.env, ...(seed ? {} : { PARLEY_NO_SEED: "1" }) } });
}

/**
 * A state folder `scripts/db.sh` migrated (and seeded, with `seed`), made once per content of
 * the migrations, wrangler.toml, db.sh and the seed tool under `target/e2e-state/`, copied by every
 * `startEdge` (db.sh spends ~24 s in five `wrangler d1` runs; a copy takes milliseconds). Test
 * processes that race to make it both make one; the first rename wins.
 */
async function templateState(seed) {
  const hash = createHash("sha256");
  const migrations = join(ROOT, "edge", "migrations");
  for (const f of readdirSync(migrations).sort()) hash.update(f).update(readFileSync(join(migrations, f)));
  hash.update(readFileSync(join(ROOT, "wrangler.toml"))).update(readFileSync(join(ROOT, "scripts", "db.sh")));
  if (seed) {
    // The seed (`parley-tools seed-sql`) stamps rows with the time and salts fresh hashes: the
    // template is keyed by the tool that writes it, and made again each UTC day.
    await promisify(execFile)("cargo", ["build", "-q", "-p", "parley-tools"], { cwd: ROOT });
    hash.update(readFileSync(join(ROOT, "target", "debug", "parley-tools"))).update(new Date().toISOString().slice(0, 10));
  }
  const root = join(ROOT, "target", "e2e-state");
  const dir = join(root, `${seed ? "seeded" : "empty"}-${hash.digest("hex").slice(0, 16)}`);
  if (existsSync(dir)) return dir;
  mkdirSync(root, { recursive: true });
  const building = mkdtempSync(join(root, "building-"));
  await migrate(building, seed);
  try {
    renameSync(building, dir);
  } catch (e) {
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(dir)) throw e;
  }
  return dir;
}

/**
 * Runs `sql` on the local D1 `binding` (a shard, `DB` by default) of state folder `state`, while
 * `wrangler dev` is not running: straight on its SQLite file, foreign keys enforced as in D1.
 */
export async function seedSql(state, sql, binding = "DB") {
  const { DatabaseSync } = process.getBuiltinModule("node:sqlite");
  const db = new DatabaseSync(d1File(state, binding), { enableForeignKeyConstraints: true });
  try { db.exec(sql); } finally { db.close(); }
}

/** Runs a read-only SQL query on the local D1 (`binding`: a shard, `DB` by default) of state folder `state`; resolves its rows. */
export async function queryD1(state, sql, binding = "DB") {
  const { DatabaseSync } = process.getBuiltinModule("node:sqlite");
  const db = new DatabaseSync(d1File(state, binding), { readOnly: true });
  try { return db.prepare(sql).all().map((row) => ({ ...row })); } finally { db.close(); }
}

/**
 * The local SQLite file of D1 shard `binding` (`DB` or `DB_1`, the two bound locally) under
 * state folder `state`, for tests that read or lock it while `wrangler dev` runs. Miniflare names
 * the files by a hash, so they are told apart by content: `DB` is the directory, whose
 * `account_shards` holds the demo account's row; `DB_1`'s is empty.
 */
export function d1File(state, binding = "DB") {
  const dir = join(state, "v3", "d1", "miniflare-D1DatabaseObject");
  // `scripts/db.sh` records the file each binding's first migration created.
  const recorded = join(state, "d1-bindings.txt");
  if (existsSync(recorded)) {
    const line = readFileSync(recorded, "utf8").split("\n").find((l) => l.split(" ")[0] === binding);
    if (line) return join(dir, line.split(" ")[1]);
  }
  const files = readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite").map((f) => join(dir, f));
  const { DatabaseSync } = process.getBuiltinModule("node:sqlite");
  const isDirectory = (file) => {
    const db = new DatabaseSync(file, { readOnly: true });
    try { return db.prepare("SELECT COUNT(*) AS n FROM account_shards").get().n > 0; } finally { db.close(); }
  };
  const found = files.filter((f) => isDirectory(f) === (binding === "DB"));
  if (found.length !== 1) throw new Error(`D1 file of ${binding}: ${found.length} candidates in ${dir}`);
  return found[0];
}

/** A fresh salted hash of `password`, as stored in `operators.password_hash`. */
export async function hashPassword(password) {
  const { stdout } = await promisify(execFile)("cargo", ["run", "-q", "-p", "parley-tools", "--", "hash-password", password], { cwd: ROOT });
  return stdout.trim();
}

export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export async function launchBrowser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: [...CHROMIUM_ARGS, ...(process.env.PARLEY_CHROMIUM_EXTRA ? process.env.PARLEY_CHROMIUM_EXTRA.split(" ") : [])] });
}

/** Logs `username` into the console in `page` through the login form; resolves once logged in. */
export async function consoleLogin(page, base, username = "demo", password = "parley-demo") {
  await page.goto(base + "/console");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();
}

/** Runs `fn(page)`; on failure saves a screenshot under tests/artifacts/ and rethrows. */
export async function step(page, name, fn) {
  try {
    return await fn();
  } catch (e) {
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, `${name.replace(/[^a-z0-9]+/gi, "-")}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    e.message += `\n(screenshot: ${file})`;
    throw e;
  }
}
