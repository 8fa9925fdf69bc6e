// How a chat ends and who the visitor is, at the protocol level (real `wrangler dev`, D1,
// Durable Objects): the visitor's survey (only once the chat ended; first answer kept, a retry
// of it is fine, a different one is 409), goals (enabled goals of the account only, once per
// goal, with the total), the operator's outcome fields (checked against the account's codes and
// categories), Parley.identify (a proven user has the same visitor id on every device and their
// open conversation resumes; a forged hash is 403) and the channel's pre-chat form.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { goOnline, consoleLogin, step } from "./harness.mjs";
import { getJson, postJson, newVisitor, newConversation, ProtoClient, waitUntil } from "./proto-client.mjs";
import { useEdge, assertError, conversationSummary, conversationSummaryWhen, C } from "./fixtures.mjs";

const SECRET = "e2e0identity0secret0for0the0demo0channel";
const FORM = JSON.stringify([
  { key: "name", label: "Your name", required: true },
  { key: "email", label: "Your email", required: false },
]);
const extraSql = `
UPDATE channels SET identity_secret = '${SECRET}' WHERE id = 'demo';
INSERT INTO channels (id, account_id, name, created_at, prechat_form, identity_secret)
  VALUES ('form', 'acc_demo', 'Form channel', 1, '${FORM}', '${SECRET}');
INSERT INTO channel_hosts (channel_id, host_id) VALUES ('form', 'h_demo_ip');
INSERT OR IGNORE INTO success_codes (id, account_id, name, position, created_at) VALUES
  ('sc_e2e_sale', 'acc_demo', 'E2E Sale', 90, 1), ('sc_e2e_lead', 'acc_demo', 'E2E Lead', 91, 1);
INSERT OR IGNORE INTO categories (id, account_id, parent_id, name, position, created_at) VALUES
  ('cat_e2e_billing', 'acc_demo', NULL, 'E2E Billing', 90, 1),
  ('cat_e2e_refund', 'acc_demo', 'cat_e2e_billing', 'E2E Refund', 0, 1);
INSERT OR IGNORE INTO goals (id, account_id, name, value, url_glob, enabled, position, created_at) VALUES
  ('g_e2e_signup', 'acc_demo', 'E2E Signed up', 49, NULL, 1, 90, 1),
  ('g_e2e_pricing', 'acc_demo', 'E2E Saw pricing', 5, '*/pricing*', 1, 91, 1),
  ('g_e2e_old', 'acc_demo', 'E2E Old goal', 1, NULL, 0, 92, 1);
`;
const { edge, browser, clients } = useEdge({
  browser: true, extraSql,
  setup: async () => {
    dana = await edge.login();
    await goOnline(edge.base, "demo", "form");
  },
});
let dana;

const post = (path, body, opts) => postJson(edge.base, path, body, opts);

/** The conversation as the console lists it. */
const summary = (id) => conversationSummary(edge, dana, id);
/** Polls the console list until `pred(summary)` holds (the object syncs D1 on its own). */
const summaryWhen = (id, pred, label) => conversationSummaryWhen(edge, dana, id, pred, label);

/** The operator ends the chat over the WebSocket; resolves once D1 says closed. */
async function endChat(conversationId) {
  const op = new ProtoClient({ base: edge.base, conversationId, role: "operator", cookie: dana });
  clients.push(op);
  await op.start();
  op.sendFrame({ type: "end" });
  await waitUntil([op], () => op.status === "closed", "operator sees the chat closed");
  return summaryWhen(conversationId, (s) => s.status === "closed", "closed in D1");
}

const survey = (c, body, id = c.conversationId, channel = "demo") => post(`/api/v1/widget/conversations/${id}/survey`, {
  channel_id: channel, visitor_id: c.visitorId, visitor_token: c.visitorToken, survey: body,
});

