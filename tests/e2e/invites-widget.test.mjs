// The widget's side of automatic invites, in Chromium against a real `wrangler dev`: a rule on
// the pricing page invites after 3 s on the page in the visitor's language, "Chat now" opens
// the panel with that greeting, and the conversation it starts is recorded as an invite with
// its decision time; `Parley.invite(name)` from the host page invites at once; leaving the page
// with an invite on screen reports it ignored (by beacon); a rule capped at one showing per
// visitor does not show again (the next rule does). The events the widget
// reports on the way are checked as they leave the page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { step } from "./harness.mjs";
import { useEdge, until as poll } from "./fixtures.mjs";

const PRICING = "Fragen zu unseren Preisen? Wir helfen gern.";
const PRICING_EN = "Questions about pricing? We are happy to help.";
const LATER = "Still comparing plans? Ask us anything.";

const invite = (when, cap, greetings) => JSON.stringify({
  when, always_show: false, max_per_visitor: cap, display_timeout_ms: 120000,
  greetings: greetings.map(([language, text]) => ({ language, text })),
}).replaceAll("'", "''");
const onPricingAfter = (seconds) => ({
  if: "all", all: [{ if: "page_url", glob: "*/demo/pricing*" }, { if: "time_on_page_at_least", seconds }],
});
const RULES = `
UPDATE entry_points SET enabled = 0 WHERE id = 'ep_welcome';
INSERT INTO entry_points (id, account_id, channel_id, kind, name, enabled, invite, position, created_at, updated_at)
VALUES ('ep_pricing', 'acc_demo', 'demo', 'invite', 'Pricing help', 1,
  '${invite(onPricingAfter(3), 1, [["en", PRICING_EN], ["de", PRICING]])}', 1, 0, 0);
INSERT INTO entry_points (id, account_id, channel_id, kind, name, enabled, invite, position, created_at, updated_at)
VALUES ('ep_later', 'acc_demo', 'demo', 'invite', 'Later help', 1,
  '${invite(onPricingAfter(4), 0, [["en", LATER]])}', 2, 0, 0);
`;

// Tallies are written to D1 within half a second, so the report shows beacon-sent steps soon.
const { edge, browser } = useEdge({ browser: true, extraSql: RULES, vars: { PARLEY_TALLY_FLUSH_MS: "500" } });

/** A visitor page that records every event batch the widget posts (and the answers). */
async function visitorPage(options = {}) {
  const ctx = await browser.newContext(options);
  const page = await ctx.newPage();
  const events = [];
  const answers = [];
  page.on("request", (r) => {
    if (r.url().endsWith("/api/v1/widget/events") && r.method() === "POST") events.push(...JSON.parse(r.postData()).events);
  });
  page.on("response", (r) => {
    if (r.url().endsWith("/api/v1/widget/events")) answers.push(r.status());
  });
  const warnings = [];
  page.on("console", (m) => m.type() === "warning" && warnings.push(m.text()));
  return { ctx, page, events, answers, warnings };
}

/** Polls until `pred()` (may be async) holds (10 s deadline). */
const until = (pred, label) => poll(pred, label, 10_000);

const kinds = (events) => events.map((e) => e.kind);

