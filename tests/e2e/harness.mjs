// End-to-end harness: a real `wrangler dev` (workerd) on a free port with a fresh state
// folder, and Debian's Chromium driven by playwright-core. Everything started is stopped.
import { spawn, execFile } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { randomBytes } from "node:crypto";
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

/** Starts `wrangler dev` on fresh state (migrated and seeded); resolves once it is ready. */
export async function startEdge({ state } = {}) {
  state ??= mkdtempSync(join(tmpdir(), "parley-e2e-"));
  await promisify(execFile)("bash", [join(ROOT, "scripts", "db.sh"), state], { cwd: ROOT });
  const port = await freePort();
  const inspector = await freePort();
  const secret = randomBytes(24).toString("hex");
  const args = [WRANGLER, "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector),
    "--persist-to", state, "--var", `PARLEY_SECRET:${secret}`, "--show-interactive-dev-session=false", "--log-level", "info"];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, PARLEY_SKIP_EDGE_BUILD: "1", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let log = "";
  const base = `http://127.0.0.1:${port}`;
  await new Promise((resolve, reject) => {
    const onData = (d) => {
      log += d;
      if (log.includes("Ready on")) resolve();
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`wrangler dev exited (${code}) before ready:\n${log}`)));
  });
  return {
    base, port, state, secret, child,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        try { process.kill(-child.pid, "SIGTERM"); } catch { /* already gone */ }
        await exited;
      }
    },
    cleanup() { rmSync(state, { recursive: true, force: true }); },
  };
}

export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export async function launchBrowser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS });
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
