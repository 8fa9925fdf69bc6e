// The widget's JS API and the end of a chat, in Chromium against a real `wrangler dev`: calls
// made before the app loaded (on, goal, open) run in order once it has ("ready" then "opened");
// a listener that throws breaks nothing; the pre-chat form comes before the first message is
// sent (the edge's refusal of a field shows next to it); message / chat_started / chat_ended /
// rated events carry their data; Parley.close, open and off; a goal from code and a page-URL
// goal reach the conversation (and the next one); the rating card after the operator ends
// ("Bad" + comment); Parley.identify with a good hash (no form, same visitor on a second device,
// the open chat resumes; also when called after load) and with a forged one (console error,
// anonymous).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { step } from "./harness.mjs";
import { ProtoClient, waitUntil } from "./proto-client.mjs";
import { useEdge, until, conversationSummaryWhen } from "./fixtures.mjs";

const SECRET = "5ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2";
const FORM = JSON.stringify([
  { key: "name", label: "Your name", required: true },
  { key: "email", label: "Email", required: false },
]);
const { edge, browser, clients } = useEdge({
  browser: true,
  extraSql: `UPDATE entry_points SET enabled = 0 WHERE id = 'ep_welcome';
UPDATE channels SET identity_secret = '${SECRET}', prechat_form = '${FORM}' WHERE id = 'demo';`,
  setup: async () => {
    dana = await edge.login();
  },
});
let dana;

/**
 * A browser page for the demo host page at `path` (served by the edge, its snippet loads the
 * widget). `script` runs right after the loader has defined `window.Parley`, before the app can
 * load: an init script hooks the loader's last assignment (`Parley.invite`).
 */
async function hostPage(script) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const logs = { error: [], warning: [] };
  page.on("console", (m) => logs[m.type()]?.push(m.text()));
  page.on("pageerror", (e) => logs.error.push(String(e)));
  if (process.env.PARLEY_E2E_DEBUG) page.on("console", (m) => console.log(`[page ${m.type()}] ${m.text()}`));
  await ctx.addInitScript(`window.seen = []; window.record = (e) => Parley.on(e, (d) => seen.push([e, d]));
window.Parley = {};
Object.defineProperty(window.Parley, "invite", { configurable: true, set(f) {
  Object.defineProperty(this, "invite", { value: f, writable: true, configurable: true });
  ${script}
} });`);
  return { ctx, page, logs };
}

const REC = `"ready opened closed message chat_started chat_ended rated".split(" ").forEach(record);`;

const seen = (page) => page.evaluate(() => window.seen);
const names = async (page) => (await seen(page)).map(([e]) => e);

const summaryWhen = (id, pred, label) => conversationSummaryWhen(edge, dana, id, pred, label, 15_000);

