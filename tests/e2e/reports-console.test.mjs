// The console's Reports → "All reports" in Chromium against `wrangler dev`: the demo admin makes
// a chat (proto clients), picks "Conversations" and shows it — the table's header is exactly the
// report's columns (seed 001: chatcampaign_id, conversation_start, …) with a row for the chat —
// and "Download CSV" carries the very query of what is shown (its period, zone and filters)
// and downloads the same cells; "Statistics by hour" draws its bars in an SVG chart; a bad
// filter shows next to its field; the row's "Transcript" opens the messages (markup as text)
// and "Copy link" copies a URL that opens the same transcript.
import { test } from "node:test";
import assert from "node:assert/strict";
import { step, consoleLogin } from "./harness.mjs";
import { newConversation, ProtoClient } from "./proto-client.mjs";
import { useEdge, transcriptWith } from "./fixtures.mjs";

const VISITOR_TEXT = "Hello from the reports test <b>not bold</b>";
const OPERATOR_TEXT = "Hi, Dana here & happy to help";
const { edge, browser, clients } = useEdge({
  browser: true,
  setup: async () => {
    // One chat: a visitor message and the operator's answer, copied to D1 by the conversation.
    const dana = await edge.login();
    chat = await newConversation(edge.base);
    const visitor = new ProtoClient({ base: edge.base, role: "visitor", ...chat });
    const op = new ProtoClient({ base: edge.base, conversationId: chat.conversationId, role: "operator", cookie: dana });
    clients.push(visitor, op);
    await Promise.all([visitor.start(), op.start()]);
    await visitor.waitForAck(visitor.send(VISITOR_TEXT));
    await op.waitForAck(op.send(OPERATOR_TEXT));
    await transcriptWith(edge, dana, chat.conversationId, 2);
  },
});
let chat;

const pad = (n) => String(n).padStart(2, "0");
const localDay = (offset) => {
  const d = new Date();
  d.setDate(d.getDate() + offset);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
};

/** A table's CSV as the edge writes it (RFC 4180, quotes only where needed). */
function csvOf(columns, rows) {
  const cell = (v, only) => (/[",\r\n]/.test(v) || (only && v === "") ? `"${v.replaceAll('"', '""')}"` : v);
  const line = (cells) => cells.map((v) => cell(v, cells.length === 1)).join(",") + "\n";
  return line(columns) + rows.map(line).join("");
}

/** Picks `slug`, clicks Show; resolves the JSON the console received (and its request URL). */
async function show(page, slug) {
  await page.getByLabel("Report", { exact: true }).selectOption(slug);
  const [res] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === `/api/v1/reports/${slug}`),
    page.getByRole("button", { name: "Show", exact: true }).click(),
  ]);
  assert.equal(res.status(), 200, await res.text());
  return { url: new URL(res.url()), json: await res.json() };
}

