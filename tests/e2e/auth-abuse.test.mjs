// Login abuse and sessions that end everywhere (issue 18), against a real `wrangler dev`:
// - brute force on one username is stopped after LOGIN_MAX_ATTEMPTS_PER_USERNAME (5) attempts
//   with 429 `too_many_attempts` and Retry-After, right password or not, while another
//   username still logs in; one address trying many usernames is stopped after
//   LOGIN_MAX_ATTEMPTS_PER_ADDRESS (20) while another address still logs in;
// - an older password hash is upgraded to the peppered scheme at the first login;
// - logout in one browser context closes the operator's socket in another within a second;
// - a second `hello` on a socket is refused (`hello_required`) and re-sends nothing;
// - disabling an operator or giving them a new password closes their open socket at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { queryD1 } from "./harness.mjs";
import { upgrade, wsUrl, newConversation, postJson, PROTOCOL } from "./proto-client.mjs";
import { useEdge, secondAccount, consolePage, assertError, C } from "./fixtures.mjs";

const USER_LIMIT = 5; // limits.rs LOGIN_MAX_ATTEMPTS_PER_USERNAME
const ADDRESS_LIMIT = 20; // limits.rs LOGIN_MAX_ATTEMPTS_PER_ADDRESS
const WINDOW_S = 15 * 60; // limits.rs LOGIN_WINDOW_MS

const { edge, browser } = useEdge({
  browser: true,
  extraSql: () => secondAccount({
    id: "acc_abuse", name: "Abuse account (test)",
    operators: [
      { id: "op_brute", username: "brute", chat_name: "Bruno", role: "operator", password: "brute-password-1" },
      { id: "op_ada", username: "ada", chat_name: "Ada", role: "admin" }, // Dana's (seed) hash: parley-demo
    ],
  }),
});