test("queued calls, events, pre-chat form, goals, close/open and the rating card", async () => {
  const { page, logs } = await hostPage(`${REC}
Parley.on("ready", () => { throw new Error("a broken listener"); });
Parley.goal("Signed up", 12.5);
Parley.goal("No such goal");
Parley.open();`);
  const panel = page.getByRole("dialog", { name: "Chat" });
  let conversationId;

  await step(page, "queued-calls-run-in-order", async () => {
    await page.goto(edge.base + "/demo/shop");
    await panel.waitFor();
    await until(async () => (await names(page)).includes("opened"), "opened");
    assert.deepEqual(await names(page), ["ready", "opened"]);
    assert.deepEqual((await seen(page))[0][1], { identified: false });
    assert.ok(logs.error.some((t) => t.includes("Parley: ready listener failed")), logs.error.join("\n"));
    assert.ok(logs.warning.some((t) => t.includes("Parley: goal not counted: unknown_goal No such goal")), logs.warning.join("\n"));
  });

  await step(page, "pre-chat-form-then-the-message", async () => {
    const composer = page.getByRole("textbox", { name: "Message" });
    await composer.fill("Do you ship tents to Norway?");
    await page.getByRole("button", { name: "Send message" }).click();
    const form = page.getByRole("form", { name: "Before we start" });
    await form.waitFor();
    const name = form.getByLabel("Your name");
    assert.equal(await name.getAttribute("required"), "");
    assert.equal(await form.getByLabel("Email").getAttribute("type"), "email");
    assert.equal(await composer.isVisible(), false, "the composer waits for the form");
    // Past the browser's own check, the edge refuses the empty required field: its message shows.
    await form.evaluate((f) => { f.noValidate = true; });
    await form.getByRole("button", { name: "Start chat" }).click();
    await form.getByRole("alert").getByText("Your name is required.").waitFor();
    await name.fill("Ada Lovelace");
    await form.getByLabel("Email").fill("ada@example.com");
    await form.getByRole("button", { name: "Start chat" }).click();
    await form.waitFor({ state: "hidden" });
    const log = page.getByRole("log", { name: "Messages" });
    await log.getByText("Do you ship tents to Norway?").waitFor();
    await log.getByText("Sending…").waitFor({ state: "detached" });
    await until(async () => (await names(page)).includes("message"), "the message event");
    const all = await seen(page);
    const started = all.find(([e]) => e === "chat_started")[1];
    conversationId = started.conversation_id;
    assert.match(conversationId, /^c_/);
    const msg = all.find(([e]) => e === "message")[1];
    assert.equal(msg.text, "Do you ship tents to Norway?");
    assert.equal(msg.author.role, "visitor");
    assert.equal(typeof msg.at, "number");
    const s = await summaryWhen(conversationId, (s) => s.goals.length === 1, "the code goal on the conversation");
    assert.deepEqual(s.goals.map((g) => [g.name, g.value]), [["Signed up", 12.5]]);
    assert.deepEqual(s.prechat, [["name", "Ada Lovelace"], ["email", "ada@example.com"]]);
    assert.equal(s.visitor_email, "ada@example.com");
  });

  await step(page, "close-and-open", async () => {
    await page.evaluate(() => {
      window.offCalls = 0;
      const f = () => window.offCalls++;
      Parley.on("closed", f);
      Parley.off("closed", f);
      Parley.close();
    });
    await panel.waitFor({ state: "hidden" });
    assert.equal(await page.evaluate(() => window.offCalls), 0, "a listener taken off is not called");
    await page.evaluate(() => Parley.open());
    await panel.waitFor();
    const n = await names(page);
    assert.deepEqual(n.slice(n.indexOf("closed")), ["closed", "opened"]);
  });

  await step(page, "a-page-goal-on-the-next-page-resumes-and-sends", async () => {
    await page.goto(edge.base + "/demo/pricing");
    await page.getByRole("log", { name: "Messages" }).getByText("Do you ship tents to Norway?").waitFor();
    const s = await summaryWhen(conversationId, (s) => s.goals.length === 2, "the page goal");
    assert.deepEqual(s.goals.map((g) => g.name), ["Signed up", "Saw pricing"]);
    await page.goto(edge.base + "/demo/shop");
    await page.getByRole("log", { name: "Messages" }).getByText("Do you ship tents to Norway?").waitFor();
  });

  await step(page, "operator-message-and-end-then-rating", async () => {
    const op = new ProtoClient({ base: edge.base, conversationId, role: "operator", cookie: dana });
    clients.push(op);
    await op.start();
    op.send("Yes, to all of Scandinavia.");
    await page.getByText("Yes, to all of Scandinavia.").waitFor();
    await until(async () => (await seen(page)).some(([e, d]) => e === "message" && d.author.role === "operator"), "operator message event");
    const m = (await seen(page)).find(([e, d]) => e === "message" && d.author.role === "operator")[1];
    assert.equal(m.text, "Yes, to all of Scandinavia.");
    assert.equal(m.author.name, "Dana");
    op.sendFrame({ type: "end" });
    await waitUntil([op], () => op.status === "closed", "closed");
    const card = page.getByRole("form", { name: "Rate this chat" });
    await card.getByText("How was this chat?").waitFor();
    await until(async () => (await names(page)).includes("chat_ended"), "chat_ended");
    assert.deepEqual((await seen(page)).find(([e]) => e === "chat_ended")[1], { conversation_id: conversationId });
    const send = card.getByRole("button", { name: "Send rating" });
    assert.equal(await send.isDisabled(), true, "nothing to send before a rating is chosen");
    const bad = card.getByRole("button", { name: "Bad" });
    assert.equal(await bad.getAttribute("aria-pressed"), "false");
    await bad.focus();
    await page.keyboard.press("Enter");
    assert.equal(await bad.getAttribute("aria-pressed"), "true");
    assert.equal(await card.getByRole("button", { name: "Good" }).getAttribute("aria-pressed"), "false");
    await card.getByLabel("Comment").fill("too slow");
    await send.click();
    await page.getByText("Thank you for your feedback.").waitFor();
    await card.waitFor({ state: "hidden" });
    await until(async () => (await names(page)).includes("rated"), "rated");
    assert.deepEqual((await seen(page)).find(([e]) => e === "rated")[1], { rating: "bad", comment: "too slow" });
    const s = await summaryWhen(conversationId, (s) => s.survey_result === "bad", "the rating stored");
    assert.equal(s.survey_comment, "too slow");
  });

  await step(page, "the-next-message-starts-a-new-chat", async () => {
    await page.getByRole("button", { name: "Start a new chat" }).click();
    await page.getByText("Thank you for your feedback.").waitFor({ state: "hidden" });
    await page.getByRole("textbox", { name: "Message" }).fill("One more question");
    await page.getByRole("button", { name: "Send message" }).click();
    // The form's answers are kept in this browser: no second form. (`seen` starts again with each page.)
    await until(async () => (await names(page)).includes("chat_started"), "a new chat");
    const next = (await seen(page)).find(([e]) => e === "chat_started")[1].conversation_id;
    assert.notEqual(next, conversationId);
    // The session's goals go with the new conversation too.
    await summaryWhen(next, (s) => s.goals.length === 2, "the session's goals on the new chat");
  });
});