test("survey: refused while open, first answer kept, retry OK, different 409, skipped is not_rated", async () => {
  const c = await newConversation(edge.base);
  const bad = { survey: "rated", rating: "bad", comment: "  too slow " };
  assertError(await survey(c, bad), 409, "not_closed", "while open");
  assert.equal((await summary(c.conversationId)).survey_result, "", "nothing stored while open");

  await endChat(c.conversationId);
  const stranger = await newVisitor(edge.base);
  assertError(await survey(stranger, bad, c.conversationId), 404, "unknown_conversation", "another visitor");
  assertError(await survey({ ...c, visitorToken: stranger.visitorToken }, bad), 403, "bad_visitor_token", "bad token");
  assertError(await survey(c, { survey: "rated", rating: "bad", comment: "x".repeat(1001) }), 400, "invalid",
    "long comment", "comment");
  assertError(await survey(c, { survey: "rated", rating: "great" }), 400, "malformed", "unknown rating");

  const ok = await survey(c, bad);
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.deepEqual(ok.json, { survey_result: "bad" });
  assert.equal(ok.headers.get("access-control-allow-origin"), edge.base, "the widget reads the answer");
  assert.equal((await survey(c, { survey: "rated", rating: "bad", comment: "too slow" })).status, 200, "retry");
  assertError(await survey(c, { survey: "rated", rating: "good" }), 409, "already_rated", "different answer");
  assertError(await survey(c, { survey: "skipped" }), 409, "already_rated", "skip after rating");
  const s = await summary(c.conversationId);
  assert.equal(s.survey_result, "bad");
  assert.equal(s.survey_comment, "too slow");
  assert.ok(s.rated_at > 0);

  // The widget asks as soon as its socket says closed, maybe before D1 heard of it: the edge
  // asks the conversation's object then.
  const d = await newConversation(edge.base);
  const visitor = new ProtoClient({ base: edge.base, conversationId: d.conversationId, role: "visitor", ...d });
  const op = new ProtoClient({ base: edge.base, conversationId: d.conversationId, role: "operator", cookie: dana });
  clients.push(visitor, op);
  await Promise.all([visitor.start(), op.start()]);
  op.sendFrame({ type: "end" });
  await waitUntil([visitor], () => visitor.status === "closed", "the visitor sees the chat closed");
  const skipped = await survey(d, { survey: "skipped" });
  assert.equal(skipped.status, 200, JSON.stringify(skipped.json));
  assert.deepEqual(skipped.json, { survey_result: "not_rated" });
  await summaryWhen(d.conversationId, (s) => s.status === "closed", "closed in D1");
  assert.equal((await summary(d.conversationId)).survey_result, "not_rated");
});

test("goals: only the account's enabled goals, nothing recorded on a refusal, once per goal, total", async () => {
  const c = await newConversation(edge.base);
  const goals = (list, who = c, id = c.conversationId) => post("/api/v1/widget/goals", {
    channel_id: "demo", visitor_id: who.visitorId, visitor_token: who.visitorToken, conversation_id: id,
    goals: list.map(([goal_id, value]) => ({ goal_id, name: "ignored", value, at: 1 })),
  });
  assertError(await goals([["g_e2e_signup", 49], ["g_nosuch", 1]]), 400, "invalid", "unknown goal", "goals");
  assertError(await goals([["g_e2e_old", 1]]), 400, "invalid", "disabled goal", "goals");
  assertError(await goals([["g_e2e_signup", -1]]), 400, "invalid", "negative value", "goals");
  assertError(await goals([["g_e2e_signup", 2e9]]), 400, "invalid", "huge value", "goals");
  assert.deepEqual((await summary(c.conversationId)).goals, [], "nothing recorded by refusals");
  const stranger = await newVisitor(edge.base);
  assertError(await goals([["g_e2e_signup", 49]], stranger), 404, "unknown_conversation", "another visitor");

  const first = await goals([["g_e2e_signup", 49]]);
  assert.equal(first.status, 200, JSON.stringify(first.json));
  assert.deepEqual(first.json.goals.map((g) => [g.goal_id, g.name, g.value]), [["g_e2e_signup", "E2E Signed up", 49]],
    "the name is the account's, not the client's");
  const again = await goals([["g_e2e_signup", 100], ["g_e2e_pricing", 5]]);
  assert.deepEqual(again.json.goals.map((g) => [g.name, g.value]), [["E2E Signed up", 49], ["E2E Saw pricing", 5]],
    "once per goal (the first value stays)");

  // Goals reached after the chat still belong to it.
  await endChat(c.conversationId);
  const s = await summary(c.conversationId);
  assert.deepEqual(s.goals.map((g) => g.name), ["E2E Signed up", "E2E Saw pricing"]);
  assert.equal(s.goals.reduce((t, g) => t + g.value, 0), 54);
  assert.equal((await goals([["g_e2e_pricing", 5]])).status, 200, "a resend after the chat is fine");
});

