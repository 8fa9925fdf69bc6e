// Accounts and people: admins manage operators, channels and canned responses; operators
// their own settings; visitors leave offline messages that land in the console. Above all,
// every console API checks the session and the account: a second account (its own admin and
// operator) gets nothing of the demo account's, by list or by id, and changes nothing of it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { step, consoleLogin as harnessLogin } from "./harness.mjs";
import { postJson, newVisitor, newConversation } from "./proto-client.mjs";
import { useEdge, secondAccount, otherAdmin, assertError, C } from "./fixtures.mjs";

const OTHER_PW = "other-account-pw";
const { edge, browser } = useEdge({
  browser: true,
  extraSql: async () => await secondAccount({
    channels: [{ id: "ch_other", name: "Other channel" }],
    operators: [
      otherAdmin(OTHER_PW),
      { id: "op_oop", username: "oop", first_name: "Otto", last_name: "Op", email: "otto@other.example",
        chat_name: "Otto", role: "operator", password: OTHER_PW },
    ],
  }) + `
INSERT INTO hosts (id, account_id, hostname, created_at) VALUES ('h_other', 'acc_other', 'other.example', 1);
INSERT INTO channel_hosts (channel_id, host_id) VALUES ('ch_other', 'h_other');
INSERT INTO canned_responses (id, account_id, shortcut, text, created_at) VALUES ('cr_other', 'acc_other', 'secret', 'Other account only', 1);
INSERT INTO offline_messages (id, account_id, channel_id, visitor_id, name, email, text, created_at)
  VALUES ('om_other', 'acc_other', 'ch_other', 'v_other', 'Oscar', 'oscar@other.example', 'Other account offline message', 1);
`,
});
const { get, post } = edge;

async function offlineMessage(fields = {}, origin = edge.base, channel = "demo") {
  const v = await newVisitor(edge.base, { channel });
  return postJson(edge.base, "/api/v1/widget/offline-message", {
    channel_id: channel, visitor_id: v.visitorId, visitor_token: v.visitorToken,
    name: "Kim Visitor", email: "kim@visitor.example", text: "Please call me back about my order.",
    page_url: `${edge.base}/pricing`, ...fields,
  }, { origin });
}

test("every console API needs a session, mutations the console's origin, admin ones an admin", async () => {
  const reads = ["operators", "settings", "channels", "canned", "offline-messages", "conversations"];
  for (const r of reads) assertError(await get(`${C}/${r}`), 401, "unauthenticated", `GET ${r}`);
  const writes = ["operators", "operators/op_sam", "settings", "channels", "channels/demo", "canned", "canned/cr_x",
    "canned/cr_x/delete"];
  for (const w of writes) assertError(await post(`${C}/${w}`, {}), 401, "unauthenticated", `POST ${w}`);
  assertError(await get(`${C}/operators`, "parley_session=forged"), 401, "unauthenticated", "forged cookie");

  const sam = await edge.login("sam");
  assertError(await post(`${C}/settings`, { chat_name: "", languages: ["en"], max_chats: 2 }, sam, null), 403,
    "bad_origin", "no Origin");
  assertError(await post(`${C}/settings`, { chat_name: "", languages: ["en"], max_chats: 2 }, sam, "https://evil.example"),
    403, "bad_origin", "foreign Origin");

  // Sam is an operator: reads are fine, admin changes are not.
  assert.equal((await get(`${C}/operators`, sam)).status, 200);
  assert.equal((await get(`${C}/channels`, sam)).status, 200);
  const newOp = { username: "sneaky", first_name: "S", email: "s@x.example", password: "0123456789" };
  assertError(await post(`${C}/operators`, newOp, sam), 403, "forbidden", "operator creates operator");
  assertError(await post(`${C}/operators/op_demo`, { disabled: true }, sam), 403, "forbidden", "operator disables admin");
  assertError(await post(`${C}/operators/op_sam`, { role: "admin" }, sam), 403, "forbidden", "operator promotes self");
  assertError(await post(`${C}/channels`, { name: "X", hosts: ["x.example"] }, sam), 403, "forbidden", "operator channel");
  assertError(await post(`${C}/channels/demo`, { name: "X" }, sam), 403, "forbidden", "operator edits channel");
  const demo = await edge.login();
  const ops = (await get(`${C}/operators`, demo)).json.operators;
  assert.equal(ops.find((o) => o.id === "op_demo").disabled, false);
  assert.equal(ops.find((o) => o.id === "op_sam").role, "operator");
  assert.ok(!ops.some((o) => o.username === "sneaky"));
  // Any operator manages the account's canned responses.
  const c = await post(`${C}/canned`, { shortcut: "sam-hi", text: "Hi from Sam" }, sam);
  assert.equal(c.status, 201, JSON.stringify(c.json));
  assert.equal((await post(`${C}/canned/${c.json.id}/delete`, {}, sam)).status, 200);
});

