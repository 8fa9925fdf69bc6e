// Entry points administered: a channel's chat button and its auto-invites through the admin
// API (list, create, edit, validation naming the field, duplicate names, account isolation,
// admin role), the widget session carrying the enabled invites and the channel's time zone,
// and the console's editor in Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import { step, consoleLogin } from "./harness.mjs";
import { useEdge, secondAccount, otherAdmin, assertError, C } from "./fixtures.mjs";

const OTHER_PW = "other-account-pw";
const { edge, browser } = useEdge({
  browser: true,
  extraSql: async () => await secondAccount({
    channels: [{ id: "ch_other", name: "Other channel" }],
    operators: [otherAdmin(OTHER_PW)],
  }) + `
INSERT INTO entry_points (id, account_id, channel_id, kind, name, created_at, updated_at)
  VALUES ('btn_ch_other', 'acc_other', 'ch_other', 'button', 'Chat button', 1, 1);
`,
});
const { get, post } = edge;

const invite = (over = {}) => ({
  when: { if: "all", all: [{ if: "page_url", glob: "*/checkout*" }, { if: "time_on_page_at_least", seconds: 5 }] },
  always_show: false,
  max_per_visitor: 1,
  display_timeout_ms: 20_000,
  greetings: [{ language: "en", text: "Stuck at checkout?" }, { language: "de", text: "Probleme an der Kasse?" }],
  ...over,
});

async function widgetChannel() {
  const r = await post("/api/v1/widget/session", { channel_id: "demo" });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.channel;
}

