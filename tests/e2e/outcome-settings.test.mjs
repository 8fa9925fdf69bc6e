// Admin settings of issue 6: the account's success codes, categories and goals
// (`/api/v1/console/outcome-settings`), a channel's pre-chat form and its identity secret, and
// what the widget session carries of them. Protocol level against a real `wrangler dev`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { step, consoleLogin } from "./harness.mjs";
import { postJson } from "./proto-client.mjs";
import { useEdge, assertError, until, C } from "./fixtures.mjs";

const { edge, browser } = useEdge({ browser: true });
const { get, post } = edge;
// The widget session leaves out an empty `prechat` / `goals`.
const session = (extra = {}) => postJson(edge.base, "/api/v1/widget/session", { channel_id: "demo", ...extra });

const SEEDED = {
  success_codes: ["Sale", "Resolved"],
  categories: [{ name: "Billing", subs: ["Refund", "Invoice"] }],
  goals: [
    { id: "g_demo_signup", name: "Signed up", value: 49, url_glob: null },
    { id: "g_demo_pricing", name: "Saw pricing", value: 5, url_glob: "*/demo/pricing*" },
  ],
};

test("outcome settings: operators read, admins replace; bad input changes nothing; goals keep their ids", async () => {
  const [admin, sam] = [await edge.login(), await edge.login("sam")];
  const settings = (cookie = sam) => get(`${C}/outcome-settings`, cookie);

  // Any operator of the account reads them (the close form needs them); the seed's values.
  assertError(await get(`${C}/outcome-settings`), 401, "unauthenticated", "no session");
  const seeded = await settings();
  assert.equal(seeded.status, 200, JSON.stringify(seeded.json));
  assert.deepEqual(seeded.json, SEEDED);

  // Only admins change them, from the console's origin.
  assertError(await post(`${C}/outcome-settings`, SEEDED, sam), 403, "forbidden", "operator saves");
  assertError(await post(`${C}/outcome-settings`, SEEDED, admin, "https://evil.example"), 403, "bad_origin", "origin");
  assertError(await post(`${C}/outcome-settings`, SEEDED), 401, "unauthenticated", "no session saves");

  // Bad bodies: 400 naming the list, and nothing changes.
  const bad = [
    [{ ...SEEDED, success_codes: ["Sale", " sale "] }, "success_codes", "a code twice"],
    [{ ...SEEDED, success_codes: [""] }, "success_codes", "a blank code"],
    [{ ...SEEDED, categories: [{ name: "Billing", subs: ["Refund", "REFUND"] }] }, "categories", "a sub twice"],
    [{ ...SEEDED, categories: [{ name: "x".repeat(61), subs: [] }] }, "categories", "a long category"],
    [{ ...SEEDED, goals: [{ id: "", name: "Lead", value: -1 }] }, "goals", "a negative value"],
    [{ ...SEEDED, goals: [{ id: "", name: "Lead", value: 2e9 }] }, "goals", "a value too big"],
    [{ ...SEEDED, goals: [{ id: "g_nosuch", name: "Lead", value: 1 }] }, "goals", "an unknown goal id"],
    [{ ...SEEDED, goals: [{ id: "", name: "Lead", value: 1, url_glob: "*" + "x".repeat(2048) }] }, "goals", "a long URL rule"],
  ];
  for (const [body, field, label] of bad) {
    const r = await post(`${C}/outcome-settings`, body, admin);
    assertError(r, 400, "invalid", label);
    assert.equal(r.json.error.field, field, label);
    assert.ok(r.json.error.message.length > 0, label);
  }
  const typed = await post(`${C}/outcome-settings`, { ...SEEDED, goals: [{ id: "", name: "Lead", value: "x" }] }, admin);
  assert.equal(typed.status, 400, "a value that is not a number");
  assert.deepEqual((await settings()).json, SEEDED, "nothing changed by refused saves");

  // A save: codes reordered and added, a category and sub changed, a goal renamed (same id), one
  // dropped, one new.
  const body = {
    success_codes: [" Resolved", "Sale", "Lead "],
    categories: [{ name: "Billing", subs: ["Invoice"] }, { name: "Sales", subs: [] }],
    goals: [
      { id: "g_demo_signup", name: "Registered", value: 50.5, url_glob: "  " },
      { id: "", name: "Newsletter", value: 0, url_glob: "*/thanks*" },
    ],
  };
  const saved = await post(`${C}/outcome-settings`, body, admin);
  assert.equal(saved.status, 200, JSON.stringify(saved.json));
  assert.deepEqual(saved.json.success_codes, ["Resolved", "Sale", "Lead"]);
  assert.deepEqual(saved.json.categories, [{ name: "Billing", subs: ["Invoice"] }, { name: "Sales", subs: [] }]);
  assert.equal(saved.json.goals.length, 2);
  assert.deepEqual(saved.json.goals[0], { id: "g_demo_signup", name: "Registered", value: 50.5, url_glob: null });
  const fresh = saved.json.goals[1];
  assert.match(fresh.id, /^g_[0-9a-f]+$/);
  assert.deepEqual({ ...fresh, id: "" }, { id: "", name: "Newsletter", value: 0, url_glob: "*/thanks*" });
  assert.deepEqual((await settings()).json, saved.json, "read back as saved");

  // The widget session carries the enabled goals only: the dropped one is gone.
  const s1 = await session();
  assert.equal(s1.status, 200, JSON.stringify(s1.json));
  assert.deepEqual(s1.json.channel.goals, saved.json.goals);
  assert.ok(!s1.json.channel.goals.some((g) => g.id === "g_demo_pricing"), "disabled goal not offered");

  // Two goals swap names in one save; a dropped goal comes back (same id) when re-added by name.
  const swap = await post(`${C}/outcome-settings`, {
    ...body,
    goals: [
      { id: "g_demo_signup", name: "Newsletter", value: 1 },
      { id: fresh.id, name: "Registered", value: 2 },
      { id: "", name: "saw pricing", value: 7, url_glob: "*/demo/pricing*" },
    ],
  }, admin);
  assert.equal(swap.status, 200, JSON.stringify(swap.json));
  assert.deepEqual(swap.json.goals.map((g) => [g.id, g.name, g.value]), [
    ["g_demo_signup", "Newsletter", 1],
    [fresh.id, "Registered", 2],
    ["g_demo_pricing", "saw pricing", 7],
  ]);

  // Long lists fit (beyond the API's usual 16 KiB body); a body past the limit is a 413.
  const pad = (s) => s.padEnd(50, ".");
  const big = {
    success_codes: Array.from({ length: 50 }, (_, i) => pad(`Code ${i}`)),
    categories: Array.from({ length: 40 }, (_, i) => ({
      name: pad(`Category ${i}`), subs: Array.from({ length: 20 }, (_, j) => pad(`Sub ${i}.${j}`)),
    })),
  };
  const bigSaved = await post(`${C}/outcome-settings`, big, admin);
  assert.equal(bigSaved.status, 200, JSON.stringify(bigSaved.json)?.slice(0, 300));
  assert.equal(bigSaved.json.categories.length, 40);
  assert.equal(bigSaved.json.categories[39].subs[19], pad("Sub 39.19"));
  const huge = await postJson(edge.base, `${C}/outcome-settings`, null,
    { cookie: admin, raw: JSON.stringify({ success_codes: ["x".repeat(300 * 1024)] }) });
  assertError(huge, 413, "too_large", "a body past the limit");

  // Everything can be emptied, then put back.
  const none = await post(`${C}/outcome-settings`, {}, admin);
  assert.equal(none.status, 200, JSON.stringify(none.json));
  assert.deepEqual(none.json, { success_codes: [], categories: [], goals: [] });
  assert.deepEqual((await session()).json.channel.goals ?? [], [], "absent when none");
  const back = await post(`${C}/outcome-settings`, SEEDED, admin);
  assert.equal(back.status, 200, JSON.stringify(back.json));
  assert.deepEqual(back.json, SEEDED, "re-enabled by id, as seeded");
});