test("another account gets nothing of the demo account's, by list or by id", async () => {
  const demo = await edge.login();
  // Demo data of every kind, with ids to probe.
  const conv = await newConversation(edge.base);
  const canned = await post(`${C}/canned`, { shortcut: "thanks", text: "Thank you for waiting!" }, demo);
  assert.equal(canned.status, 201, JSON.stringify(canned.json));
  const om = await offlineMessage({ text: "Demo account offline message" });
  assert.equal(om.status, 201, JSON.stringify(om.json));
  const demoBefore = {
    operators: (await get(`${C}/operators`, demo)).json,
    channels: (await get(`${C}/channels`, demo)).json,
    canned: (await get(`${C}/canned`, demo)).json,
  };
  // The demo admin sees none of the other account's either.
  assert.ok(!demoBefore.operators.operators.some((o) => o.id.startsWith("op_o")));
  assert.ok(!demoBefore.channels.channels.some((ch) => ch.id === "ch_other"));
  assert.ok(!demoBefore.canned.canned.some((x) => x.id === "cr_other"));
  const demoOffline = (await get(`${C}/offline-messages`, demo)).json.messages;
  assert.ok(demoOffline.some((m) => m.id === om.json.id));
  assert.ok(!demoOffline.some((m) => m.id === "om_other"));

  // The operator first: the admin then creates things in their own account.
  for (const username of ["oop", "oadmin"]) {
    const other = await edge.login(username, OTHER_PW);
    const label = (s) => `${username}: ${s}`;

    const ops = (await get(`${C}/operators`, other)).json.operators;
    assert.deepEqual(ops.map((o) => o.username).sort(), ["oadmin", "oop"], label("operators list"));
    assert.ok(ops.every((o) => !("password_hash" in o)));
    const settings = (await get(`${C}/settings`, other)).json;
    assert.equal(settings.username, username, label("settings are one's own"));
    const channels = (await get(`${C}/channels`, other)).json.channels;
    assert.deepEqual(channels.map((ch) => ch.id), ["ch_other"], label("channels list"));
    assert.deepEqual(channels[0].hosts, ["other.example"]);
    const cannedList = (await get(`${C}/canned`, other)).json.canned;
    assert.deepEqual(cannedList.map((x) => x.id), ["cr_other"], label("canned list"));
    const offline = (await get(`${C}/offline-messages`, other)).json.messages;
    assert.deepEqual(offline.map((m) => m.id), ["om_other"], label("offline list"));
    const convs = (await get(`${C}/conversations`, other)).json.conversations;
    assert.equal(convs.length, 0, label("conversations list"));
    assertError(await get(`${C}/conversations/${conv.conversationId}/events`, other), 404, "unknown_conversation",
      label("events by id"));

    // By id: a foreign id answers exactly like a missing one.
    const admin = username === "oadmin";
    const ifAdmin = (status, code) => (admin ? [status, code] : [403, "forbidden"]);
    for (const [id, what] of [["op_sam", "foreign"], ["op_nobody", "missing"]]) {
      for (const body of [{ disabled: true }, { first_name: "Hacked" }, { password: "hacked-password" }, {}]) {
        assertError(await post(`${C}/operators/${id}`, body, other), ...ifAdmin(404, "unknown_operator"),
          label(`edit ${what} operator ${JSON.stringify(body)}`));
      }
    }
    for (const [id, what] of [["demo", "foreign"], ["ch_nope", "missing"]]) {
      assertError(await post(`${C}/channels/${id}`, { name: "Hacked", hosts: ["evil.example"] }, other),
        ...ifAdmin(404, "unknown_channel"), label(`edit ${what} channel`));
    }
    for (const [id, what] of [[canned.json.id, "foreign"], ["cr_nope", "missing"]]) {
      assertError(await post(`${C}/canned/${id}`, { shortcut: "hacked", text: "Hacked" }, other), 404, "unknown_canned",
        label(`edit ${what} canned`));
      assertError(await post(`${C}/canned/${id}/delete`, {}, other), 404, "unknown_canned", label(`delete ${what} canned`));
    }
    // Creating in one's own account never lands in the demo account. Shortcuts are per account:
    // "thanks" is free here although the demo account uses it.
    const mine = await post(`${C}/canned`, { shortcut: "thanks", text: `Other thanks from ${username}` }, other);
    assert.equal(mine.status, 201, label(JSON.stringify(mine.json)));
    assert.equal((await post(`${C}/canned/${mine.json.id}/delete`, {}, other)).status, 200);
    if (admin) {
      const ch = await post(`${C}/channels`, { name: "Other shop", hosts: ["shop.other.example"] }, other);
      assert.equal(ch.status, 201, JSON.stringify(ch.json));
      const op = await post(`${C}/operators`, { username: "other-new", first_name: "Nina", email: "nina@other.example",
        password: "0123456789abc" }, other);
      assert.equal(op.status, 201, JSON.stringify(op.json));
    }
  }

  // Nothing of the demo account changed.
  assert.deepEqual((await get(`${C}/operators`, demo)).json, demoBefore.operators);
  assert.deepEqual((await get(`${C}/channels`, demo)).json, demoBefore.channels);
  assert.deepEqual((await get(`${C}/canned`, demo)).json, demoBefore.canned);
  assert.ok((await get(`${C}/conversations`, demo)).json.conversations.some((c) => c.id === conv.conversationId));
  // And the sessions of the demo account still work.
  assert.equal((await get("/api/v1/auth/me", await edge.login("sam"))).status, 200);
});