test("a rule invites on the pricing page in the visitor's language; the chat it starts is an invite's", async () => {
  const { page, events, answers, ctx } = await visitorPage({ locale: "de-DE" });
  // The widget speaks the visitor's language (German here): its labels too.
  const card = page.getByRole("dialog", { name: "Chat-Einladung" });
  let started;

  await step(page, "invite-appears", async () => {
    started = Date.now();
    await page.goto(edge.base + "/demo/pricing");
    await card.getByText(PRICING).waitFor({ timeout: 15_000 });
    assert.ok(Date.now() - started >= 2_500, "not before 3 s on the page");
    await until(() => kinds(events).includes("shown"), "the shown event");
    const shown = events.find((e) => e.kind === "shown");
    assert.equal(shown.entry_point, "ep_pricing");
    assert.equal(shown.timeout_ms, 120000);
    assert.match(shown.invite, /^[A-Za-z0-9_-]{1,64}$/);
    assert.match(shown.id, /^[A-Za-z0-9_-]{1,64}$/);
    // The page view and the chat button's view are the edge's (counted from the look request):
    // the widget reports neither.
    assert.deepEqual(events.filter((e) => e.kind === "visit" || e.kind === "view"), []);
  });

  await step(page, "chat-now-opens-the-panel-with-the-greeting", async () => {
    await card.getByRole("button", { name: "Jetzt chatten" }).click();
    await card.waitFor({ state: "hidden" });
    const log = page.getByRole("log", { name: "Nachrichten" });
    await log.getByText(PRICING).waitFor();
    const composer = page.getByRole("textbox", { name: "Nachricht" });
    await until(() => composer.evaluate((el) => el.getRootNode().activeElement === el), "the composer focused");
    await until(() => kinds(events).includes("accepted"), "the accepted event");
    const shown = events.find((e) => e.kind === "shown");
    assert.equal(events.find((e) => e.kind === "accepted").invite, shown.invite);
    await composer.fill("Is the family tent cheaper in winter?");
    await page.getByRole("button", { name: "Nachricht senden" }).click();
    await log.getByText("Wird gesendet…").waitFor({ state: "detached" });
    await until(() => answers.length > 0, "an answer to the events");
    assert.ok(answers.every((s) => s === 200), `events answered ${answers}`);
  });

  await step(page, "the-conversation-records-its-entry-point", async () => {
    const cookie = await edge.login();
    // The list reads D1, which the conversation's object copies to a moment after the message.
    let conv;
    await until(async () => {
      const res = await fetch(edge.base + "/api/v1/console/conversations", { headers: { cookie } });
      const { conversations } = await res.json();
      conv = conversations.find((c) => c.last_message_preview.startsWith("Is the family tent"));
      return conv;
    }, "the conversation listed with its message");
    assert.equal(conv.request_type, "invite");
    assert.equal(conv.request_source, "Pricing help");
    assert.ok(conv.decision_ms > 0, `decision time ${conv.decision_ms}`);
  });
  await ctx.close();
});

test("Parley.invite(name) invites at once, before and after the widget loaded; unknown names warn", async () => {
  const { page, events, warnings, ctx } = await visitorPage({ locale: "en-GB" });
  const card = page.getByRole("dialog", { name: "Chat invitation" });
  await step(page, "parley-invite", async () => {
    // Called as soon as the loader ran: queued, and loads the widget without waiting for idle.
    await page.goto(edge.base + "/demo/");
    await page.evaluate(() => { window.Parley.invite("no such invite"); window.Parley.invite("pricing HELP"); });
    await card.getByText(PRICING_EN).waitFor();
    await until(() => warnings.some((w) => w.includes("no such invite")), "the warning");
    await until(() => kinds(events).includes("shown"), "the shown event");
    await card.getByRole("button", { name: "Close invitation" }).click();
    await card.waitFor({ state: "hidden" });
    await until(() => kinds(events).includes("declined"), "the declined event");
    // Once loaded, the call goes straight to the widget.
    await page.evaluate(() => window.Parley.invite("Later help"));
    await card.getByText(LATER).waitFor();
    // The card is drawn before its `shown` event reaches the page's listener.
    await until(() => kinds(events).filter((k) => k === "shown").length >= 2, "the second shown event");
    assert.equal(kinds(events).filter((k) => k === "shown").length, 2);
  });
  await ctx.close();
});

test("leaving the page with an invite on screen reports it ignored; a rule capped at one showing does not show again", async () => {
  const { page, events, ctx } = await visitorPage();
  const card = page.getByRole("dialog", { name: "Chat invitation" });
  await step(page, "capped", async () => {
    await page.goto(edge.base + "/demo/pricing");
    await card.getByText(PRICING_EN).waitFor({ timeout: 15_000 });
    await until(() => kinds(events).includes("shown"), "the shown event");
    // Consent-first storage: the cap is remembered across pages once the site says the visitor
    // consented (or they interacted with the widget).
    await page.evaluate(() => window.Parley.consent());
    // Leaving the page: the step goes out as a beacon (text/plain; the browser does not show
    // it to the page's request listeners), and the edge counts it.
    const cookie = await edge.login();
    const ignored = async () => {
      const res = await fetch(edge.base + "/api/v1/console/reports/invites", { headers: { cookie } });
      const { rows } = await res.json();
      return rows.filter((r) => r.filter_name === "Pricing help").reduce((n, r) => n + r.num_proactive_ignored, 0);
    };
    assert.equal(await ignored(), 0);
    await page.goto(edge.base + "/demo/pricing?again=1");
    await until(async () => (await ignored()) === 1, "the ignored invite in the report");
    await card.getByText(LATER).waitFor({ timeout: 15_000 });
    assert.equal(await card.getByText(PRICING_EN).count(), 0);
  });
  await ctx.close();
});
