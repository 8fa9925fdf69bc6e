// Issue 7 "Done when": the console shows every report on the demo data after a few chats made
// by hand. Real edge (`wrangler dev`), real chats through proto clients:
// - A: a visitor on /demo/pricing asks, Dana answers and ends it, saves an outcome (Sale, tags
//   vip + pricing, Billing / Refund), and the visitor rates it "good" with a comment;
// - B: a visitor asks, Dana answers, hands the chat to Sam, Sam answers, the visitor ends it;
// - C: a visitor asks and nobody answers (still open).
// Then one console page, one login: Reports → All reports and, for every report of the picker
// (the 24 `ReportId`s), pick it, Show, and check: no error alert; the header is exactly
// `table.columns` of `GET /api/v1/reports/<slug>?<the same query>` (also without rows); as many
// rows (at most 500 drawn), the first one's cells; a chart when the JSON has one and rows; "Download CSV" answers 200 text/csv with the same
// header line. A failing report leaves a screenshot in tests/artifacts/ (harness `step`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { step, consoleLogin, goOnline } from "./harness.mjs";
import { postJson, newConversation, ProtoClient, waitUntil } from "./proto-client.mjs";
import { useEdge, conversationSummaryWhen, transcriptWith, C } from "./fixtures.mjs";

/** The picker's reports: every `ReportId` (reports/src/query.rs), in no special order. */
const SLUGS = [
  "agent_activity", "agent_performance", "agents", "conversations", "invites", "hosts", "traffic", "slots",
  "sessions", "session_statistics", "operator_analysis", "ratings", "overview", "by_operator", "by_hour",
  "by_date", "by_channel", "working_time", "message_history", "tags", "productivity", "web_pages",
  "popular_phrases", "visitor_phrases",
];
const MAX_ROWS = 500;
const { edge, browser, clients } = useEdge({
  browser: true,
  setup: async () => {
    dana = await edge.login();

    // A: answered by Dana, ended by her, outcome with tags, rated good.
    chats.a = await newConversation(edge.base, { pageUrl: `${edge.base}/demo/pricing?plan=pro` });
    const va = await client(chats.a);
    const oa = await client(chats.a, dana);
    await assignedTo(va, "Dana");
    await va.waitForAck(va.send("Hello, how much is the Pro plan?"));
    await oa.waitForAck(oa.send("Hi! It is 49 a month."));
    await va.waitForAck(va.send("Thanks, and is there a yearly price?"));
    await oa.waitForAck(oa.send("Yes: 490 a year."));
    oa.sendFrame({ type: "end" });
    await waitUntil([va], () => va.status === "closed", "A closed for the visitor");
    await summaryWhen(chats.a.conversationId, (s) => s.status === "closed", "A closed in D1");
    const outcome = await postJson(edge.base, `${C}/conversations/${chats.a.conversationId}/outcome`,
      { success_code: "Sale", tags: ["vip", "pricing"], category: "Billing", sub_category: "Refund", note: "yearly" },
      { cookie: dana });
    assert.equal(outcome.status, 200, JSON.stringify(outcome.json));
    const rated = await postJson(edge.base, `/api/v1/widget/conversations/${chats.a.conversationId}/survey`, {
      channel_id: "demo", visitor_id: chats.a.visitorId, visitor_token: chats.a.visitorToken,
      survey: { survey: "rated", rating: "good", comment: "quick and clear" },
    });
    assert.equal(rated.status, 200, JSON.stringify(rated.json));

    // B: Dana answers, transfers to Sam, Sam answers, the visitor ends it.
    chats.b = await newConversation(edge.base);
    const vb = await client(chats.b);
    const ob = await client(chats.b, dana);
    await assignedTo(vb, "Dana");
    await vb.waitForAck(vb.send("My invoice is wrong"));
    await ob.waitForAck(ob.send("Let me pass you to Sam, who does invoices."));
    const sam = await goOnline(edge.base, "sam");
    const moved = await postJson(edge.base, `${C}/conversations/${chats.b.conversationId}/transfer`,
      { operator_id: "op_sam" }, { cookie: dana });
    assert.equal(moved.status, 200, JSON.stringify(moved.json));
    await assignedTo(vb, "Sam");
    const sb = await client(chats.b, sam);
    await sb.waitForAck(sb.send("Hi, Sam here: fixed, a new invoice is on its way."));
    vb.sendFrame({ type: "end" });
    await waitUntil([vb], () => vb.status === "closed", "B closed for the visitor");
    await summaryWhen(chats.b.conversationId, (s) => s.status === "closed", "B closed in D1");

    // C: nobody answers.
    chats.c = await newConversation(edge.base);
    const vc = await client(chats.c);
    await vc.waitForAck(vc.send("Is anyone there?"));

    // Every message reached D1 (the reports read it there).
    for (const [chat, n] of [[chats.a, 4], [chats.b, 3], [chats.c, 1]]) {
      await transcriptWith(edge, dana, chat.conversationId, n);
    }
  },
}); // Dana online in "demo"; Sam comes online for the transfer.
let dana;
const chats = {};