test("bad input gets a clear error naming the field and changes nothing", async () => {
  const demo = await edge.login();
  const before = (await get(`${C}/operators`, demo)).json;
  const good = { username: "newbie", first_name: "New", last_name: "Bie", email: "new@demo.example", password: "0123456789" };
  const cases = [
    [{ ...good, username: "x" }, "username"],
    [{ ...good, username: "Bad Name!" }, "username"],
    [{ ...good, first_name: "  " }, "first_name"],
    [{ ...good, email: "not-an-email" }, "email"],
    [{ ...good, password: "short" }, "password"],
    [{ ...good, role: "owner" }, "role"],
    [{ ...good, languages: ["klingon"] }, "languages"],
    [{ ...good, languages: [] }, "languages"],
    [{ ...good, max_chats: 0 }, "max_chats"],
    [{ ...good, max_chats: 21 }, "max_chats"],
    [{ ...good, chat_name: "x".repeat(81) }, "chat_name"],
  ];
  for (const [body, field] of cases) {
    const r = await post(`${C}/operators`, body, demo);
    assertError(r, 400, "invalid", `create ${field}`);
    assert.equal(r.json.error.field, field);
    assert.ok(r.json.error.message.length > 10, r.json.error.message);
  }
  assertError(await post(`${C}/operators`, { ...good, username: "SAM" }, demo), 409, "username_taken", "taken");
  assertError(await post(`${C}/operators`, "nonsense", demo), 400, "malformed", "not an object");
  // Self-lockout: the only admin cannot disable or demote themself.
  assertError(await post(`${C}/operators/op_demo`, { disabled: true }, demo), 400, "cannot_change_self", "self disable");
  assertError(await post(`${C}/operators/op_demo`, { role: "operator" }, demo), 400, "cannot_change_self", "self demote");
  assert.deepEqual((await get(`${C}/operators`, demo)).json, before, "no operator changed");

  const settingsBefore = (await get(`${C}/settings`, demo)).json;
  for (const [body, field] of [
    [{ chat_name: "", languages: ["en"], max_chats: 0 }, "max_chats"],
    [{ chat_name: "", languages: ["en", "??"], max_chats: 3 }, "languages"],
    [{ chat_name: "a\u0007b", languages: ["en"], max_chats: 3 }, "chat_name"],
  ]) {
    const r = await post(`${C}/settings`, body, demo);
    assertError(r, 400, "invalid", `settings ${field}`);
    assert.equal(r.json.error.field, field);
  }
  assert.deepEqual((await get(`${C}/settings`, demo)).json, settingsBefore, "settings unchanged");

  const channelsBefore = (await get(`${C}/channels`, demo)).json;
  for (const [body, field] of [
    [{ name: "", hosts: ["a.example"] }, "name"],
    [{ name: "Shop", hosts: [] }, "hosts"],
    [{ name: "Shop", hosts: ["https://shop.example/"] }, "hosts"],
    [{ name: "Shop", hosts: ["a.example"], accent: "red" }, "accent"],
  ]) {
    const r = await post(`${C}/channels`, body, demo);
    assertError(r, 400, "invalid", `channel ${field}`);
    assert.equal(r.json.error.field, field);
  }
  assertError(await post(`${C}/channels/demo`, { hosts: ["bad host"] }, demo), 400, "invalid", "channel edit hosts");
  assert.deepEqual((await get(`${C}/channels`, demo)).json, channelsBefore, "channels unchanged");

  const first = await post(`${C}/canned`, { shortcut: "/Hours", text: "We answer 9 to 5." }, demo);
  assert.equal(first.status, 201);
  assert.equal(first.json.shortcut, "hours");
  assertError(await post(`${C}/canned`, { shortcut: "hours", text: "Again" }, demo), 409, "shortcut_taken", "dup");
  assertError(await post(`${C}/canned`, { shortcut: "two words", text: "x" }, demo), 400, "invalid", "shortcut");
  assertError(await post(`${C}/canned`, { shortcut: "ok", text: " " }, demo), 400, "invalid", "empty text");
  const list = (await get(`${C}/canned`, demo)).json.canned;
  assert.equal(list.filter((c) => c.shortcut === "hours").length, 1);
  assert.equal(list.find((c) => c.shortcut === "hours").text, "We answer 9 to 5.");
});

