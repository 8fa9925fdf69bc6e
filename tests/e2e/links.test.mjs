// One-time links (issue 20): an admin invites an operator by e-mail, who sets a password from
// the mail's link and logs in; anyone asks for a reset by username or address (the same answer
// whether it names an operator or not); a link works once, not after its expiry, and a new
// password ends the operator's sessions. The mails are read from wrangler's local e-mail
// simulation (what the `send_email` binding sent in this dev session).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { useEdge, assertError, until, C } from "./fixtures.mjs";
import { step, queryD1 } from "./harness.mjs";
import { login, postJson } from "./proto-client.mjs";

const EXPIRED = "expired-token-of-sam-0123456789";
const digest = (t) => createHash("sha256").update(t).digest("hex");
const { edge, browser } = useEdge({
  browser: true,
  online: [],
  // A link of Sam's past its expiry.
  extraSql: `INSERT INTO operator_tokens (token_digest, kind, account_id, operator_id, created_at, expires_at)
    VALUES ('${digest(EXPIRED)}', 'reset', 'acc_demo', 'op_sam', 1, 2);`,
});

const EXPLORER = "/cdn-cgi/local/explorer/api/local/email/sending";

/** Quoted-printable (RFC 2045) decoded: soft line breaks joined, `=XX` octets as UTF-8. */
function unQuotedPrintable(raw) {
  const joined = raw.replace(/=\r?\n/g, "");
  return Buffer.from(joined.replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8");
}

/** Every mail sent so far in this dev session: `{ to, subject, text }` (`text`: the raw
 * message, quoted-printable decoded). */
async function sentMails() {
  const list = await (await fetch(edge.base + EXPLORER + "?per_page=100")).json();
  const out = [];
  for (const item of list.result ?? []) {
    const d = await (await fetch(edge.base + EXPLORER + "?email_id=" + encodeURIComponent(item.messageId))).json();
    out.push({ to: item.to, subject: item.subject, text: unQuotedPrintable(d.result?.raw ?? "") });
  }
  return out;
}

/** The one-time link of the latest mail to `address`. */
async function linkTo(address) {
  let found = null;
  await until(async () => {
    const mails = (await sentMails()).filter((m) => m.to.some((t) => t.includes(address)));
    found = mails.at(-1)?.text.match(/https?:\/\/\S+\/console#\/password\/[A-Za-z0-9_-]+/)?.[0] ?? null;
    return found !== null;
  }, `a mail with a link to ${address}`);
  return found;
}

test("an invited operator sets a password from the mail's link and logs in; the link works once", async () => {
  const dana = await edge.login();
  const invited = await edge.post(`${C}/operators/invite`,
    { username: "nina", first_name: "Nina", last_name: "New", email: "nina@team.example" }, dana);
  assert.equal(invited.status, 201, JSON.stringify(invited.json));
  assert.equal(invited.json.username, "nina");
  // No password yet: nothing logs in.
  assertError(await postJson(edge.base, "/api/v1/auth/login", { username: "nina", password: "" }), 401, "bad_credentials", "no password yet");
  const link = await linkTo("nina@team.example");
  assert.ok(link.startsWith(edge.base + "/console#/password/"), link);
  // Only the token's digest is stored.
  const token = link.split("/password/")[1];
  const rows = await queryD1(edge.state, "SELECT token_digest, kind FROM operator_tokens WHERE operator_id = (SELECT id FROM operators WHERE username = 'nina')");
  assert.deepEqual(rows, [{ token_digest: digest(token), kind: "invite" }]);

  const page = await browser.newPage();
  await step(page, "invite-link", async () => {
    await page.goto(link);
    await page.getByRole("heading", { name: "Choose your password" }).waitFor();
    await page.getByLabel("New password").fill("nina-first-password");
    await page.getByRole("button", { name: "Set password" }).click();
    await page.getByText("Your password is set.").waitFor();
  });
  await login(edge.base, { username: "nina", password: "nina-first-password" });
  // Once: the same link again is refused, typed.
  assertError(await postJson(edge.base, "/api/v1/auth/password", { token, password: "another-password-1" }),
    410, "bad_link", "the invitation's link twice");
  // Only an admin invites.
  const sam = await edge.login("sam");
  assertError(await edge.post(`${C}/operators/invite`, { username: "zed", first_name: "Z", email: "z@x.example" }, sam),
    403, "forbidden", "an operator inviting");
});

test("an admin invites from Admin → Operators; the mail goes to the invited address", async () => {
  const page = await browser.newPage();
  await step(page, "invite-console", async () => {
    await page.goto(edge.base + "/console");
    await page.getByLabel("Username").fill("demo");
    await page.getByLabel("Password").fill("parley-demo");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("button", { name: "Admin", exact: true }).click();
    await page.getByRole("tab", { name: "Operators" }).click();
    await page.getByRole("button", { name: "Invite by e-mail" }).click();
    await page.locator("#inv-username").fill("omar");
    await page.locator("#inv-first").fill("Omar");
    await page.locator("#inv-email").fill("omar@team.example");
    await page.locator("form", { has: page.locator("#inv-username") }).getByRole("button", { name: "Invite by e-mail" }).click();
    await page.getByText("The invitation was sent to omar@team.example.").waitFor();
    await page.getByRole("cell", { name: "omar", exact: true }).waitFor();
  });
  assert.ok((await linkTo("omar@team.example")).includes("/console#/password/"));
});

test("a reset link works once, ends the sessions, and the answer never tells whether the address exists", async () => {
  const before = await edge.login("sam");
  const asked = await postJson(edge.base, "/api/v1/auth/reset", { login: "sam@parley.invalid" });
  const nobody = await postJson(edge.base, "/api/v1/auth/reset", { login: "nobody@nowhere.example" });
  assert.equal(asked.status, 200);
  assert.deepEqual([nobody.status, nobody.json], [asked.status, asked.json], "the same answer");
  const link = await linkTo("sam@parley.invalid");
  const token = link.split("/password/")[1];
  // No mail went to the unknown address.
  assert.equal((await sentMails()).filter((m) => m.to.some((t) => t.includes("nowhere.example"))).length, 0);

  // A password refused by the rules does not spend the link.
  assertError(await postJson(edge.base, "/api/v1/auth/password", { token, password: "short" }), 400, "invalid", "short", "password");
  const set = await postJson(edge.base, "/api/v1/auth/password", { token, password: "sam-new-password" });
  assert.equal(set.status, 200, JSON.stringify(set.json));
  assertError(await postJson(edge.base, "/api/v1/auth/password", { token, password: "sam-newer-password" }),
    410, "bad_link", "the reset link twice");
  // The old password no longer works, the new one does; the session from before has ended.
  assertError(await postJson(edge.base, "/api/v1/auth/login", { username: "sam", password: "parley-demo" }), 401, "bad_credentials", "old password");
  await login(edge.base, { username: "sam", password: "sam-new-password" });
  assert.equal((await edge.get("/api/v1/auth/me", before)).status, 401, "the session from before the reset");
  // An expired link is refused like a used one; an unknown one too.
  assertError(await postJson(edge.base, "/api/v1/auth/password", { token: EXPIRED, password: "sam-other-password" }),
    410, "bad_link", "an expired link");
  assertError(await postJson(edge.base, "/api/v1/auth/password", { token: "no-such-token", password: "sam-other-password" }),
    410, "bad_link", "an unknown link");
});

test("the console's login page asks for a reset link", async () => {
  const page = await browser.newPage();
  await step(page, "forgot-password", async () => {
    await page.goto(edge.base + "/console");
    await page.getByRole("button", { name: "Forgot your password?" }).click();
    await page.getByLabel("Username or e-mail").fill("demo");
    await page.getByRole("button", { name: "Send the link" }).click();
    await page.getByText("If this is an operator's username or address, a link is on its way.").waitFor();
  });
  assert.ok((await linkTo("demo@parley.invalid")).includes("/console#/password/"));
});