/** POST /auth/login from `address` (CF-Connecting-IP), timed. */
async function attempt(username, password, address) {
  const headers = { "content-type": "application/json", origin: edge.base };
  if (address) headers["cf-connecting-ip"] = address;
  const t0 = performance.now();
  const res = await fetch(edge.base + "/api/v1/auth/login", { method: "POST", headers, body: JSON.stringify({ username, password }) });
  const ms = performance.now() - t0;
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  const cookie = (res.headers.getSetCookie?.() ?? []).map((c) => c.split(";")[0]).find((c) => c.startsWith("parley_session="));
  return { status: res.status, json, text, ms, retryAfter: res.headers.get("retry-after"), cookie };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** An operator socket (`cookie`) of conversation `id`, through hello/welcome. */
async function operatorSocket(id, cookie) {
  const r = await upgrade(wsUrl(edge.base, id, "operator"), { Origin: edge.base, Cookie: cookie });
  assert.equal(r.status, 101, `operator upgrade: ${r.status} ${r.body}`);
  r.ws.sendText(JSON.stringify({ type: "hello", protocol: PROTOCOL, last_seq: 0 }));
  const welcome = await r.ws.nextMatching((f) => f?.type === "welcome");
  assert.equal(welcome.you.role, "operator");
  return r.ws;
}

/** Resolves the socket's close info and the ms from `t0` to it. */
async function closedAfter(ws, t0) {
  const info = await ws.closed;
  return { info, ms: performance.now() - t0 };
}

test("brute force on a username is stopped after the limit with 429 and Retry-After; another username still logs in", async () => {
  const wrong = [];
  for (let i = 0; i < USER_LIMIT; i++) {
    const r = await attempt("brute", `guess-${i}`, "192.0.2.10");
    assertError(r, 401, "bad_credentials", `wrong password #${i + 1}`);
    wrong.push(r.ms);
  }
  // The next attempt is refused before the password is checked — even the right one.
  const stopped = await attempt("brute", "brute-password-1", "192.0.2.10");
  assertError(stopped, 429, "too_many_attempts", "attempt after the limit");
  const retry = Number(stopped.retryAfter);
  assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= WINDOW_S, `Retry-After: ${stopped.retryAfter}`);
  // From another address too (the username is what is attacked), and a refused attempt does
  // not extend the wait.
  const again = await attempt("Brute ", "brute-password-1", "192.0.2.99");
  assertError(again, 429, "too_many_attempts", "same username, other address, other spelling");
  assert.ok(Number(again.retryAfter) <= retry, `${again.retryAfter} <= ${retry}`);

  // The console says so in its own words.
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    await page.goto(edge.base + "/console");
    await page.getByLabel("Username").fill("brute");
    await page.getByLabel("Password").fill("brute-password-1");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByText("Too many login attempts. Wait a few minutes, then try again.").waitFor();
  } finally {
    await ctx.close();
  }

  // Another username from the very same address logs in; its older (unpeppered) hash is
  // replaced by the current scheme at this first login, and the new hash logs in too.
  const [before] = await queryD1(edge.state, "SELECT password_hash FROM operators WHERE id = 'op_ada'");
  assert.equal(before.password_hash.split("$").length, 4, "seeded with an older hash");
  const first = await attempt("ada", "parley-demo", "192.0.2.10");
  assert.equal(first.status, 200, first.text);
  assert.ok(first.cookie, "a session cookie");
  const [after] = await queryD1(edge.state, "SELECT password_hash FROM operators WHERE id = 'op_ada'");
  const parts = after.password_hash.split("$");
  assert.equal(parts.length, 5, "pbkdf2-sha256$ITERATIONS$SALT$HASH$KID");
  assert.deepEqual(parts.slice(0, 2), ["pbkdf2-sha256", "100000"], "exactly Cloudflare's ceiling");
  const ok = [];
  for (let i = 0; i < 3; i++) {
    const r = await attempt("ada", "parley-demo", "192.0.2.10");
    assert.equal(r.status, 200, r.text);
    ok.push(r.ms);
  }
  const refusedAda = await attempt("ada", "not-her-password", "192.0.2.10");
  assertError(refusedAda, 401, "bad_credentials", "wrong password against the upgraded hash");

  // Unknown usernames cost a real check too (timing tells nothing).
  const unknown = [];
  for (let i = 0; i < 3; i++) {
    const r = await attempt(`nobody-${i}`, "whatever-it-is", "192.0.2.11");
    assertError(r, 401, "bad_credentials", "unknown username");
    unknown.push(r.ms);
  }
  console.log(`auth-abuse: login wall time (wrangler dev, ms) — upgrade login ${first.ms.toFixed(0)}, ` +
    `login median ${median(ok).toFixed(0)}, wrong password median ${median(wrong).toFixed(0)}, ` +
    `unknown user median ${median(unknown).toFixed(0)}, refused (429) ${stopped.ms.toFixed(0)}`);
});

test("one address trying many usernames is stopped after the limit; another address still logs in", async () => {
  const address = "198.51.100.23";
  for (let i = 0; i < ADDRESS_LIMIT; i++) {
    const r = await attempt(`spray-${i}`, "Password1!", address);
    assertError(r, 401, "bad_credentials", `spray #${i + 1}`);
  }
  const stopped = await attempt("sam", "parley-demo", address);
  assertError(stopped, 429, "too_many_attempts", "a valid login from the sprayed address");
  assert.ok(Number(stopped.retryAfter) >= 1, `Retry-After: ${stopped.retryAfter}`);
  const elsewhere = await attempt("sam", "parley-demo", "198.51.100.24");
  assert.equal(elsewhere.status, 200, elsewhere.text);
  // An IPv6 address counts by its /64: the neighbour of a sprayed address is stopped too.
  for (let i = 0; i < ADDRESS_LIMIT; i++) {
    assertError(await attempt(`spray6-${i}`, "Password1!", `2001:db8:7:7::${i + 1}`), 401, "bad_credentials", "spray v6");
  }
  assertError(await attempt("sam", "parley-demo", "2001:db8:7:7:ffff::1"), 429, "too_many_attempts", "same /64");
  assert.equal((await attempt("sam", "parley-demo", "2001:db8:7:8::1")).status, 200, "another /64");
});

