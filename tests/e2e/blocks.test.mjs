// Visitor blocking: an operator blocks a conversation's visitor with a required reason; that
// visitor cannot start a chat in the account (403 `visitor_blocked`, a polite message that never
// reveals the reason); admins list and lift blocks; another account sees and changes nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { step, consoleLogin } from "./harness.mjs";
import { postJson, newConversation } from "./proto-client.mjs";
import { useEdge, secondAccount, otherAdmin, assertError, C } from "./fixtures.mjs";

const OTHER_PW = "other-account-pw";
const POLITE = "Sorry, you cannot start a chat here.";
const { edge, browser } = useEdge({
  browser: true,
  extraSql: () => secondAccount({
    operators: [otherAdmin(OTHER_PW)],
  }),
});
const { get, post } = edge;

/** The visitor (re)starts a chat on the demo channel. */
const startChat = (v) => postJson(edge.base, "/api/v1/conversations", {
  channel_id: "demo", visitor_id: v.visitorId, visitor_token: v.visitorToken, page_url: `${edge.base}/`,
});

test("an operator blocks a visitor with a reason; admins list and lift; other accounts get nothing", async () => {
  const c = await newConversation(edge.base);
  const [admin, sam, other] = [await edge.login(), await edge.login("sam"),
    await edge.login("oadmin", OTHER_PW)];
  const block = (cookie, body = { reason: "Spam links, again" }, id = c.conversationId, origin) =>
    post(`${C}/conversations/${id}/block`, body, cookie, origin);

  // Session, origin, input.
  assertError(await block(undefined), 401, "unauthenticated", "no session");
  assertError(await block(sam, undefined, undefined, "https://evil.example"), 403, "bad_origin", "foreign origin");
  assertError(await get(`${C}/blocks`), 401, "unauthenticated", "list without session");
  const empty = await block(sam, { reason: "   " });
  assertError(empty, 400, "invalid", "blank reason");
  assert.equal(empty.json.error.field, "reason");
  assertError(await block(sam, {}), 400, "invalid", "no reason");
  assertError(await block(other), 404, "unknown_conversation", "another account's conversation");
  assertError(await block(sam, undefined, "c_nosuch"), 404, "unknown_conversation", "missing conversation");
  assert.equal((await startChat(c)).status, 200, "nothing blocked by refused requests");

  // Sam (an operator) blocks; twice is a conflict.
  const ok = await block(sam);
  assert.equal(ok.status, 201, JSON.stringify(ok.json));
  assert.equal(ok.json.visitor_id, c.visitorId);
  assert.equal(ok.json.conversation_id, c.conversationId);
  assertError(await block(admin), 409, "already_blocked", "blocked twice");

  // The visitor cannot start a chat, and is not told why.
  const refused = await startChat(c);
  assertError(refused, 403, "visitor_blocked", "blocked visitor");
  assert.equal(refused.json.error.message, POLITE);
  assert.ok(!JSON.stringify(refused.json).includes("Spam"), "the reason is never revealed");
  assert.equal(refused.headers.get("access-control-allow-origin"), edge.base, "the widget can read the refusal");
  assert.equal((await newConversation(edge.base)).conversationId.length > 0, true, "other visitors chat on");

  // Only admins of the account list and lift.
  assertError(await get(`${C}/blocks`, sam), 403, "forbidden", "operator lists");
  assertError(await post(`${C}/blocks/${ok.json.id}/lift`, {}, sam), 403, "forbidden", "operator lifts");
  const foreign = await get(`${C}/blocks`, other);
  assert.equal(foreign.status, 200);
  assert.deepEqual(foreign.json.blocks, [], "another account lists none of ours");
  assertError(await post(`${C}/blocks/${ok.json.id}/lift`, {}, other), 404, "unknown_block", "another account lifts");
  assertError(await post(`${C}/blocks/${ok.json.id}/lift`, {}, admin, "https://evil.example"), 403, "bad_origin",
    "lift from a foreign origin");

  const list = await get(`${C}/blocks`, admin);
  assert.equal(list.status, 200);
  const row = list.json.blocks.find((b) => b.id === ok.json.id);
  assert.ok(row, JSON.stringify(list.json));
  assert.equal(row.visitor_id, c.visitorId);
  assert.equal(row.reason, "Spam links, again");
  assert.equal(row.blocked_by, "op_sam");
  assert.equal(row.conversation_id, c.conversationId);
  assert.ok(row.blocked_by_name.length > 0);
  assert.ok(row.created_at > 0);
  assertError(await startChat(c), 403, "visitor_blocked", "still blocked after refused lifts");

  // The admin lifts it: the visitor can chat again; the block is gone from the list.
  const lifted = await post(`${C}/blocks/${ok.json.id}/lift`, {}, admin);
  assert.equal(lifted.status, 200, JSON.stringify(lifted.json));
  assertError(await post(`${C}/blocks/${ok.json.id}/lift`, {}, admin), 404, "unknown_block", "lifted twice");
  assert.equal((await startChat(c)).status, 200, "the visitor chats again");
  assert.ok(!(await get(`${C}/blocks`, admin)).json.blocks.some((b) => b.id === ok.json.id));
  // And can be blocked again.
  assert.equal((await block(admin, { reason: "Back at it" })).status, 201);
});

test("in Chromium: the operator blocks from the chat, the widget says so politely, an admin lifts it", async () => {
  const consoleCtx = await browser.newContext();
  const op = await consoleCtx.newPage();
  const visitorCtx = await browser.newContext();
  const vis = await visitorCtx.newPage();
  try {
    await step(vis, "visitor-starts-a-chat", async () => {
      await vis.goto(edge.base + "/");
      await vis.getByRole("button", { name: "Open chat" }).click();
      await vis.getByRole("textbox", { name: "Message" }).fill("Buy cheap watches here");
      await vis.getByRole("button", { name: "Send message" }).click();
      await vis.getByRole("log", { name: "Messages" }).getByText("Buy cheap watches here").waitFor();
    });

    await step(op, "operator-blocks-the-visitor", async () => {
      await consoleLogin(op, edge.base, "demo");
      await op.getByRole("button", { name: /^All/ }).click();
      await op.getByRole("button", { name: /Open conversation: Buy cheap watches/ }).click();
      await op.getByRole("button", { name: "Block visitor" }).click();
      await op.getByRole("textbox", { name: "Reason for blocking" }).fill("Spam about watches");
      await op.getByRole("button", { name: "Block", exact: true }).click();
      await op.getByText("Visitor blocked.").waitFor();
      await op.getByRole("button", { name: "End chat" }).click();
    });

    await step(vis, "widget-refuses-politely", async () => {
      await vis.getByRole("button", { name: "Start a new chat" }).click();
      await vis.getByRole("textbox", { name: "Message" }).fill("Hello again");
      await vis.getByRole("button", { name: "Send message" }).click();
      await vis.getByRole("alert").getByText(POLITE, { exact: true }).waitFor();
      assert.ok(!(await vis.content()).includes("Spam about watches"), "the reason is never shown");
    });

    await step(op, "admin-lifts-the-block", async () => {
      await op.getByRole("button", { name: "Admin", exact: true }).click();
      await op.getByRole("tab", { name: "Blocks" }).click();
      const row = op.getByRole("row").filter({ hasText: "Spam about watches" });
      await row.getByRole("button", { name: "Lift block" }).click();
      await op.getByText("Block lifted.").waitFor();
      await row.waitFor({ state: "detached" });
    });
  } finally {
    await consoleCtx.close();
    await visitorCtx.close();
  }
});
