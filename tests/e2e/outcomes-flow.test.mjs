// Issue 6, point 7: the end of a conversation, end to end in real Chromium against real
// `wrangler dev`. A visitor chats in the widget on the demo page and the site's code reports a
// goal (Parley.goal); Dana answers in the console, ends the chat and saves its outcome (success
// code, tags); the visitor rates it "Bad" with a comment; the console shows all of it (outcome,
// the rating at the end of the transcript, the goal and its value in the visitor box) and the
// ratings report counts the bad rating in Dana's work shift. Then a blocked visitor cannot start
// a new chat, and a forged identify hash is refused (403 bad_identity) while the widget goes on
// anonymously.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { step, consoleLogin } from "./harness.mjs";
import { getJson, postJson } from "./proto-client.mjs";
import { useEdge, conversationSummaryWhen, C } from "./fixtures.mjs";

const POLITE = "Sorry, you cannot start a chat here.";
/** The demo channel's identity secret for this run (the site signs user ids with it). */
const SECRET = "5ec7e7".repeat(10) + "abcd";
const QUESTION = "Hello, how much is the Pro plan?";
const ANSWER = "Hi! It is 49 a month.";
// The demo invite would cover the launcher. The success codes ("Sale") and the goal
// ("Signed up", 49) are the demo seed's.
const { edge, browser } = useEdge({
  browser: true,
  extraSql: `
UPDATE entry_points SET enabled = 0 WHERE id = 'ep_welcome';
UPDATE channels SET identity_secret = '${SECRET}' WHERE id = 'demo';
`,
  setup: async () => {
    admin = await edge.login();
  },
});
let admin;

const get = (path, cookie = admin) => getJson(edge.base, path, cookie);

/** Polls the console list until `pred(summary)` holds for conversation `id`; resolves it. */
const summaryWhen = (id, pred, label) => conversationSummaryWhen(edge, admin, id, pred, label);

test("a chat ends with an outcome, a goal and a bad rating; the console and the ratings report show them; a blocked visitor and a forged identity are refused", async () => {
  const visitorCtx = await browser.newContext();
  const vis = await visitorCtx.newPage();
  const consoleCtx = await browser.newContext();
  const op = await consoleCtx.newPage();
  let conversationId;
  try {
    await step(vis, "flow-visitor-chats", async () => {
      await vis.goto(edge.base + "/");
      await vis.getByRole("button", { name: "Open chat" }).click();
      await vis.getByRole("textbox", { name: "Message" }).fill(QUESTION);
      const created = vis.waitForResponse((r) => r.url().endsWith("/api/v1/conversations") && r.status() === 200);
      await vis.getByRole("button", { name: "Send message" }).click();
      conversationId = (await (await created).json()).conversation_id;
      await vis.getByRole("log", { name: "Messages" }).getByText(QUESTION).waitFor();
    });

    await step(vis, "flow-site-reports-a-goal", async () => {
      const saved = vis.waitForResponse(
        (r) => r.url().endsWith("/api/v1/widget/goals") && r.request().postData()?.includes("Signed up"),
      );
      await vis.evaluate(() => window.Parley.goal("Signed up"));
      const r = await saved;
      assert.equal(r.status(), 200, await r.text());
      const body = await r.json();
      assert.deepEqual(body.goals.map((g) => [g.name, g.value]), [["Signed up", 49]]);
    });

    await step(op, "flow-dana-answers-and-ends", async () => {
      await consoleLogin(op, edge.base, "demo");
      await op.getByRole("button", { name: /^All/ }).click();
      await op.getByRole("button", { name: new RegExp(`Open conversation: ${QUESTION}`) }).click();
      const transcript = op.getByRole("log");
      await transcript.getByText(QUESTION).waitFor();
      await op.getByRole("textbox", { name: "Reply" }).fill(ANSWER);
      await op.getByRole("button", { name: "Send reply" }).click();
      await transcript.getByText(ANSWER).waitFor();
      await vis.getByRole("log", { name: "Messages" }).getByText(ANSWER).waitFor();
      await op.getByRole("button", { name: "End chat" }).click();
    });

    await step(op, "flow-dana-saves-the-outcome", async () => {
      await op.getByLabel("Success code").selectOption("Sale");
      await op.getByLabel("Tags").fill("vip, pricing");
      await op.getByRole("button", { name: "Save outcome" }).click();
      const s = await summaryWhen(conversationId, (c) => c.success_code === "Sale", "outcome stored");
      assert.deepEqual(s.tags, ["vip", "pricing"]);
      assert.equal(s.status, "closed");
    });

    await step(vis, "flow-visitor-rates-bad", async () => {
      const card = vis.getByRole("form", { name: "Rate this chat" });
      await card.getByText("How was this chat?").waitFor();
      await card.getByRole("button", { name: "Bad" }).click();
      assert.equal(await card.getByRole("button", { name: "Bad" }).getAttribute("aria-pressed"), "true");
      await card.getByRole("textbox", { name: "Comment" }).fill("too slow");
      await card.getByRole("button", { name: "Send rating" }).click();
      await vis.getByText("Thank you for your feedback.").waitFor();
      const s = await summaryWhen(conversationId, (c) => c.survey_result === "bad", "rating stored");
      assert.equal(s.survey_comment, "too slow");
      assert.deepEqual(s.goals.map((g) => [g.name, g.value]), [["Signed up", 49]]);
    });

    await step(op, "flow-console-shows-it-all", async () => {
      // A fresh look at the conversation (as after coming back to the console later).
      await op.reload();
      await op.getByRole("button", { name: "Log out" }).waitFor();
      await op.getByRole("button", { name: /^All/ }).click();
      // The only conversation so far.
      await op.getByRole("button", { name: /^Open conversation: / }).first().click();
      const transcript = op.getByRole("log");
      await transcript.getByText(ANSWER).waitFor();
      await op.getByText(/Rating: Bad/).waitFor();
      await op.getByText(/too slow/).waitFor();
      await op.getByLabel("Success code").waitFor();
      assert.equal(await op.getByLabel("Success code").inputValue(), "Sale");
      assert.equal((await op.getByLabel("Tags").inputValue()).replace(/\s+/g, " "), "vip, pricing");
      const box = op.getByRole("complementary", { name: "Visitor" });
      await box.getByText(/Signed up \(49\)/).waitFor();
      await box.getByText(/Anonymous/).waitFor();
    });

    await step(op, "flow-ratings-report", async () => {
      const r = await get(`${C}/reports/ratings?from=${Date.now() - 86_400_000}&to=${Date.now() + 60_000}`);
      assert.equal(r.status, 200, r.text);
      const dana = r.json.rows.filter((row) => row.agent_id === "op_demo");
      assert.equal(dana.length, 1, JSON.stringify(r.json));
      assert.equal(dana[0].survey_num_bad, 1);
      assert.equal(dana[0].survey_num_good, 0);
      assert.equal(dana[0].happy_percent, 0);
      assert.ok(dana[0].workshift_start, "Dana's bad rating counts in her work shift");
      const sam = await edge.login("sam");
      assert.equal((await get(`${C}/reports/ratings`, sam)).status, 403, "operators who are not admins");

      await op.getByRole("button", { name: "Reports" }).click();
      const table = op.getByRole("table", { name: /Ratings per operator/ });
      const row = table.getByRole("row").filter({ hasText: "Dana" });
      await row.waitFor();
      const cells = await row.getByRole("cell").allInnerTexts();
      // Work shift, Good, Moderate, Bad, Not rated, Happy.
      assert.deepEqual(cells.slice(1), ["0", "0", "1", "0", "0%"], cells.join(" | "));
      const href = await op.getByRole("link", { name: "Download Ratings (CSV)" }).getAttribute("href");
      const csv = await get(href);
      assert.equal(csv.status, 200);
      const lines = csv.text.trim().split("\n");
      assert.equal(lines[0], "agent_id,agent_name,workshift_start,workshift_end,survey_num_good,"
        + "survey_num_moderate,survey_num_bad,survey_num_not_rated,happy_percent");
      assert.ok(lines.some((l) => /^op_demo,Dana Demo,\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,[^,]+,0,0,1,0,0$/.test(l)), csv.text);
    });

    await step(vis, "flow-blocked-visitor-cannot-start-again", async () => {
      const blocked = await postJson(edge.base, `${C}/conversations/${conversationId}/block`,
        { reason: "Abusive after the chat" }, { cookie: admin });
      assert.equal(blocked.status, 201, JSON.stringify(blocked.json));
      await vis.getByRole("button", { name: "Start a new chat" }).click();
      await vis.getByRole("textbox", { name: "Message" }).fill("Me again");
      await vis.getByRole("button", { name: "Send message" }).click();
      await vis.getByRole("alert").getByText(POLITE, { exact: true }).waitFor();
      assert.ok(!(await vis.content()).includes("Abusive"), "the reason is never shown");
    });
  } finally {
    await consoleCtx.close();
    await visitorCtx.close();
  }
});