test("outcome: any operator sets it, checked against the account's codes and categories", async () => {
  const c = await newConversation(edge.base);
  const sam = await edge.login("sam");
  const outcome = (body, cookie = sam, id = c.conversationId, origin) =>
    post(`${C}/conversations/${id}/outcome`, body, { cookie, origin });
  const good = { success_code: "e2e sale", tags: [" vip ", "VIP", "pricing"], category: "E2E Billing",
    sub_category: "e2e refund", note: " called back " };
  assertError(await outcome(good, null), 401, "unauthenticated", "no session");
  assertError(await outcome(good, sam, undefined, "https://evil.example"), 403, "bad_origin", "foreign origin");
  assertError(await outcome({ ...good, success_code: "Win" }), 400, "invalid", "unknown code", "success_code");
  assertError(await outcome({ ...good, category: "Nope" }), 400, "invalid", "unknown category", "category");
  assertError(await outcome({ ...good, sub_category: "Other" }), 400, "invalid", "bad sub", "sub_category");
  assertError(await outcome(good, sam, "c_nosuch"), 404, "unknown_conversation", "missing conversation");
  assert.equal((await summary(c.conversationId)).success_code, null, "nothing stored by refusals");

  const ok = await outcome(good);
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  const stored = { success_code: "E2E Sale", tags: ["vip", "pricing"], category: "E2E Billing",
    sub_category: "E2E Refund", note: "called back" };
  assert.deepEqual(ok.json, stored);
  const s = await summary(c.conversationId);
  assert.deepEqual({ success_code: s.success_code, tags: s.tags, category: s.category,
    sub_category: s.sub_category, note: s.note }, stored);

  // After the chat ended it can still be changed (operators set it when closing).
  await endChat(c.conversationId);
  const later = await outcome({ success_code: "E2E Lead", tags: [] }, dana);
  assert.equal(later.status, 200, JSON.stringify(later.json));
  const t = await summary(c.conversationId);
  assert.equal(t.success_code, "E2E Lead");
  assert.deepEqual(t.tags, []);
  assert.equal(t.category, null);
});

test("identity: same visitor id on every device, the open chat resumes, past conversations follow; forged hash 403", async () => {
  const userId = "u-42";
  const hash = createHmac("sha256", SECRET).update(userId).digest("hex");
  const session = (identity, extra = {}) => post("/api/v1/widget/session", { channel_id: "demo", identity, ...extra });

  const anon = await newVisitor(edge.base);
  const forged = await session({ id: userId, hash: hash.replace(/^./, (ch) => (ch === "0" ? "1" : "0")) }, {
    visitor_id: anon.visitorId, visitor_token: anon.visitorToken });
  assertError(forged, 403, "bad_identity", "forged hash");
  assert.equal(forged.json.error.message, "The visitor's identity could not be verified.");
  assertError(await session({ id: "u-43", hash }), 403, "bad_identity", "another user's hash");
  assertError(await session({ id: "", hash: createHmac("sha256", SECRET).update("").digest("hex") }), 403,
    "bad_identity", "empty id");

  const laptop = await session({ id: userId, hash, name: "Ann Example", email: "ann@example.com" });
  assert.equal(laptop.status, 200, JSON.stringify(laptop.json));
  assert.equal(laptop.json.identified, true);
  assert.match(laptop.json.visitor_id, /^v_[0-9a-f]{32}$/);
  assert.equal(laptop.json.conversation_id, null);
  // Earlier conversation of this user, ended; then a new one from the laptop.
  const v = { visitorId: laptop.json.visitor_id, visitorToken: laptop.json.visitor_token };
  const create = () => post("/api/v1/conversations", {
    channel_id: "demo", visitor_id: v.visitorId, visitor_token: v.visitorToken, page_url: `${edge.base}/` });
  const past = await create();
  assert.equal(past.status, 200, JSON.stringify(past.json));
  await endChat(past.json.conversation_id);
  const open = await create();
  assert.notEqual(open.json.conversation_id, past.json.conversation_id);

  // The phone: a different anonymous visitor until identified; then the same id, same open chat.
  const phoneAnon = await newVisitor(edge.base);
  const phone = await session({ id: userId, hash: hash.toUpperCase() }, {
    visitor_id: phoneAnon.visitorId, visitor_token: phoneAnon.visitorToken });
  assert.equal(phone.status, 200, JSON.stringify(phone.json));
  assert.equal(phone.json.visitor_id, laptop.json.visitor_id, "same visitor id on every device");
  assert.equal(phone.json.conversation_id, open.json.conversation_id, "the open conversation resumes");
  assert.equal(phone.json.identified, true);
  const plain = await session(undefined, { visitor_id: phone.json.visitor_id, visitor_token: phone.json.visitor_token });
  assert.equal(plain.json.visitor_id, phone.json.visitor_id, "the identified id is kept by its token");
  assert.equal(plain.json.identified, false);

  const s = await summary(open.json.conversation_id);
  assert.equal(s.anonymous, false);
  assert.equal(s.visitor_identifier, userId);
  assert.equal(s.visitor_name, "Ann Example");
  assert.equal(s.visitor_email, "ann@example.com");
  const list = await getJson(edge.base, `${C}/conversations?visitor=${laptop.json.visitor_id}`, dana);
  assert.equal(list.status, 200);
  assert.deepEqual(list.json.conversations.map((c) => c.id), [open.json.conversation_id, past.json.conversation_id],
    "past conversations follow, newest first");
  const anonymous = await summary((await newConversation(edge.base)).conversationId);
  assert.equal(anonymous.anonymous, true);
  assert.equal(anonymous.visitor_identifier, anonymous.visitor_id);
  assert.equal((await getJson(edge.base, `${C}/conversations?visitor=${laptop.json.visitor_id}`)).status, 401);
});