test("admin API: list, create, validate, refuse duplicates, edit; the widget session follows", async () => {
  const dana = await edge.login();

  const list = await get(`${C}/channels/demo/entry-points`, dana);
  assert.equal(list.status, 200, JSON.stringify(list.json));
  const [button, welcome] = list.json.entry_points;
  assert.deepEqual([button.id, button.kind, button.name, button.invite], ["btn_demo", "button", "Chat button", null]);
  assert.deepEqual([welcome.id, welcome.kind, welcome.name, welcome.enabled], ["ep_welcome", "invite", "Welcome invite", true]);
  assert.deepEqual(welcome.invite.when, { if: "time_on_page_at_least", seconds: 8 });
  assert.deepEqual(welcome.invite.greetings.map((g) => g.language), ["en", "de", "es", "fr", "vi"]);

  // The seeded widget session: the button and the welcome invite, in UTC.
  let channel = await widgetChannel();
  assert.deepEqual(channel.button, { id: "btn_demo", name: "Chat button" });
  assert.deepEqual(channel.invites.map((r) => r.id), ["ep_welcome"]);
  assert.equal(channel.time_zone, "UTC");

  // Create: normalised, after the existing invites.
  const created = await post(`${C}/channels/demo/entry-points`, {
    name: "  Checkout help ",
    invite: invite({ greetings: [{ language: " EN ", text: " Stuck at checkout? " }] }),
  }, dana);
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const ep = created.json;
  assert.match(ep.id, /^ep_/);
  assert.deepEqual([ep.channel_id, ep.kind, ep.name, ep.enabled], ["demo", "invite", "Checkout help", true]);
  assert.deepEqual(ep.invite.greetings, [{ language: "en", text: "Stuck at checkout?" }]);
  const after = await get(`${C}/channels/demo/entry-points`, dana);
  assert.deepEqual(after.json.entry_points.map((e) => e.id), ["btn_demo", "ep_welcome", ep.id]);

  // Bad bodies: 400 naming the field, nothing stored.
  const bad = [
    [{ name: "No rule" }, "invite"],
    [{ name: " ", invite: invite() }, "name"],
    [{ name: "x".repeat(81), invite: invite() }, "name"],
    [{ name: "Empty glob", invite: invite({ when: { if: "page_url", glob: "  " } }) }, "when"],
    [{ name: "Bad hours", invite: invite({ when: { if: "hour_between", from: 5, to: 5 } }) }, "when"],
    [{ name: "Empty group", invite: invite({ when: { if: "any", any: [] } }) }, "when"],
    [{ name: "Short", invite: invite({ display_timeout_ms: 500 }) }, "display_timeout_ms"],
    [{ name: "Often", invite: invite({ max_per_visitor: 101 }) }, "max_per_visitor"],
    [{ name: "Silent", invite: invite({ greetings: [] }) }, "greetings"],
    [{ name: "Bad language", invite: invite({ greetings: [{ language: "english!", text: "Hi" }] }) }, "greetings"],
  ];
  for (const [body, field] of bad) {
    assertError(await post(`${C}/channels/demo/entry-points`, body, dana), 400, "invalid", JSON.stringify(body), field);
  }
  const unknownField = await post(`${C}/channels/demo/entry-points`, { name: "Extra", invite: invite(), colour: "red" }, dana);
  assert.equal(unknownField.status, 400, JSON.stringify(unknownField.json));
  assertError(await post(`${C}/channels/ch_missing/entry-points`, { name: "Nowhere", invite: invite() }, dana), 404,
    "unknown_channel", "missing channel");

  // Duplicate names (also in another case) are refused on create and on rename.
  for (const name of ["Checkout help", "WELCOME INVITE", "chat button"]) {
    assertError(await post(`${C}/channels/demo/entry-points`, { name, invite: invite() }, dana), 409, "name_taken", name,
      "name");
  }
  assertError(await post(`${C}/entry-points/${ep.id}`, { name: "Welcome invite" }, dana), 409, "name_taken", "rename",
    "name");
  const count = (await get(`${C}/channels/demo/entry-points`, dana)).json.entry_points.length;
  assert.equal(count, 3, "only Checkout help was added");

  // Edit: rename keeps the rule; disabling hides it from the widget; enabling shows it again.
  const renamed = await post(`${C}/entry-points/${ep.id}`, { name: "Checkout rescue" }, dana);
  assert.equal(renamed.status, 200, JSON.stringify(renamed.json));
  assert.equal(renamed.json.name, "Checkout rescue");
  assert.deepEqual(renamed.json.invite, ep.invite);
  channel = await widgetChannel();
  const rule = channel.invites.find((r) => r.id === ep.id);
  assert.deepEqual(rule, { id: ep.id, name: "Checkout rescue", invite: ep.invite });

  const off = await post(`${C}/entry-points/${ep.id}`, { name: "Checkout rescue", enabled: false }, dana);
  assert.equal(off.json.enabled, false);
  channel = await widgetChannel();
  assert.ok(!channel.invites.some((r) => r.id === ep.id), "a disabled invite is not sent to the widget");
  const newRule = invite({ when: { if: "pages_viewed_at_least", pages: 3 } });
  const on = await post(`${C}/entry-points/${ep.id}`, { name: "Checkout rescue", enabled: true, invite: newRule }, dana);
  assert.equal(on.status, 200, JSON.stringify(on.json));
  channel = await widgetChannel();
  assert.deepEqual(channel.invites.find((r) => r.id === ep.id)?.invite.when, { if: "pages_viewed_at_least", pages: 3 });
  assertError(await post(`${C}/entry-points/${ep.id}`, { name: "Checkout rescue", invite: invite({ greetings: [] }) },
    dana), 400, "invalid", "bad edit", "greetings");

  // The button: a new name only.
  assertError(await post(`${C}/entry-points/btn_demo`, { name: "Launcher", invite: invite() }, dana), 400, "invalid",
    "button with an invite", "invite");
  assertError(await post(`${C}/entry-points/btn_demo`, { name: "Launcher", enabled: false }, dana), 400, "invalid",
    "button disabled", "enabled");
  const btn = await post(`${C}/entry-points/btn_demo`, { name: "Launcher" }, dana);
  assert.equal(btn.status, 200, JSON.stringify(btn.json));
  assert.deepEqual((await widgetChannel()).button, { id: "btn_demo", name: "Launcher" });
  await post(`${C}/entry-points/btn_demo`, { name: "Chat button" }, dana);
  assertError(await post(`${C}/entry-points/ep_missing`, { name: "X" }, dana), 404, "unknown_entry_point", "missing");
});