test("a forged identify hash is refused (403 bad_identity) and the widget stays anonymous", async () => {
  const good = createHmac("sha256", SECRET).update("user-42").digest("hex");
  const forged = createHmac("sha256", "not-the-secret").update("user-42").digest("hex");

  // At the protocol level: the forged hash is refused, the real one accepted.
  const session = (hash) => postJson(edge.base, "/api/v1/widget/session",
    { channel_id: "demo", identity: { id: "user-42", hash, name: "Mallory", email: "m@example.com" } });
  const refused = await session(forged);
  assert.equal(refused.status, 403, JSON.stringify(refused.json));
  assert.equal(refused.json.error.code, "bad_identity");
  const accepted = await session(good);
  assert.equal(accepted.status, 200, JSON.stringify(accepted.json));
  assert.equal(accepted.json.identified, true);

  // In the widget: the site calls Parley.identify with the forged hash.
  const ctx = await browser.newContext();
  const vis = await ctx.newPage();
  try {
    await step(vis, "forged-identity-widget", async () => {
      const errors = [];
      vis.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
      const forbidden = vis.waitForResponse((r) => r.url().endsWith("/api/v1/widget/session") && r.status() === 403);
      await vis.goto(edge.base + "/");
      await vis.evaluate((hash) => window.Parley.identify({ id: "user-42", hash, name: "Mallory" }), forged);
      const r = await forbidden;
      assert.equal((await r.json()).error.code, "bad_identity");
      assert.ok(r.request().postData().includes("user-42"));

      // The widget goes on anonymously: the visitor chats, the conversation is not user-42's.
      await vis.getByRole("button", { name: "Open chat" }).click();
      await vis.getByRole("textbox", { name: "Message" }).fill("Am I anyone?");
      const created = vis.waitForResponse((r) => r.url().endsWith("/api/v1/conversations") && r.status() === 200);
      await vis.getByRole("button", { name: "Send message" }).click();
      const id = (await (await created).json()).conversation_id;
      assert.ok(errors.some((e) => e.includes("Parley: identify refused")), errors.join("\n"));
      const s = await summaryWhen(id, () => true, "anonymous conversation listed");
      assert.equal(s.anonymous, true, JSON.stringify(s));
      assert.notEqual(s.visitor_id, accepted.json.visitor_id, "not the identified visitor");
      assert.notEqual(s.visitor_identifier, "user-42");
    });
  } finally {
    await ctx.close();
  }
});