test("All reports: Conversations table and CSV, by-hour chart, field errors, transcript with Copy link", async () => {
  const ctx = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
  const page = await ctx.newPage();
  try {
    await consoleLogin(page, edge.base);
    await page.getByRole("button", { name: "Reports" }).click();
    await page.getByRole("tab", { name: "All reports" }).click();

    let shown;
    await step(page, "reports-console-conversations", async () => {
      // Default period: the last 7 local days, today included, sent as dates.
      assert.equal(await page.getByLabel("From", { exact: true }).inputValue(), localDay(-6));
      assert.equal(await page.getByLabel("To", { exact: true }).inputValue(), localDay(0));
      shown = await show(page, "conversations");
      assert.equal(shown.url.searchParams.get("from"), localDay(-6));
      assert.equal(shown.url.searchParams.get("to"), localDay(0));
      const { table, query } = shown.json;
      assert.equal(table.columns[0], "chatcampaign_id");
      assert.equal(table.columns[1], "conversation_start");

      const view = page.getByRole("region", { name: "Conversations" });
      const heads = await view.locator("thead th[data-col]").allTextContents();
      assert.deepEqual(heads, table.columns, "the header is exactly the report's columns");
      const row = view.locator(`tr[data-conversation="${chat.conversationId}"]`);
      await row.waitFor();
      assert.equal(await row.locator("td").first().textContent(), "demo");
      assert.equal(await view.locator("tbody tr").count(), table.rows.length);
      // The zone the dates were read in.
      await page.getByText(`Dates are days in the account's time zone: ${query.tz}`).waitFor();
      await view.getByText(`times in ${query.tz}`).waitFor();

      // Download CSV: the same report, period, zone and filters as shown, the same cells.
      const href = await view.getByRole("link", { name: "Download CSV" }).getAttribute("href");
      const csvUrl = new URL(href, edge.base);
      assert.equal(csvUrl.pathname, "/api/v1/reports/conversations.csv");
      assert.equal(csvUrl.searchParams.get("from"), String(query.from));
      assert.equal(csvUrl.searchParams.get("to"), String(query.to));
      assert.equal(csvUrl.searchParams.get("tz"), query.tz);
      assert.deepEqual([...csvUrl.searchParams.keys()], ["from", "to", "tz"]);
      const csv = await page.request.get(csvUrl.href);
      assert.equal(csv.status(), 200);
      assert.equal(await csv.text(), csvOf(table.columns, table.rows));
    });

    await step(page, "reports-console-filters", async () => {
      // A filter goes into the query and the CSV link; a closed-only status hides the open chat.
      await page.getByLabel("Status", { exact: true }).selectOption("closed");
      await page.getByLabel("Channel", { exact: true }).selectOption({ label: "Demo channel" });
      const { url, json } = await show(page, "conversations");
      assert.equal(url.searchParams.get("status"), "closed");
      assert.equal(url.searchParams.get("channel"), "demo");
      const view = page.getByRole("region", { name: "Conversations" });
      assert.equal(await view.locator(`tr[data-conversation="${chat.conversationId}"]`).count(), 0);
      assert.ok(!json.table.conversations?.includes(chat.conversationId));
      const href = await view.getByRole("link", { name: "Download CSV" }).getAttribute("href");
      assert.match(href, /&channel=demo&status=closed$/);
      await page.getByLabel("Status", { exact: true }).selectOption("all");

      // Host: a select of the account's hosts (from the Hosts report); the chat came from 127.0.0.1.
      await page.getByLabel("Host", { exact: true }).selectOption({ label: "127.0.0.1" });
      let r = await show(page, "conversations");
      assert.equal(r.url.searchParams.get("host"), "h_demo_ip");
      await view.locator(`tr[data-conversation="${chat.conversationId}"]`).waitFor();
      await page.getByLabel("Host", { exact: true }).selectOption({ label: "localhost" });
      r = await show(page, "conversations");
      assert.equal(r.url.searchParams.get("host"), "h_demo_local");
      assert.equal(await view.locator(`tr[data-conversation="${chat.conversationId}"]`).count(), 0);
      await page.getByLabel("Host", { exact: true }).selectOption({ label: "All" });

      // To before From: refused in the browser, shown next to "To", nothing fetched.
      await page.getByLabel("To", { exact: true }).fill("2000-01-01");
      await page.getByRole("button", { name: "Show", exact: true }).click();
      await page.locator("#rpt-to-error").getByText("To must be on or after From.").waitFor();
      assert.equal(await page.getByLabel("To", { exact: true }).getAttribute("aria-invalid"), "true");
      // A period the edge refuses (over 366 days): its 400 names the field, shown next to it.
      await page.getByLabel("From", { exact: true }).fill("1998-01-01");
      await page.getByRole("button", { name: "Show", exact: true }).click();
      await page.locator("#rpt-to-error").getByText(/366 days/).waitFor();
      await page.getByLabel("From", { exact: true }).fill(localDay(-6));
      await page.getByLabel("To", { exact: true }).fill(localDay(0));
    });

    await step(page, "reports-console-chart", async () => {
      // Statistics by hour: a bar chart (SVG) with a bar per hour and series.
      await page.getByLabel("Channel", { exact: true }).selectOption({ label: "All" });
      const { json } = await show(page, "by_hour");
      assert.ok(json.table.chart, "by hour has a chart");
      const view = page.getByRole("region", { name: "Statistics by hour" });
      const svg = view.getByRole("img", { name: /\(chart\)$/ });
      await svg.waitFor();
      const bars = svg.locator("rect.chart-bar");
      const { labels, series } = json.table.chart;
      assert.equal(await bars.count(), labels.length * series.length);
      const values = await bars.evaluateAll((rs) => rs.map((r) => Number(r.getAttribute("data-value"))));
      assert.ok(values.some((v) => v > 0), `some hour has the chat: ${values}`);
      // Each bar says what it is (SVG <title>: tooltip and accessible name).
      const title = await svg.locator("g.chart-item title").first().textContent();
      assert.match(title, /: \d/);
    });

    await step(page, "reports-console-transcript", async () => {
      await page.getByLabel("Channel", { exact: true }).selectOption({ label: "All" });
      await show(page, "conversations");
      const view = page.getByRole("region", { name: "Conversations" });
      await view.locator(`tr[data-conversation="${chat.conversationId}"]`)
        .getByRole("link", { name: `Transcript of conversation ${chat.conversationId}` }).click();
      const dialog = page.getByRole("dialog", { name: "Transcript" });
      await dialog.getByText(VISITOR_TEXT, { exact: true }).waitFor();
      await dialog.getByText(OPERATOR_TEXT, { exact: true }).waitFor();
      assert.equal(await dialog.locator(".rep-msg-text b").count(), 0, "markup shown as text");
      const authors = await dialog.locator(".rep-msg-author").allTextContents();
      assert.deepEqual(authors, ["Visitor", "Dana"]);
      await dialog.getByText("Not asked for a rating.").waitFor();
      assert.match(page.url(), new RegExp(`#/transcript/${chat.conversationId}$`));

      await dialog.getByRole("button", { name: "Copy link" }).click();
      await dialog.getByRole("status").getByText("Link copied.").waitFor();
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      assert.ok(copied.startsWith(`${edge.base}/console`), copied);
      assert.ok(copied.endsWith(`#/transcript/${chat.conversationId}`), copied);

      await dialog.getByRole("button", { name: "Close" }).click();
      assert.equal(await page.getByRole("dialog").count(), 0);

      // The copied link opens the transcript by URL (after the login the session keeps).
      const other = await ctx.newPage();
      await other.goto(copied);
      const again = other.getByRole("dialog", { name: "Transcript" });
      await again.getByText(OPERATOR_TEXT, { exact: true }).waitFor();
      // Focus starts in the dialog: Escape closes it.
      await other.keyboard.press("Escape");
      await again.waitFor({ state: "detached" });
      await other.close();
    });
  } finally {
    await ctx.close();
  }
});