test("channel: pre-chat form round trip into the widget session; identity secret for admins, rotation", async () => {
  const [admin, sam] = [await edge.login(), await edge.login("sam")];
  const demoOf = async (cookie) => {
    const r = await get(`${C}/channels`, cookie);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json.channels.find((c) => c.id === "demo");
  };

  // Admins see the secret (64 hex characters), operators do not; no form yet.
  const before = await demoOf(admin);
  assert.match(before.identity_secret, /^[0-9a-f]{64}$/);
  assert.deepEqual(before.prechat, []);
  const asSam = await demoOf(sam);
  assert.equal(asSam.identity_secret, undefined, "operators never see the secret");
  assert.deepEqual((await session()).json.channel.prechat ?? [], []);

  // A bad form: 400 on `prechat`, nothing stored.
  for (const [prechat, label] of [
    [[{ key: "e mail", label: "E-mail" }], "key with a space"],
    [[{ key: "name", label: "" }], "no label"],
    [[{ key: "name", label: "A" }, { key: "NAME", label: "B" }], "key twice"],
    [Array.from({ length: 11 }, (_, i) => ({ key: `k${i}`, label: "L" })), "too many"],
  ]) {
    const r = await post(`${C}/channels/demo`, { prechat }, admin);
    assertError(r, 400, "invalid", label);
    assert.equal(r.json.error.field, "prechat", label);
  }
  assertError(await post(`${C}/channels/demo`, { prechat: [] }, sam), 403, "forbidden", "operator edits");
  assert.deepEqual((await demoOf(admin)).prechat, [], "nothing stored");

  // A good form: normalised, stored, in the widget session; other settings untouched.
  const form = [{ key: " Name ", label: " Your name ", required: true }, { key: "email", label: "E-mail" }];
  const want = [{ key: "name", label: "Your name", required: true }, { key: "email", label: "E-mail", required: false }];
  const saved = await post(`${C}/channels/demo`, { prechat: form }, admin);
  assert.equal(saved.status, 200, JSON.stringify(saved.json));
  assert.deepEqual(saved.json.prechat, want);
  assert.equal(saved.json.greeting, before.greeting);
  assert.deepEqual(saved.json.hosts, before.hosts);
  assert.deepEqual((await demoOf(admin)).prechat, want);
  assert.deepEqual((await session()).json.channel.prechat, want);
  const kept = await post(`${C}/channels/demo`, { greeting: "Hello again" }, admin);
  assert.deepEqual(kept.json.prechat, want, "a change without prechat keeps the form");
  const cleared = await post(`${C}/channels/demo`, { prechat: [], greeting: before.greeting }, admin);
  assert.deepEqual(cleared.json.prechat, []);
  assert.deepEqual((await session()).json.channel.prechat ?? [], []);

  // Identify with the secret (HMAC-SHA256 of the user id keyed with the secret's text, hex).
  const hashWith = (secret, id) => createHmac("sha256", secret).update(id).digest("hex");
  const oldHash = hashWith(before.identity_secret, "u-42");
  const ok = await session({ identity: { id: "u-42", hash: oldHash } });
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.equal(ok.json.identified, true);

  // Rotation: admins only; a new secret; the old hash stops verifying, the new one works.
  const rotate = (cookie, id = "demo", origin) => post(`${C}/channels/${id}/identity-secret`, {}, cookie, origin);
  assertError(await rotate(sam), 403, "forbidden", "operator rotates");
  assertError(await rotate(admin, "demo", "https://evil.example"), 403, "bad_origin", "foreign origin");
  assertError(await rotate(admin, "ch_nosuch"), 404, "unknown_channel", "missing channel");
  assert.equal((await demoOf(admin)).identity_secret, before.identity_secret, "refused rotations change nothing");
  const rotated = await rotate(admin);
  assert.equal(rotated.status, 200, JSON.stringify(rotated.json));
  const secret = rotated.json.identity_secret;
  assert.match(secret, /^[0-9a-f]{64}$/);
  assert.notEqual(secret, before.identity_secret);
  assert.equal((await demoOf(admin)).identity_secret, secret);
  assertError(await session({ identity: { id: "u-42", hash: oldHash } }), 403, "bad_identity", "old hash");
  const again = await session({ identity: { id: "u-42", hash: hashWith(secret, "u-42") } });
  assert.equal(again.status, 200, JSON.stringify(again.json));
  assert.equal(again.json.identified, true);
  assert.equal(again.json.visitor_id, ok.json.visitor_id, "same person, same visitor id");

  // A new channel gets its own secret.
  const created = await post(`${C}/channels`, { name: "Shop", hosts: ["shop.example"], prechat: [{ key: "order", label: "Order number" }] }, admin);
  assert.equal(created.status, 201, JSON.stringify(created.json));
  assert.match(created.json.identity_secret, /^[0-9a-f]{64}$/);
  assert.notEqual(created.json.identity_secret, secret);
  assert.deepEqual(created.json.prechat, [{ key: "order", label: "Order number", required: false }]);
});