test("logout in one browser context closes the operator's socket in another within a second", async () => {
  const conv = await newConversation(edge.base);
  // Context B: Sam's socket on the conversation, with a session of its own.
  const other = await attempt("sam", "parley-demo", "203.0.113.5");
  assert.equal(other.status, 200, other.text);
  const ws = await operatorSocket(conv.conversationId, other.cookie);
  // Context A: Sam in the console, who logs out there.
  const { ctx, page } = await consolePage(browser, edge, "sam");
  try {
    const t0 = performance.now();
    const closing = closedAfter(ws, t0);
    await page.getByRole("button", { name: "Log out" }).click();
    const { info, ms } = await closing;
    assert.equal(info.code, 4001, `close ${JSON.stringify(info)}`);
    assert.ok(ms < 1_000, `closed ${ms.toFixed(0)} ms after the click`);
    console.log(`auth-abuse: socket closed ${ms.toFixed(0)} ms after Log out in the other context`);
    // Both sessions ended: B's cookie no longer opens a socket or reads anything.
    const again = await upgrade(wsUrl(edge.base, conv.conversationId, "operator"), { Origin: edge.base, Cookie: other.cookie });
    assert.equal(again.status, 401);
    assert.equal((await edge.get(`${C}/conversations`, other.cookie)).status, 401);
  } finally {
    await ctx.close();
  }
});

test("a second hello on a socket is refused and re-sends nothing", async () => {
  const conv = await newConversation(edge.base);
  const cookie = await edge.login("demo");
  const ws = await operatorSocket(conv.conversationId, cookie);
  ws.sendText(JSON.stringify({ type: "hello", protocol: PROTOCOL, last_seq: 0 }));
  const refused = await ws.nextMatching((f) => f?.type !== "typing" && f?.type !== "status" && f?.type !== "routing");
  assert.equal(refused.type, "error", JSON.stringify(refused));
  assert.equal(refused.code, "hello_required");
  // Still open and serving, and no welcome came.
  ws.sendText(JSON.stringify({ type: "ping" }));
  const next = await ws.nextMatching((f) => f?.type === "pong" || f?.type === "welcome");
  assert.equal(next.type, "pong");
  ws.close(1000, "bye");
});

test("disabling an operator or setting their password closes their open socket at once", async () => {
  const admin = await edge.login("demo");
  for (const [label, change, undo] of [
    ["disabled", { disabled: true }, { disabled: false }],
    ["new password", { password: "a-brand-new-password" }, { password: "parley-demo" }],
  ]) {
    const conv = await newConversation(edge.base);
    const sam = await attempt("sam", "parley-demo", "203.0.113.6");
    assert.equal(sam.status, 200, sam.text);
    const ws = await operatorSocket(conv.conversationId, sam.cookie);
    const t0 = performance.now();
    const closing = closedAfter(ws, t0);
    const r = await postJson(edge.base, `${C}/operators/op_sam`, change, { cookie: admin });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const { info, ms } = await closing;
    assert.equal(info.code, 4001, `${label}: close ${JSON.stringify(info)}`);
    assert.ok(ms < 1_000, `${label}: closed ${ms.toFixed(0)} ms after the change`);
    const again = await upgrade(wsUrl(edge.base, conv.conversationId, "operator"), { Origin: edge.base, Cookie: sam.cookie });
    assert.equal(again.status, 401, `${label}: the session is gone`);
    assert.equal((await postJson(edge.base, `${C}/operators/op_sam`, undo, { cookie: admin })).status, 200);
  }
  // With the password set back, Sam logs in again.
  assert.equal((await attempt("sam", "parley-demo", "203.0.113.6")).status, 200);
});