test("sessions, origin, admin role and accounts: nobody else reads or changes them", async () => {
  const dana = await edge.login();
  const sam = await edge.login("sam");
  const olga = await edge.login("oadmin", OTHER_PW);
  const body = { name: "Intruder", invite: invite() };

  assertError(await get(`${C}/channels/demo/entry-points`), 401, "unauthenticated", "no session");
  assertError(await post(`${C}/channels/demo/entry-points`, body), 401, "unauthenticated", "no session create");
  assertError(await post(`${C}/entry-points/ep_welcome`, { name: "X" }), 401, "unauthenticated", "no session edit");
  assertError(await post(`${C}/channels/demo/entry-points`, body, dana, "https://evil.example"), 403, "bad_origin",
    "foreign origin");

  // Sam is an operator: may read the list, may not change it.
  assert.equal((await get(`${C}/channels/demo/entry-points`, sam)).status, 200);
  assertError(await post(`${C}/channels/demo/entry-points`, body, sam), 403, "forbidden", "operator create");
  assertError(await post(`${C}/entry-points/ep_welcome`, { name: "Sam's invite" }, sam), 403, "forbidden", "operator edit");

  // Another account's admin: the demo channel and its entry points do not exist for them.
  assertError(await get(`${C}/channels/demo/entry-points`, olga), 404, "unknown_channel", "foreign list");
  assertError(await post(`${C}/channels/demo/entry-points`, body, olga), 404, "unknown_channel", "foreign create");
  assertError(await post(`${C}/entry-points/ep_welcome`, { name: "Olga's" }, olga), 404, "unknown_entry_point",
    "foreign edit");
  assertError(await post(`${C}/entry-points/btn_demo`, { name: "Olga's" }, olga), 404, "unknown_entry_point",
    "foreign button");
  // … while their own channel works, and the demo account cannot see it either.
  const own = await get(`${C}/channels/ch_other/entry-points`, olga);
  assert.deepEqual(own.json.entry_points.map((e) => e.id), ["btn_ch_other"]);
  assertError(await get(`${C}/channels/ch_other/entry-points`, dana), 404, "unknown_channel", "demo reads other");
  assertError(await post(`${C}/entry-points/btn_ch_other`, { name: "Dana's" }, dana), 404, "unknown_entry_point",
    "demo edits other");

  const list = await get(`${C}/channels/demo/entry-points`, dana);
  assert.ok(!list.json.entry_points.some((e) => /Intruder|Sam's|Olga's/.test(e.name)), "nothing changed");
});

test("channel time zone: validated (shape and known to the runtime), stored, sent to the widget", async () => {
  const dana = await edge.login();
  for (const tz of ["Mars/Olympus_Mons", "Europe//Berlin", "UTC; DROP TABLE channels"]) {
    assertError(await post(`${C}/channels/demo`, { time_zone: tz }, dana), 400, "invalid", tz, "time_zone");
  }
  const ok = await post(`${C}/channels/demo`, { time_zone: "Europe/Berlin" }, dana);
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.equal(ok.json.time_zone, "Europe/Berlin");
  assert.equal((await widgetChannel()).time_zone, "Europe/Berlin");
  const listed = (await get(`${C}/channels`, dana)).json.channels.find((c) => c.id === "demo");
  assert.equal(listed.time_zone, "Europe/Berlin");

  // A new channel gets its zone and its chat button in the same step.
  assertError(await post(`${C}/channels`, { name: "Nowhere", hosts: ["nowhere.example"], time_zone: "Atlantis/Capital" },
    dana), 400, "invalid", "bad zone on create", "time_zone");
  assert.ok(!(await get(`${C}/channels`, dana)).json.channels.some((c) => c.name === "Nowhere"), "nothing created");
  const ch = await post(`${C}/channels`, { name: "Shop NY", hosts: ["shop-ny.example"], time_zone: "America/New_York" },
    dana);
  assert.equal(ch.status, 201, JSON.stringify(ch.json));
  assert.equal(ch.json.time_zone, "America/New_York");
  const eps = (await get(`${C}/channels/${ch.json.id}/entry-points`, dana)).json.entry_points;
  assert.deepEqual(eps.map((e) => [e.kind, e.name, e.enabled]), [["button", "Chat button", true]]);
  const plain = await post(`${C}/channels`, { name: "Shop UTC", hosts: ["shop-utc.example"] }, dana);
  assert.equal(plain.json.time_zone, "UTC");
  await post(`${C}/channels/demo`, { time_zone: "" }, dana);
  assert.equal((await widgetChannel()).time_zone, "UTC", "empty: back to UTC");
});