test("console: an admin edits outcomes (codes, sub-categories, goals) and a channel's pre-chat form, rotates the secret", async () => {
  const admin = await edge.login();
  const page = await browser.newPage();
  try {
    await step(page, "outcomes-admin", async () => {
      await consoleLogin(page, edge.base);
      await page.getByRole("button", { name: "Admin", exact: true }).click();
      await page.getByRole("tab", { name: "Outcomes" }).click();
      const form = page.locator("form.adm-oc");
      const box = (name) => form.getByRole("textbox", { name, exact: true });
      await box("Success code 1").waitFor();
      const codes = (await get(`${C}/outcome-settings`, admin)).json.success_codes;
      assert.equal(await box("Success code 1").inputValue(), codes[0]);

      // A code twice: refused here, shown next to the list, nothing sent.
      await form.getByRole("button", { name: "Add success code" }).click();
      await box(`Success code ${codes.length + 1}`).fill(` ${codes[0].toLowerCase()} `);
      await form.getByRole("button", { name: "Save outcomes" }).click();
      await form.getByRole("alert").filter({ hasText: "is listed twice" }).waitFor();
      assert.deepEqual((await get(`${C}/outcome-settings`, admin)).json.success_codes, codes);

      // Fixed, plus a sub-category and a goal; saved.
      await box(`Success code ${codes.length + 1}`).fill("Lead");
      await form.getByRole("button", { name: "Add sub-category to Billing" }).click();
      await box("Sub-category 3 of Billing").fill("Other");
      await form.getByRole("button", { name: "Add category" }).click();
      await box("Category 2").fill("Sales");
      await form.getByRole("button", { name: "Add goal" }).click();
      const n = (await get(`${C}/outcome-settings`, admin)).json.goals.length + 1;
      await box(`Goal ${n} name`).fill("Demo booked");
      await box(`Goal ${n} value`).fill("20.5");
      await box(`Goal ${n} page URL rule`).fill("*/demo/booked*");
      await form.getByRole("button", { name: "Save outcomes" }).click();
      await page.getByRole("status").filter({ hasText: "Outcomes saved." }).waitFor();
      const saved = (await get(`${C}/outcome-settings`, admin)).json;
      assert.deepEqual(saved.success_codes, [...codes, "Lead"]);
      assert.deepEqual(saved.categories, [{ name: "Billing", subs: ["Refund", "Invoice", "Other"] }, { name: "Sales", subs: [] }]);
      const goal = saved.goals.at(-1);
      assert.deepEqual({ ...goal, id: "" }, { id: "", name: "Demo booked", value: 20.5, url_glob: "*/demo/booked*" });

      // Removing a code saves without it.
      await form.getByRole("button", { name: `Remove success code ${codes.length + 1}` }).click();
      await form.getByRole("button", { name: "Save outcomes" }).click();
      await page.getByRole("status").filter({ hasText: "Outcomes saved." }).waitFor();
      await until(async () => (await get(`${C}/outcome-settings`, admin)).json.success_codes.length === codes.length,
        "code removed", 15_000);
    });

    await step(page, "channel-prechat-identity", async () => {
      await page.getByRole("tab", { name: "Channels" }).click();
      await page.getByRole("button", { name: "Edit channel Demo channel" }).click();
      const form = page.getByRole("form", { name: "Edit channel Demo channel" });
      await form.getByRole("button", { name: "Add pre-chat field" }).click();
      await form.getByLabel("Pre-chat field 1 label", { exact: true }).fill("Your name");
      await form.getByLabel("Pre-chat field 1 key", { exact: true }).fill("name");
      await form.getByRole("checkbox", { name: "Pre-chat field 1 required" }).check();
      await form.getByRole("button", { name: "Add pre-chat field" }).click();
      await form.getByLabel("Pre-chat field 2 label", { exact: true }).fill("Order");
      await form.getByLabel("Pre-chat field 2 key", { exact: true }).fill("order no");
      await form.getByRole("button", { name: "Save channel" }).click();
      await form.getByRole("alert").filter({ hasText: "the key must be" }).waitFor();
      await form.getByLabel("Pre-chat field 2 key", { exact: true }).fill("order_no");
      await form.getByRole("button", { name: "Save channel" }).click();
      await page.getByRole("status").filter({ hasText: "Channel Demo channel saved." }).waitFor();
      assert.deepEqual((await session()).json.channel.prechat, [
        { key: "name", label: "Your name", required: true },
        { key: "order_no", label: "Order", required: false },
      ]);

      // The identity secret, read-only; rotating asks once more, then shows the new one.
      await page.getByRole("button", { name: "Edit channel Demo channel" }).click();
      const secretBox = form.getByLabel("Identity secret", { exact: true });
      const before = await secretBox.inputValue();
      assert.match(before, /^[0-9a-f]{64}$/);
      assert.equal(await secretBox.getAttribute("readonly"), "");
      await form.getByRole("button", { name: "Rotate secret" }).click();
      await form.getByRole("button", { name: "Yes, rotate" }).click();
      await form.getByRole("status").filter({ hasText: "New secret saved." }).waitFor();
      await until(async () => (await secretBox.inputValue()) !== before, "new secret shown", 15_000);
      const shown = await secretBox.inputValue();
      const stored = (await get(`${C}/channels`, admin)).json.channels.find((c) => c.id === "demo").identity_secret;
      assert.equal(shown, stored);
      // The form's pre-chat fields were loaded from the channel.
      assert.equal(await form.getByLabel("Pre-chat field 2 key", { exact: true }).inputValue(), "order_no");
      await form.getByRole("button", { name: "Cancel" }).click();
    });
  } finally {
    await page.close();
  }
});