test("pre-chat form: a required answer missing is a 400 naming it; answers stored; identified visitors skip it", async () => {
  const v = await newVisitor(edge.base, { channel: "form" });
  const create = (prechat, who = v) => post("/api/v1/conversations", {
    channel_id: "form", visitor_id: who.visitorId, visitor_token: who.visitorToken, page_url: `${edge.base}/`, prechat });
  const missing = await create([["email", "bea@example.com"]]);
  assertError(missing, 400, "invalid", "name missing", "name");
  assert.equal(missing.json.error.message, "Your name is required.");
  assert.equal(missing.headers.get("access-control-allow-origin"), edge.base);
  assertError(await create([["name", "Bea"], ["email", "not-an-address"]]), 400, "invalid", "bad email", "email");
  const again = await post("/api/v1/widget/session", { channel_id: "form", visitor_id: v.visitorId,
    visitor_token: v.visitorToken });
  assert.equal(again.json.conversation_id, null, "nothing created by refusals");

  const ok = await create([["name", " Bea "], ["email", "bea@example.com"], ["shoe_size", "44"]]);
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  const s = await summary(ok.json.conversation_id);
  assert.deepEqual(s.prechat, [["name", "Bea"], ["email", "bea@example.com"]]);
  assert.equal(s.visitor_name, "Bea");
  assert.equal(s.visitor_email, "bea@example.com");
  assert.equal(s.visitor_identifier, "bea@example.com");
  assert.equal(s.anonymous, false);

  // An identified visitor skips the form.
  const hash = createHmac("sha256", SECRET).update("u-form").digest("hex");
  const id = await post("/api/v1/widget/session", { channel_id: "form", identity: { id: "u-form", hash, name: "Cy" } });
  assert.equal(id.status, 200, JSON.stringify(id.json));
  const skipped = await create([], { visitorId: id.json.visitor_id, visitorToken: id.json.visitor_token });
  assert.equal(skipped.status, 200, JSON.stringify(skipped.json));
  const t = await summary(skipped.json.conversation_id);
  assert.equal(t.visitor_name, "Cy");
  assert.equal(t.visitor_identifier, "u-form");
});

