// Two-factor login (issue 20): an operator enrols a TOTP key (RFC 6238) in My settings or by
// the API, confirming it with a code; from then on the login asks for a code after the
// password; a wrong code is refused, a code is accepted once (a replay within its step is
// refused). Codes are computed here with node:crypto (HMAC-SHA1, RFC 6238), independently of
// the Rust core.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { useEdge, assertError, C } from "./fixtures.mjs";
import { step } from "./harness.mjs";
import { login, postJson } from "./proto-client.mjs";

const { edge, browser } = useEdge({ browser: true, online: [] });

function fromBase32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0, value = 0;
  const out = [];
  for (const c of text.replace(/=+$/, "")) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) { bits -= 8; out.push((value >>> bits) & 0xff); }
  }
  return Buffer.from(out);
}

/** The 6-digit TOTP code of `secret` (base32) for 30 s step `step`. */
function code(secret, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", fromBase32(secret)).update(msg).digest();
  const o = mac[mac.length - 1] & 0xf;
  const bin = ((mac[o] & 0x7f) << 24) | (mac[o + 1] << 16) | (mac[o + 2] << 8) | mac[o + 3];
  return String(bin % 1_000_000).padStart(6, "0");
}
const stepNow = () => Math.floor(Date.now() / 30_000);

test("the node:crypto codes here are RFC 6238's (appendix B, SHA-1, 6 of the 8 digits)", () => {
  // 59 s → step 1 → 94287082; 1111111109 s → 07081804 (the last six digits).
  const b32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; // base32 of "12345678901234567890"
  assert.equal(code(b32, 1), "287082");
  assert.equal(code(b32, Math.floor(1111111109 / 30)), "081804");
});

async function enrol(cookie) {
  const begun = await edge.post(`${C}/totp/begin`, {}, cookie);
  assert.equal(begun.status, 200, JSON.stringify(begun.json));
  const { secret, uri } = begun.json;
  assert.match(secret, /^[A-Z2-7]{32}$/, "160 bits in base32");
  assert.ok(uri.startsWith("otpauth://totp/Parley:") && uri.includes(`secret=${secret}`), uri);
  return secret;
}

test("enrol by the API; the login then needs a code; wrong and replayed codes are refused", async () => {
  const dana = await edge.login();
  assert.deepEqual((await edge.get(`${C}/totp`, dana)).json, { enabled: false });
  const secret = await enrol(dana);
  // Not in force before it is confirmed: the login is as before.
  await login(edge.base, { username: "demo" });
  assertError(await edge.post(`${C}/totp/confirm`, { code: "000000" === code(secret, stepNow()) ? "111111" : "000000" }, dana),
    401, "bad_totp_code", "a wrong confirmation");
  const s = stepNow();
  const confirmed = await edge.post(`${C}/totp/confirm`, { code: code(secret, s) }, dana);
  assert.deepEqual(confirmed.json, { enabled: true });
  assert.deepEqual((await edge.get(`${C}/totp`, dana)).json, { enabled: true });

  const attempt = (totp) => postJson(edge.base, "/api/v1/auth/login",
    { username: "demo", password: "parley-demo", ...(totp === undefined ? {} : { totp }) });
  // The right password alone: a code is asked for, no session is made.
  const asked = await attempt();
  assertError(asked, 401, "totp_required", "password only");
  assert.equal(asked.headers.get("set-cookie"), null);
  // A wrong password is still just a wrong password (the code is not asked for).
  assertError(await postJson(edge.base, "/api/v1/auth/login", { username: "demo", password: "nope-nope-nope" }),
    401, "bad_credentials", "wrong password");
  // A wrong code.
  const wrong = code(secret, s + 5);
  assertError(await attempt(wrong), 401, "bad_totp_code", "a wrong code");
  // The step the confirmation used cannot log in again (a replay of that code).
  assertError(await attempt(code(secret, s)), 401, "bad_totp_code", "the confirmation's code replayed");
  // The next step's code (within the accepted drift) logs in, once.
  const next = code(secret, s + 1);
  const ok = await attempt(next);
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.match(ok.headers.get("set-cookie") ?? "", /parley_session=/);
  assertError(await attempt(next), 401, "bad_totp_code", "the same code twice");
});

test("enrol in My settings; the console's login asks for the code as a second step", async () => {
  const page = await browser.newPage();
  await step(page, "totp-console", async () => {
    // Sam logs in (no second factor yet) and turns it on in My settings.
    await page.goto(edge.base + "/console");
    await page.getByLabel("Username").fill("sam");
    await page.getByLabel("Password").fill("parley-demo");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("button", { name: "Log out" }).waitFor();
    await page.getByRole("button", { name: "Admin", exact: true }).click();
    await page.getByRole("tab", { name: "My settings" }).click();
    await page.getByText("Two-factor login is off.").waitFor();
    await page.getByRole("button", { name: "Turn on two-factor login" }).click();
    const secret = (await page.locator(".totp-secret").textContent()).trim();
    const href = await page.locator(".totp-uri").getAttribute("href");
    assert.ok(href.includes(`secret=${secret}`), href);
    await page.getByLabel("Authenticator code").fill("12345");
    await page.getByRole("button", { name: "Confirm" }).click();
    await page.getByText("Wrong or already used code.").waitFor();
    const s = stepNow();
    await page.getByLabel("Authenticator code").fill(code(secret, s));
    await page.getByRole("button", { name: "Confirm" }).click();
    await page.getByText("Two-factor login is now on.").waitFor();

    // Log out; the login now asks for the code after the password.
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByLabel("Username").fill("sam");
    await page.getByLabel("Password").fill("parley-demo");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByLabel("Authenticator code").waitFor();
    await page.getByLabel("Authenticator code").fill(code(secret, s + 7));
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByText("Wrong or already used code.").waitFor();
    await page.getByLabel("Authenticator code").fill(code(secret, s + 1));
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("button", { name: "Log out" }).waitFor();
  });
});