test("console: an admin creates an auto-invite with the editor; a bad glob is shown next to its row", async () => {
  const page = await browser.newPage();
  try {
    await step(page, "entry-points-console", async () => {
      await consoleLogin(page, edge.base, "demo");
      await page.getByRole("button", { name: "Admin", exact: true }).click();
      await page.getByRole("tab", { name: "Entry points" }).click();
      const table = page.getByRole("table", { name: "Entry points" });
      await table.getByRole("row").filter({ hasText: "Welcome invite" }).waitFor();
      assert.equal(await page.getByLabel("Channel", { exact: true }).inputValue(), "demo");

      await page.getByRole("button", { name: "New auto-invite" }).click();
      const form = page.getByRole("form", { name: "New auto-invite" });
      await form.getByLabel("Name", { exact: true }).fill("Pricing help");
      await form.getByLabel("Show when").selectOption("all");
      assert.equal(await form.getByLabel("Condition 1 type").inputValue(), "page_url");
      await form.getByLabel("Greeting 1 language").fill("en");
      await form.getByLabel("Greeting 1 text").fill("Questions about our plans? Ask us here.");

      // An empty glob: the error shows in the condition's row, nothing is sent.
      await form.getByRole("button", { name: "Save invite" }).click();
      const row1 = form.getByRole("group", { name: "Condition 1", exact: true });
      await row1.getByRole("alert").filter({ hasText: "The page URL pattern is empty." }).waitFor();
      assert.equal(await form.getByLabel("Condition 1: page URL pattern").getAttribute("aria-invalid"), "true");

      await form.getByLabel("Condition 1: page URL pattern").fill("*/pricing*");
      await form.getByRole("button", { name: "Add condition" }).click();
      await form.getByLabel("Condition 2 type").selectOption({ label: "Time on page at least (s)" });
      await form.getByLabel("Condition 2: seconds on the page").fill("3");
      await form.getByRole("button", { name: "Add greeting" }).click();
      await form.getByLabel("Greeting 2 language").fill("de");
      await form.getByLabel("Greeting 2 text").fill("Fragen zu unseren Tarifen? Fragen Sie uns.");
      await form.getByLabel("Show at most N times per visitor (0 = no limit)").fill("2");
      await form.getByLabel("Hide after N seconds").fill("20");
      await form.getByLabel("Always show (even when no operator is available)").check();
      await form.getByRole("button", { name: "Save invite" }).click();
      await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
      const row = table.getByRole("row").filter({ hasText: "Pricing help" });
      await row.filter({ hasText: "page URL matches */pricing* and 3 s on the page" }).waitFor();
      assert.equal(await row.getByLabel("Enabled: Pricing help").isChecked(), true);
    });

    // What the form stored is what the widget receives.
    const channel = await widgetChannel();
    const rule = channel.invites.find((r) => r.name === "Pricing help");
    assert.deepEqual(rule?.invite, {
      when: { if: "all", all: [{ if: "page_url", glob: "*/pricing*" }, { if: "time_on_page_at_least", seconds: 3 }] },
      always_show: true,
      max_per_visitor: 2,
      display_timeout_ms: 20_000,
      greetings: [
        { language: "en", text: "Questions about our plans? Ask us here." },
        { language: "de", text: "Fragen zu unseren Tarifen? Fragen Sie uns." },
      ],
    });

    await step(page, "entry-points-console-edit", async () => {
      // Edit it: the form comes back filled; a duplicate name is the server's error, by the field.
      const table = page.getByRole("table", { name: "Entry points" });
      await page.getByRole("button", { name: "Edit Pricing help" }).click();
      const form = page.getByRole("form", { name: "Edit Pricing help" });
      assert.equal(await form.getByLabel("Condition 1: page URL pattern").inputValue(), "*/pricing*");
      assert.equal(await form.getByLabel("Condition 2: seconds on the page").inputValue(), "3");
      assert.equal(await form.getByLabel("Greeting 2 language").inputValue(), "de");
      await form.getByLabel("Name", { exact: true }).fill("Welcome invite");
      await form.getByRole("button", { name: "Save invite" }).click();
      await form.getByRole("alert").filter({ hasText: "already has an entry point named" }).waitFor();
      assert.equal(await form.getByLabel("Name", { exact: true }).getAttribute("aria-invalid"), "true");
      await form.getByRole("button", { name: "Cancel" }).click();

      // Disable it from the list.
      await table.getByLabel("Enabled: Pricing help").uncheck();
      await page.getByRole("status").filter({ hasText: "Pricing help is disabled." }).waitFor();
    });
    assert.ok(!(await widgetChannel()).invites.some((r) => r.name === "Pricing help"));
  } finally {
    await page.close();
  }
});