/** A proto client started on `chat` (visitor) or as the operator with `cookie`. */
async function client(chat, cookie) {
  const c = cookie
    ? new ProtoClient({ base: edge.base, conversationId: chat.conversationId, role: "operator", cookie })
    : new ProtoClient({ base: edge.base, role: "visitor", ...chat });
  clients.push(c);
  await c.start();
  return c;
}

const assignedTo = (c, name) =>
  c.waitFor(() => c.routing?.state === "assigned" && c.routing.name === name, `assigned to ${name}`);

/** Polls the console list until `pred(summary)` holds for conversation `id`. */
const summaryWhen = (id, pred, label) => conversationSummaryWhen(edge, dana, id, pred, label);

/** The header line of a CSV with `columns` (RFC 4180, quotes only where needed). */
function csvHeader(columns) {
  const cell = (v) => (/[",\r\n]/.test(v) || (columns.length === 1 && v === "") ? `"${v.replaceAll('"', '""')}"` : v);
  return columns.map(cell).join(",");
}

test("All reports: every report of the picker shows its columns, rows, chart and CSV on the demo data", async () => {
  const page = await browser.newPage();
  try {
    await consoleLogin(page, edge.base);
    await page.getByRole("button", { name: "Reports" }).click();
    await page.getByRole("tab", { name: "All reports" }).click();
    const picker = page.getByLabel("Report", { exact: true });
    const offered = await picker.locator("option").evaluateAll((os) => os.map((o) => o.value));
    assert.deepEqual([...offered].sort(), [...SLUGS].sort(), "the picker offers every report once");

    const counts = {};
    for (const slug of offered) {
      await step(page, `reports-all-${slug}`, async () => {
        await picker.selectOption(slug);
        const [res] = await Promise.all([
          page.waitForResponse((r) => new URL(r.url()).pathname === `/api/v1/reports/${slug}`),
          page.getByRole("button", { name: "Show", exact: true }).click(),
        ]);
        assert.equal(res.status(), 200, `${slug}: ${await res.text()}`);
        // The same query, asked again outside the console.
        const direct = await page.request.get(res.url());
        assert.equal(direct.status(), 200, slug);
        const { title, table } = await direct.json();
        assert.ok(table.columns.length > 0, `${slug} has columns`);
        // What the console drew from (cells with durations up to "now" may differ by the ms).
        const shown = (await res.json()).table;
        assert.deepEqual(shown.columns, table.columns, `${slug}: the same columns asked twice`);
        assert.equal(shown.rows.length, table.rows.length, `${slug}: the same rows asked twice`);

        const view = page.locator(`section.rep-view[data-report="${slug}"]`);
        await view.waitFor();
        assert.equal(await view.getAttribute("aria-label"), title);
        assert.equal(await page.locator('[role="alert"]:visible').count(), 0, `${slug}: no error shown`);

        const heads = await view.locator("thead th[data-col]").allTextContents();
        assert.deepEqual(heads, table.columns, `${slug}: the header is the report's columns`);
        const drawn = await view.locator("tbody tr").count();
        assert.equal(drawn, Math.min(table.rows.length, MAX_ROWS), `${slug}: rows drawn`);
        if (table.rows.length === 0) await view.getByText("No rows in this period.").waitFor();
        if (table.rows.length > 0) {
          const first = await view.locator("tbody tr").first().locator("td").allTextContents();
          assert.deepEqual(first.slice(0, table.columns.length), shown.rows[0], `${slug}: the first row's cells`);
        }

        // A chart when the JSON has one and rows: bars in an SVG, or a note when every value is 0.
        const figure = view.locator("figure.chart");
        if (table.chart && table.rows.length > 0) {
          await figure.waitFor();
          const drawnAny = table.chart.series.some((s) => s.values.some((v) => v > 0));
          if (drawnAny) {
            const svg = figure.getByRole("img", { name: `${table.chart.title} (chart)` });
            await svg.waitFor();
            assert.ok((await svg.locator("rect.chart-bar").count()) > 0, `${slug}: bars drawn`);
          } else {
            await figure.getByText("Nothing to draw in this period.").waitFor();
          }
        } else {
          assert.equal(await figure.count(), 0, `${slug}: no chart without one in the JSON or without rows`);
        }

        const href = await view.getByRole("link", { name: "Download CSV" }).getAttribute("href");
        assert.equal(new URL(href, edge.base).pathname, `/api/v1/reports/${slug}.csv`);
        const csv = await page.request.get(new URL(href, edge.base).href);
        assert.equal(csv.status(), 200, `${slug}.csv`);
        assert.match(csv.headers()["content-type"], /^text\/csv/, `${slug}.csv content type`);
        const text = await csv.text();
        assert.equal(text.split("\n")[0], csvHeader(table.columns), `${slug}.csv header line`);
        counts[slug] = table.rows.length;
      });
    }
    // The chats made above are in the reports that list conversations, messages and tags.
    for (const slug of ["conversations", "sessions", "message_history", "tags", "ratings", "by_operator"]) {
      assert.ok(counts[slug] > 0, `${slug} has rows on the demo data: ${JSON.stringify(counts)}`);
    }
  } finally {
    await page.close();
  }
});