test("identify: a good hash skips the form and follows the visitor to another device; a forged one is refused", async () => {
  const hash = createHmac("sha256", SECRET).update("user-42").digest("hex");
  const ident = (h) => `${REC} Parley.identify({ id: "user-42", hash: "${h}", name: "Ada", email: "ada@example.com" });`;
  const first = await hostPage(ident(hash));
  const sessions = [];
  first.page.on("request", (r) => r.url().endsWith("/api/v1/widget/session") && sessions.push(JSON.parse(r.postData())));
  let visitorId, conversationId;

  await step(first.page, "identified-no-form", async () => {
    const answer = first.page.waitForResponse((r) => r.url().endsWith("/api/v1/widget/session"));
    await first.page.goto(edge.base + "/demo/account");
    visitorId = (await (await answer).json()).visitor_id;
    assert.equal(sessions[0].identity.id, "user-42", "identify reached the first session request");
    await until(async () => (await names(first.page)).includes("ready"), "ready");
    assert.deepEqual((await seen(first.page))[0][1], { identified: true });
    await first.page.getByRole("button", { name: "Open chat" }).click();
    await first.page.getByRole("textbox", { name: "Message" }).fill("Where is my order?");
    await first.page.getByRole("button", { name: "Send message" }).click();
    await first.page.getByRole("log", { name: "Messages" }).getByText("Sending…").waitFor({ state: "detached" });
    assert.equal(await first.page.getByRole("form", { name: "Before we start" }).isVisible(), false);
    conversationId = (await seen(first.page)).find(([e]) => e === "chat_started")[1].conversation_id;
    const s = await summaryWhen(conversationId, (s) => s.visitor_identifier === "user-42", "identified");
    assert.equal(s.anonymous, false);
  });

  const second = await hostPage(ident(hash));
  await step(second.page, "second-device-resumes", async () => {
    const answer = second.page.waitForResponse((r) => r.url().endsWith("/api/v1/widget/session"));
    await second.page.goto(edge.base + "/demo/account");
    assert.equal((await (await answer).json()).visitor_id, visitorId, "the same visitor on every device");
    await second.page.evaluate(() => Parley.open());
    await second.page.getByRole("log", { name: "Messages" }).getByText("Where is my order?").waitFor();
  });

  const forged = await hostPage(ident("00".repeat(32)));
  await step(forged.page, "forged-hash-refused", async () => {
    await forged.page.goto(edge.base + "/demo/account");
    await until(async () => (await names(forged.page)).includes("ready"), "ready");
    assert.deepEqual((await seen(forged.page))[0][1], { identified: false });
    assert.ok(forged.logs.error.some((t) => t.startsWith("Parley: identify refused: ")), forged.logs.error.join("\n"));
    await forged.page.evaluate(() => Parley.open());
    await forged.page.getByRole("textbox", { name: "Message" }).fill("Hello?");
    await forged.page.getByRole("button", { name: "Send message" }).click();
    // Anonymous: the channel's pre-chat form is asked.
    await forged.page.getByRole("form", { name: "Before we start" }).waitFor();
  });

  await step(first.page, "identify-after-load-asks-again", async () => {
    const anon = await hostPage(REC);
    await anon.page.goto(edge.base + "/demo/later");
    await until(async () => (await names(anon.page)).includes("ready"), "ready");
    const again = anon.page.waitForResponse((r) => r.url().endsWith("/api/v1/widget/session"));
    await anon.page.evaluate((h) => Parley.identify({ id: "user-42", hash: h }), hash);
    assert.equal((await (await again).json()).visitor_id, visitorId);
    await anon.page.evaluate(() => Parley.open());
    await anon.page.getByRole("log", { name: "Messages" }).getByText("Where is my order?").waitFor();
  });
});
