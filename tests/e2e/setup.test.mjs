// Accounts without SQL (issue 20): a fresh deployment (no demo seed) shows /console/setup; a
// wrong setup code is refused with a typed error; the code printed by the project command
// (`parley-tools setup-code`, what `make setup-code` runs) creates a working account — admin,
// channel, hostname, the snippet — after which the page is gone and its API refuses; two setups
// racing make one account.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { useEdge, assertError, C } from "./fixtures.mjs";
import { ROOT, queryD1, step } from "./harness.mjs";
import { login } from "./proto-client.mjs";

const { edge, browser } = useEdge({ seed: false, online: [], browser: true });
// A second fresh deployment, for the race.
const { edge: raced } = useEdge({ seed: false, online: [] });

/** The setup code of `secret`, as the project command prints it. */
async function setupCode(secret) {
  const { stdout } = await promisify(execFile)("cargo", ["run", "-q", "-p", "parley-tools", "--", "setup-code"],
    { cwd: ROOT, env: { ...process.env, PARLEY_SECRET: secret } });
  return stdout.trim();
}

const WRONG = "AAAA-BBBB-CCCC-DDDD-EEEE";

test("a fresh deployment is set up once, with its setup code, from the console's page", async () => {
  const code = await setupCode(edge.secret);
  assert.match(code, /^[A-Z2-7]{4}(-[A-Z2-7]{4}){4}$/, "20 base32 characters in groups of four");

  // Empty directory: the page and its API are open, nothing can log in.
  assert.deepEqual((await edge.get("/api/v1/setup")).json, { open: true });
  assert.deepEqual(await queryD1(edge.state, "SELECT COUNT(*) AS n FROM accounts"), [{ n: 0 }]);

  // The page is the console's, with the console's headers (no framing: a setup form).
  const served = await fetch(edge.base + "/console/setup");
  assert.equal(served.status, 200);
  assert.match(served.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
  assert.match(await served.text(), /console-boot\.js/);

  const page = await browser.newPage();
  await step(page, "setup-page", async () => {
    await page.goto(edge.base + "/console/setup");
    await page.getByRole("heading", { name: "Set up Parley" }).waitFor();
    await page.getByLabel("Setup code").fill(WRONG);
    await page.getByLabel("Account name").fill("Acme Ltd");
    await page.getByLabel("First name").fill("Ada");
    await page.getByLabel("Last name").fill("Lovelace");
    await page.getByLabel("E-mail").fill("ada@acme.example");
    await page.getByLabel("Username").fill("ada");
    await page.getByLabel("Password").fill("analytical-engine");
    await page.getByLabel("Channel name").fill("Support");
    await page.getByLabel("Your website's hostname").fill("www.acme.example");
    await page.getByRole("button", { name: "Create the account" }).click();
    // The wrong code: refused, said next to the code field, nothing created.
    await page.getByText("This is not the setup code of this deployment.").waitFor();
    assert.deepEqual(await queryD1(edge.state, "SELECT COUNT(*) AS n FROM accounts"), [{ n: 0 }]);

    // The right one (typed in lower case with spaces: only the letters count).
    await page.getByLabel("Setup code").fill(code.toLowerCase().replaceAll("-", " "));
    await page.getByRole("button", { name: "Create the account" }).click();
    await page.getByText("Your account is ready.").waitFor();
    const snippet = await page.locator(".setup-snippet").textContent();
    assert.match(snippet, new RegExp(`^<script src="${edge.base}/widget\\.js" data-channel="ch_[^"]+" async></script>$`));
  });

  // What it made: the account on shard 0 (its directory row), its admin, its channel with the
  // chat button, the hostname tied to the channel.
  const [account] = await queryD1(edge.state, "SELECT a.id, a.name, s.shard FROM accounts a JOIN account_shards s ON s.account_id = a.id");
  assert.deepEqual({ name: account.name, shard: account.shard }, { name: "Acme Ltd", shard: 0 });
  const ops = await queryD1(edge.state, "SELECT username, role, chat_name, email FROM operators");
  assert.deepEqual(ops, [{ username: "ada", role: "admin", chat_name: "Ada Lovelace", email: "ada@acme.example" }]);
  const hosts = await queryD1(edge.state,
    "SELECT c.name, h.hostname FROM channels c JOIN channel_hosts ch ON ch.channel_id = c.id JOIN hosts h ON h.id = ch.host_id");
  assert.deepEqual(hosts, [{ name: "Support", hostname: "www.acme.example" }]);
  assert.deepEqual(await queryD1(edge.state, "SELECT kind FROM entry_points"), [{ kind: "button" }]);

  // A working account: its admin logs in and sees its channel.
  const cookie = await login(edge.base, { username: "ada", password: "analytical-engine" });
  const me = await edge.get("/api/v1/auth/me", cookie);
  assert.equal(me.json.role, "admin");
  assert.equal(me.json.account_id, account.id);
  const channels = await edge.get(`${C}/channels`, cookie);
  assert.deepEqual(channels.json.channels.map((c) => [c.name, c.hosts]), [["Support", ["www.acme.example"]]]);

  // The page is gone, and its API refuses even the right code.
  assert.equal((await edge.get("/console/setup")).status, 404);
  assert.deepEqual((await edge.get("/api/v1/setup")).json, { open: false });
  const again = await edge.post("/api/v1/setup", {
    code, account_name: "Thief", username: "thief", first_name: "T", email: "t@x.example",
    password: "0123456789ab", channel_name: "X", hostname: "x.example",
  });
  assertError(again, 409, "already_set_up", "a second setup");
  assert.deepEqual(await queryD1(edge.state, "SELECT COUNT(*) AS n FROM accounts"), [{ n: 1 }]);
  // The console's root is the login, as before.
  await page.goto(edge.base + "/console");
  await page.getByRole("button", { name: "Log in" }).waitFor();
});

test("the setup API: a wrong code is a typed refusal, then throttled; another origin is refused", async () => {
  const body = (code, username) => ({
    code, account_name: `Acct ${username}`, username, first_name: "Racer", email: `${username}@x.example`,
    password: "0123456789ab", channel_name: "Web", hostname: `${username}.example`,
  });
  assertError(await raced.post("/api/v1/setup", body("nope", "a1"), null, "https://evil.example"), 403, "bad_origin", "foreign origin");
  // Wrong codes (SETUP_MAX_WRONG_CODES = 5 per address in 15 minutes) are refused, each typed…
  for (let i = 0; i < 5; i++) {
    assertError(await raced.post("/api/v1/setup", body(WRONG, "a1")), 403, "bad_setup_code", `wrong code ${i + 1}`, "code");
  }
  // …then even the right one waits: the door is shut before the code is checked.
  const code = await setupCode(raced.secret);
  const shut = await raced.post("/api/v1/setup", body(code, "a1"));
  assertError(shut, 429, "rate_limited", "after five wrong codes");
  assert.ok(Number(shut.headers.get("retry-after")) > 0, "Retry-After");
  assert.deepEqual(await queryD1(raced.state, "SELECT COUNT(*) AS n FROM accounts"), [{ n: 0 }]);
});

test("two setups racing with the right code make exactly one account", async () => {
  // The window of wrong codes from the test above is per address; clear it (a new window).
  await raced.stop();
  const { seedSql } = await import("./harness.mjs");
  await seedSql(raced.state, "DELETE FROM rate_windows;");
  await raced.restart();
  const code = await setupCode(raced.secret);
  const body = (username) => ({
    code, account_name: `Acct ${username}`, username, first_name: "Racer", email: `${username}@x.example`,
    password: "0123456789ab", channel_name: "Web", hostname: `${username}.example`,
  });
  const answers = await Promise.all(["racer1", "racer2", "racer3", "racer4"].map((u) => raced.post("/api/v1/setup", body(u))));
  const statuses = answers.map((r) => r.status).sort();
  assert.deepEqual(statuses, [201, 409, 409, 409], JSON.stringify(answers.map((r) => r.json)));
  for (const r of answers.filter((r) => r.status === 409)) assertError(r, 409, "already_set_up", "a racer");
  assert.deepEqual(await queryD1(raced.state, "SELECT COUNT(*) AS n FROM accounts"), [{ n: 1 }]);
  assert.deepEqual(await queryD1(raced.state, "SELECT COUNT(*) AS n FROM operators"), [{ n: 1 }]);
  assert.deepEqual(await queryD1(raced.state, "SELECT COUNT(*) AS n FROM channels"), [{ n: 1 }]);
  assert.deepEqual(await queryD1(raced.state, "SELECT COUNT(*) AS n FROM account_shards"), [{ n: 1 }]);
});