test("admins create and edit channels tied to hosts; the widget answers on the new host", async () => {
  const demo = await edge.login();
  const r = await post(`${C}/channels`, { name: "Shop", greeting: "Welcome to the shop!", hosts: ["Shop.Example", "localhost"] }, demo);
  assert.equal(r.status, 201, JSON.stringify(r.json));
  assert.deepEqual(r.json.hosts, ["localhost", "shop.example"]);
  assert.equal(r.json.accent, "#2f5bea");
  const id = r.json.id;
  const session = (origin) => postJson(edge.base, "/api/v1/widget/session", { channel_id: id }, { origin });
  assert.equal((await session("https://shop.example")).status, 200);
  assert.equal((await session("http://localhost:1234")).status, 200);
  assert.equal((await session("https://other.example")).status, 403);
  const e = await post(`${C}/channels/${id}`, { name: "Shop (EU)", hosts: ["eu.shop.example"] }, demo);
  assert.equal(e.status, 200, JSON.stringify(e.json));
  assert.deepEqual(e.json.hosts, ["eu.shop.example"]);
  assert.equal(e.json.greeting, "Welcome to the shop!", "kept");
  assert.equal((await session("https://shop.example")).status, 403, "the removed host is refused at once");
  assert.equal((await session("https://eu.shop.example")).status, 200);
  const listed = (await get(`${C}/channels`, demo)).json.channels.find((c) => c.id === id);
  assert.equal(listed.name, "Shop (EU)");
  // The demo channel kept its hosts although "localhost" was tied to the new channel too.
  const demoCh = (await get(`${C}/channels`, demo)).json.channels.find((c) => c.id === "demo");
  assert.deepEqual(demoCh.hosts, ["127.0.0.1", "localhost"]);
});