test("in Chromium: the console shows who the visitor is, goals, rating and past conversations; the close form saves", async () => {
  // An identified visitor with two chats: the first ended unrated, the second with goals and a bad rating.
  const hash = createHmac("sha256", SECRET).update("u-77").digest("hex");
  const session = await post("/api/v1/widget/session", { channel_id: "demo",
    identity: { id: "u-77", hash, name: "Ann Example", email: "ann@example.com" } });
  const v = { channel_id: "demo", visitor_id: session.json.visitor_id, visitor_token: session.json.visitor_token };
  const ids = [];
  for (const reply of ["Reply one", "Reply two"]) {
    const c = await post("/api/v1/conversations", { ...v, page_url: `${edge.base}/` });
    assert.equal(c.status, 200, JSON.stringify(c.json));
    const op = new ProtoClient({ base: edge.base, conversationId: c.json.conversation_id, role: "operator", cookie: dana });
    clients.push(op);
    await op.start();
    op.send(reply);
    await op.allAcked();
    op.sendFrame({ type: "end" });
    await waitUntil([op], () => op.status === "closed", "closed");
    ids.push(c.json.conversation_id);
  }
  const goals = await post("/api/v1/widget/goals", { ...v, conversation_id: ids[1],
    goals: [["g_e2e_signup", 49], ["g_e2e_pricing", 5]].map(([goal_id, value]) => ({ goal_id, name: "", value, at: 1 })) });
  assert.equal(goals.status, 200, JSON.stringify(goals.json));
  const rated = await post(`/api/v1/widget/conversations/${ids[1]}/survey`, { ...v,
    survey: { survey: "rated", rating: "bad", comment: "too slow" } });
  assert.equal(rated.status, 200, JSON.stringify(rated.json));

  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  try {
    await step(page, "console-visitor-box-and-rating", async () => {
      await consoleLogin(page, edge.base, "demo");
      await page.getByRole("button", { name: /^All/ }).click();
      await page.getByRole("button", { name: /Open conversation: Reply two/ }).click();
      const box = page.getByRole("complementary", { name: "Visitor" });
      await box.getByText("Identified as u-77").waitFor();
      await box.getByText("ann@example.com").waitFor();
      // Parley.identify's hash proves the user id only: the e-mail is marked as not verified.
      await box.getByText("(not verified)").waitFor();
      await box.getByText("Goals: E2E Signed up (49), E2E Saw pricing (5) · total 54").waitFor();
      await page.getByRole("log", { name: "Transcript" }).getByText("Rating: Bad — “too slow”").waitFor();
    });

    await step(page, "console-close-form-saves", async () => {
      await page.getByLabel("Success code").selectOption("E2E Sale");
      await page.getByLabel("Tags").fill("vip, pricing");
      await page.getByLabel("Category", { exact: true }).selectOption("E2E Billing");
      await page.getByLabel("Sub-category").selectOption("E2E Refund");
      await page.getByLabel("Note").fill("Wants a yearly plan");
      await page.getByRole("button", { name: "Save outcome" }).click();
      await page.getByText("Outcome saved.").waitFor();
      const s = await summary(ids[1]);
      assert.deepEqual([s.success_code, s.tags, s.category, s.sub_category, s.note],
        ["E2E Sale", ["vip", "pricing"], "E2E Billing", "E2E Refund", "Wants a yearly plan"]);
    });

    await step(page, "console-server-field-error", async () => {
      // An admin drops "E2E Lead" meanwhile: the form still offers it, the server names the field.
      const settings = (await getJson(edge.base, `${C}/outcome-settings`, dana)).json;
      settings.success_codes = settings.success_codes.filter((c) => c !== "E2E Lead");
      assert.equal((await post(`${C}/outcome-settings`, settings, { cookie: dana })).status, 200);
      await page.getByLabel("Success code").selectOption("E2E Lead");
      await page.getByRole("button", { name: "Save outcome" }).click();
      await page.getByRole("alert").filter({ hasText: "\"E2E Lead\" is not one of the success codes." }).waitFor();
      assert.equal(await page.getByLabel("Success code").getAttribute("aria-invalid"), "true");
      assert.equal((await summary(ids[1])).success_code, "E2E Sale", "nothing changed");
    });

    await step(page, "console-past-conversation-opens", async () => {
      const box = page.getByRole("complementary", { name: "Visitor" });
      await box.getByText("Past conversations (1)").click();
      await box.getByRole("button", { name: /Closed · Reply one/ }).click();
      await page.getByRole("log", { name: "Transcript" }).getByText("Reply one").waitFor();
      assert.equal(await page.getByText(/^Rating:/).count(), 0, "the first chat was never rated");
    });
  } finally {
    await ctx.close();
  }
});
