// Shared fixtures of the end-to-end files, so each file says only what is its own:
// - `useEdge(options)`: one `wrangler dev` (and, with `browser: true`, one Chromium) per file,
//   started in `before`, stopped in `after` (ProtoClients in `clients` closed first);
// - `edge.get / post / login`: the console API as a session cookie sees it;
// - `secondAccount(spec)`: SQL for another account (the isolation tests' `acc_other`), on
//   shard 0 unless `shard` says (then `shardAnchorSql(spec)` goes to that shard's database);
// - `widgetPage(browser, edge, opts)` / `consolePage(browser, edge, who)`: a visitor's page with
//   the widget, an operator logged into the console, each in a fresh browser context;
// - `assertError(r, status, code, label, field)`, `until(pred, label, ms)`,
//   `conversationSummary(When)(edge, cookie, id, …)`, `transcriptWith(edge, cookie, id, n)`.
// The low-level pieces (startEdge, launchBrowser with the one set of Chromium flags, seedSql,
// hashPassword, step) stay in harness.mjs.
import { before, after } from "node:test";
import assert from "node:assert/strict";
import { startEdge, launchBrowser, consoleLogin, hashPassword } from "./harness.mjs";
import { getJson, postJson, login } from "./proto-client.mjs";

/** The console API's prefix. */
export const C = "/api/v1/console";

/**
 * Starts the file's edge (and Chromium) in `before` and stops them in `after`. `options` are
 * `startEdge`'s (`extraSql`, `vars`, `online`, `state`) plus `browser: true` for Chromium;
 * `extraSql` may be an async function (e.g. one that awaits `secondAccount`); `setup`, an async
 * function run once both are up, in the same `before` (node:test runs a file's `before` hooks
 * concurrently, so a second top-level `before` would not see the edge yet).
 * Returns stand-ins usable at the top of the file, filled in before the first test:
 * - `edge`: the running edge's handle (`base`, `state`, `kill()`, `restart()`, …) plus
 *   `get(path, cookie)`, `post(path, body, cookie, origin = edge.base)` and
 *   `login(username = "demo", password = "parley-demo")` resolving a session cookie;
 * - `browser`: `newContext(options)` and `newPage(options)` of the file's Chromium;
 * - `clients`: push ProtoClients here; `after` closes them before it stops the edge.
 */
export function useEdge({ browser: withBrowser = false, extraSql, setup, ...startOptions } = {}) {
  let chromium = null;
  const clients = [];
  const edge = {
    get: (path, cookie) => getJson(edge.base, path, cookie),
    post: (path, body, cookie, origin = edge.base) => postJson(edge.base, path, body, { origin, cookie }),
    login: (username = "demo", password = "parley-demo") => login(edge.base, { username, password }),
  };
  const browser = {
    newContext: (options) => chromium.newContext(options),
    newPage: (options) => chromium.newPage(options),
  };
  let handle = null;
  before(async () => {
    const sql = typeof extraSql === "function" ? await extraSql() : extraSql;
    handle = await startEdge({ ...startOptions, extraSql: sql });
    // The handle's own properties, getters included (`child` follows a restart).
    Object.defineProperties(edge, Object.getOwnPropertyDescriptors(handle));
    if (withBrowser) chromium = await launchBrowser();
    await setup?.();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await chromium?.close();
    await handle?.stop();
    handle?.cleanup();
  });
  return { edge, browser, clients };
}

/** Olga, the other account's admin in the isolation tests (`username` oadmin), for `secondAccount`. */
export const otherAdmin = (password) => ({
  id: "op_oadmin", username: "oadmin", first_name: "Olga", last_name: "Admin", email: "olga@other.example",
  chat_name: "Olga", role: "admin", password,
});

/**
 * SQL for a second account (default `acc_other`) with its channels and operators, for tests
 * that check one account gets nothing of another's. Each operator is
 * `{ id, username, ...columns, password }`: `password` is hashed here (`hashPassword`); without
 * one the operator gets Dana's hash (password `parley-demo`) copied from `op_demo`; `password_hash`
 * is stored as given. Channels are `{ id, name }`. `at` is every row's `created_at`.
 */
export async function secondAccount({ id = "acc_other", name = "Other account (test)", channels = [], operators = [], at = 1, shard = 0 }) {
  const q = (s) => `'${String(s).replaceAll("'", "''")}'`;
  const lines = [`INSERT INTO accounts (id, name, created_at) VALUES (${q(id)}, ${q(name)}, ${at});`,
    `INSERT INTO account_shards (account_id, shard) VALUES (${q(id)}, ${Number(shard)});`];
  for (const ch of channels) {
    lines.push(`INSERT INTO channels (id, account_id, name, created_at) VALUES (${q(ch.id)}, ${q(id)}, ${q(ch.name)}, ${at});`);
  }
  for (const { id: opId, password, ...columns } of operators) {
    if (password !== undefined) columns.password_hash = await hashPassword(password);
    const names = ["id", "account_id", ...Object.keys(columns), "created_at"];
    const values = [q(opId), q(id), ...Object.values(columns).map(q), at];
    if (columns.password_hash === undefined) {
      lines.push(`INSERT INTO operators (${names.join(", ")}, password_hash)
  SELECT ${values.join(", ")}, password_hash FROM operators WHERE id = 'op_demo';`);
    } else {
      lines.push(`INSERT INTO operators (${names.join(", ")})
  VALUES (${values.join(", ")});`);
    }
  }
  return lines.join("\n") + "\n";
}