test("offline messages: only from a registered host with a visitor token, and they land in the console", async () => {
  const foreign = await offlineMessage({}, "https://evil.example");
  assertError(foreign, 403, "origin_not_allowed", "foreign origin");
  const v = await newVisitor(edge.base);
  const forged = await postJson(edge.base, "/api/v1/widget/offline-message", {
    channel_id: "demo", visitor_id: v.visitorId, visitor_token: "forged", name: "A", email: "a@b.example", text: "hi",
  });
  assertError(forged, 403, "bad_visitor_token", "forged token");
  const bad = await offlineMessage({ email: "nope" });
  assertError(bad, 400, "invalid", "bad email");
  assert.equal(bad.json.error.field, "email");
  assert.equal(bad.headers.get("access-control-allow-origin"), edge.base, "the widget can read the error");
  const text = `Are you open on Sunday? <b>${Date.now()}</b>`;
  const ok = await offlineMessage({ name: "Lee", email: "lee@visitor.example", text });
  assert.equal(ok.status, 201, JSON.stringify(ok.json));
  assert.equal(ok.headers.get("access-control-allow-origin"), edge.base);

  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await step(page, "offline-message-in-console", async () => {
    await consoleLogin(page, "sam", "parley-demo");
    await openAdmin(page, "Offline messages");
    const list = page.getByRole("list", { name: "Offline messages" });
    const item = list.getByRole("listitem").filter({ hasText: text });
    await item.waitFor();
    assert.match(await item.innerText(), /Lee/);
    assert.match(await item.innerText(), /lee@visitor\.example/);
    assert.match(await item.innerText(), /Demo channel/);
    // Newest first, and nothing of the other account.
    assert.match(await list.getByRole("listitem").first().innerText(), /Are you open on Sunday/);
    assert.equal(await list.getByText("Other account offline message").count(), 0);
  });
  await ctx.close();
});

const consoleLogin = (page, username, password) => harnessLogin(page, edge.base, username, password);

async function openAdmin(page, tab) {
  await page.getByRole("button", { name: "Admin", exact: true }).click();
  await page.getByRole("tab", { name: tab }).click();
}