/**
 * SQL for the shard database of an account made by `secondAccount({ shard })` (shard ≠ 0): the
 * anchor rows its foreign keys point at (the account and its channels, ids only), as
 * `store::directory::anchor` writes them for a channel created through the API.
 */
export function shardAnchorSql({ id = "acc_other", channels = [], at = 1 }) {
  const q = (s) => `'${String(s).replaceAll("'", "''")}'`;
  const lines = [`INSERT INTO accounts (id, name, created_at) VALUES (${q(id)}, '', ${at});`];
  for (const ch of channels) lines.push(`INSERT INTO channels (id, account_id, name, created_at) VALUES (${q(ch.id)}, ${q(id)}, '', ${at});`);
  return lines.join("\n") + "\n";
}

/**
 * A visitor's page in a fresh browser context (`contextOptions`, e.g. `{ locale }`), on the
 * edge's `path` (the demo host page by default); with `open`, the widget's launcher is clicked
 * (its label in the page's language: `open`, default "Open chat"). Resolves `{ ctx, page }`.
 */
export async function widgetPage(browser, edge, { path = "/", open = false, contextOptions } = {}) {
  const ctx = await browser.newContext(contextOptions);
  const page = await ctx.newPage();
  await page.goto(edge.base + path);
  if (open) await page.getByRole("button", { name: open === true ? "Open chat" : open }).click();
  return { ctx, page };
}

/**
 * The console in a fresh browser context (`contextOptions`), logged in as `username`
 * (password `parley-demo` unless given) through the login form. Resolves `{ ctx, page }`.
 */
export async function consolePage(browser, edge, username = "demo", { password, contextOptions } = {}) {
  const ctx = await browser.newContext(contextOptions);
  const page = await ctx.newPage();
  await consoleLogin(page, edge.base, username, password);
  return { ctx, page };
}

/**
 * Asserts an HTTP error answer: `status`, `error.code`, and `error.field` when `field` is given.
 * (`r` from getJson/postJson.)
 */
export function assertError(r, status, code, label, field) {
  const why = `${label}: ${r.text ?? JSON.stringify(r.json)}`;
  assert.equal(r.status, status, why);
  assert.equal(r.json?.error?.code, code, why);
  if (field !== undefined) assert.equal(r.json?.error?.field, field, why);
}

/** Polls until `pred()` (may be async) holds, every 50 ms; throws after `timeoutMs`. */
export async function until(pred, label, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Conversation `id` as the console's list shows it to `cookie` (the list must answer 200). */
export async function conversationSummary(edge, cookie, id) {
  const r = await getJson(edge.base, `${C}/conversations`, cookie);
  assert.equal(r.status, 200, r.text);
  return r.json.conversations.find((c) => c.id === id);
}

/**
 * Polls the console's conversation list (as `cookie`) until `pred(summary)` holds for
 * conversation `id` (the objects sync D1 on their own); resolves that summary.
 */
export async function conversationSummaryWhen(edge, cookie, id, pred, label, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await conversationSummary(edge, cookie, id);
    if (s && pred(s)) return s;
    if (Date.now() > deadline) throw new Error(`${label}: ${JSON.stringify(s)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/**
 * Polls the console's transcript of conversation `id` (as `cookie`) until it holds at least `n`
 * messages (the conversation's object copies them to D1 after storing); resolves its JSON.
 */
export async function transcriptWith(edge, cookie, id, n, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = await getJson(edge.base, `${C}/conversations/${id}/transcript`, cookie);
    if (t.status === 200 && t.json.messages.length >= n) return t.json;
    if (Date.now() > deadline) throw new Error(`transcript of ${id} never reached ${n} messages: ${t.text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The text/plain part of a raw mail, decoded (base64 or quoted-printable). */
export function plainText(raw) {
  const part = raw.split(/\r?\n--/).find((p) => /Content-Type: text\/plain/i.test(p));
  assert.ok(part, "a text/plain part");
  const [head, ...rest] = part.split(/\r?\n\r?\n/);
  const body = rest.join("\n\n");
  if (/Content-Transfer-Encoding:\s*base64/i.test(head)) return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (/Content-Transfer-Encoding:\s*quoted-printable/i.test(head)) {
    const bytes = body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, "latin1").toString("utf8");
  }
  return body;
}