test("an admin creates an operator in the console, who logs in; disabling ends their session at once", async () => {
  const adminCtx = await browser.newContext();
  const admin = await adminCtx.newPage();
  const username = "rita";
  const password = "rita-password-1";
  await step(admin, "admin-creates-operator", async () => {
    await consoleLogin(admin, "demo", "parley-demo");
    await openAdmin(admin, "Operators");
    const form = admin.getByRole("form", { name: "Add operator" });
    await form.getByLabel("Username").fill(username);
    await form.getByLabel("First name").fill("Rita");
    await form.getByLabel("Last name").fill("Ramos");
    await form.getByLabel("E-mail").fill("rita@demo.example");
    // A too-short password is refused with a visible error, and nothing is created.
    await form.getByLabel("Password").fill("short");
    await form.getByRole("button", { name: "Create operator" }).click();
    await form.getByRole("alert").filter({ hasText: "at least 10 characters" }).waitFor();
    assert.equal(await form.getByLabel("Password").getAttribute("aria-invalid"), "true");
    // The server's own refusal shows too: a taken username.
    await form.getByLabel("Password").fill(password);
    await form.getByLabel("Username").fill("sam");
    await form.getByRole("button", { name: "Create operator" }).click();
    await form.getByRole("alert").filter({ hasText: "taken" }).waitFor();
    await form.getByLabel("Username").fill(username);
    await form.getByLabel("Main language").fill("pt-br");
    await form.getByLabel("Extra languages").fill("es, en");
    await form.getByLabel("Max concurrent chats").fill("5");
    await form.getByRole("button", { name: "Create operator" }).click();
    await admin.getByRole("status").filter({ hasText: `Operator ${username} created` }).waitFor();
    const row = admin.getByRole("row").filter({ hasText: username });
    await row.waitFor();
    assert.match(await row.innerText(), /Rita Ramos/);
    assert.match(await row.innerText(), /pt-BR, es, en/);
  });
  const ops = (await get(`${C}/operators`, await edge.login())).json.operators;
  assert.equal(ops.filter((o) => o.username === "sam" && o.first_name === "Sam").length, 1, "sam untouched");
  const rita = ops.find((o) => o.username === username);
  assert.deepEqual([rita.chat_name, rita.languages, rita.max_chats, rita.role, rita.disabled],
    ["Rita Ramos", ["pt-BR", "es", "en"], 5, "operator", false]);

  const ritaCtx = await browser.newContext();
  const ritaPage = await ritaCtx.newPage();
  await step(ritaPage, "new-operator-logs-in", async () => {
    await consoleLogin(ritaPage, username, password);
    assert.match(await ritaPage.locator(".chat-name").innerText(), /Rita Ramos/);
    // Operators get no Operators tab.
    await ritaPage.getByRole("button", { name: "Admin", exact: true }).click();
    await ritaPage.getByRole("tab", { name: "My settings" }).waitFor();
    assert.equal(await ritaPage.getByRole("tab", { name: "Operators" }).count(), 0);
  });
  const me = () => ritaPage.evaluate(async () => (await fetch("/api/v1/auth/me")).status);
  assert.equal(await me(), 200);

  await step(admin, "admin-disables-operator", async () => {
    await admin.getByRole("button", { name: `Disable ${username}` }).click();
    await admin.getByRole("status").filter({ hasText: `${username} is disabled` }).waitFor();
    const row = admin.getByRole("row").filter({ hasText: username });
    await row.getByText("Disabled").waitFor();
    // No button to disable oneself.
    assert.equal(await admin.getByRole("button", { name: "Disable demo" }).count(), 0);
  });
  assert.equal(await me(), 401, "the disabled operator's session stopped working at once");
  const relogin = await postJson(edge.base, "/api/v1/auth/login", { username, password });
  assertError(relogin, 401, "bad_credentials", "disabled operator cannot log in");
  const stillListed = (await get(`${C}/operators`, await edge.login())).json.operators.find((o) => o.username === username);
  assert.equal(stillListed.disabled, true, "kept for reports, flagged");

  await step(admin, "admin-enables-and-edits", async () => {
    await admin.getByRole("button", { name: `Enable ${username}` }).click();
    await admin.getByRole("status").filter({ hasText: `${username} is enabled` }).waitFor();
    // The list reloads after the change and re-renders its rows: wait for it before clicking.
    await admin.getByRole("row").filter({ hasText: username }).getByText("Active", { exact: true }).waitFor();
    await admin.getByRole("button", { name: `Edit ${username}`, exact: true }).click();
    const form = admin.getByRole("form", { name: `Edit ${username}` });
    await form.getByLabel("Online chat name").fill("Rita from Sales");
    await form.getByLabel("Role").selectOption("admin");
    await form.getByRole("button", { name: "Save changes" }).click();
    await admin.getByRole("status").filter({ hasText: `Changes to ${username} saved` }).waitFor();
    await admin.getByRole("row").filter({ hasText: "Rita from Sales" }).waitFor();
  });
  const edited = (await get(`${C}/operators`, await edge.login())).json.operators.find((o) => o.username === username);
  assert.deepEqual([edited.chat_name, edited.role, edited.disabled], ["Rita from Sales", "admin", false]);
  assert.equal((await postJson(edge.base, "/api/v1/auth/login", { username, password })).status, 200, "enabled again");
  await adminCtx.close();
  await ritaCtx.close();
});

test("an operator changes their chat name, languages and max chats in My settings, and they persist", async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await step(page, "my-settings", async () => {
    await consoleLogin(page, "sam", "parley-demo");
    await openAdmin(page, "My settings");
    const form = page.getByRole("form", { name: "My settings" });
    const chatName = form.getByLabel("Online chat name");
    await chatName.waitFor();
    await page.waitForFunction(() => document.querySelector("#adm-set-chat-name")?.value === "Sam");
    assert.equal(await form.getByLabel("Main language").inputValue(), "es");
    assert.equal(await form.getByLabel("Extra languages").inputValue(), "fr");
    assert.equal(await form.getByLabel("Max concurrent chats").inputValue(), "2");
    // Bad input: a clear error, nothing saved.
    await form.getByLabel("Max concurrent chats").fill("50");
    await form.getByRole("button", { name: "Save settings" }).click();
    await form.getByRole("alert").filter({ hasText: "between 1 and 20" }).waitFor();
    await chatName.fill("Samuel S.");
    await form.getByLabel("Main language").fill("FR");
    await form.getByLabel("Extra languages").fill("es, de-at, es");
    await form.getByLabel("Max concurrent chats").fill("6");
    await form.getByRole("button", { name: "Save settings" }).click();
    await form.getByRole("status").filter({ hasText: "Settings saved." }).waitFor();
    assert.equal(await form.getByLabel("Extra languages").inputValue(), "es, de-AT");
    // The top bar shows the new name at once.
    await page.locator(".signed-in .chat-name").getByText("Samuel S.", { exact: true }).waitFor();
    // Persisted: a reload shows them again.
    await page.reload();
    await page.getByRole("button", { name: "Log out" }).waitFor();
    await openAdmin(page, "My settings");
    await page.waitForFunction(() => document.querySelector("#adm-set-chat-name")?.value === "Samuel S.");
    assert.equal(await form.getByLabel("Main language").inputValue(), "fr");
    assert.equal(await form.getByLabel("Max concurrent chats").inputValue(), "6");
  });
  const s = (await get(`${C}/settings`, await edge.login("sam"))).json;
  assert.deepEqual([s.chat_name, s.languages, s.max_chats], ["Samuel S.", ["fr", "es", "de-AT"], 6]);
  // An empty chat name falls back to the operator's name.
  const sam = await edge.login("sam");
  const back = await post(`${C}/settings`, { chat_name: "", languages: ["es", "fr"], max_chats: 2 }, sam);
  assert.equal(back.status, 200);
  assert.equal(back.json.chat_name, "Sam Sample");
  await ctx.close();
});

test("canned responses are managed in the console", async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await step(page, "canned-responses", async () => {
    await consoleLogin(page, "sam", "parley-demo");
    await openAdmin(page, "Canned responses");
    const form = page.getByRole("form", { name: "Add canned response" });
    await form.getByLabel("Shortcut").fill("bye");
    await form.getByLabel("Text").fill("Thanks for chatting, bye!");
    await form.getByRole("button", { name: "Add canned response" }).click();
    await page.getByRole("row").filter({ hasText: "Thanks for chatting, bye!" }).waitFor();
    // Taken shortcut: the server's error shows next to the field.
    await form.getByLabel("Shortcut").fill("bye");
    await form.getByLabel("Text").fill("Another bye");
    await form.getByRole("button", { name: "Add canned response" }).click();
    await form.getByRole("alert").filter({ hasText: "/bye is already in use" }).waitFor();
    await page.getByRole("button", { name: "Delete /bye" }).click();
    await page.getByRole("button", { name: "Delete /bye" }).waitFor({ state: "detached" });
  });
  const list = (await get(`${C}/canned`, await edge.login())).json.canned;
  assert.ok(!list.some((c) => c.shortcut === "bye"));
  await ctx.close();
});
