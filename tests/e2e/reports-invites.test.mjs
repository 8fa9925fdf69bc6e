// The console's "Invites & traffic" page in Chromium against `wrangler dev`: hourly tallies put
// straight into D1 (two invite rules and the chat button of channel `demo`, in the last day)
// show as each rule's funnel, invites by hour of day and the traffic table, and the two CSV
// links download exactly the seed's columns with those counts. Operators who are not admins
// get no "Reports" button and a 403 from the endpoints. Last, the visitor box of a chat says
// what started it (runs after the report checks: a new chat adds to the tallies).
import { test } from "node:test";
import assert from "node:assert/strict";
import { step } from "./harness.mjs";
import { newVisitor, postJson, ProtoClient } from "./proto-client.mjs";
import { useEdge, consolePage as openConsole } from "./fixtures.mjs";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// The newest hour with counts: two hours ago (so inside "the last 7 days, today included").
const H = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
const RULE_A = { id: "ep_rep_pricing", name: "Pricing help (report)" };
const RULE_B = { id: "ep_rep_back", name: "Returning visitors (report)" };
const INVITE = JSON.stringify({
  when: { if: "page_url", glob: "*/never-shown-in-this-test*" },
  always_show: false,
  max_per_visitor: 0,
  display_timeout_ms: 4000,
  greetings: [{ language: "en", text: "Report test" }],
});

// [entry point, hour, metric, n]
const TALLIES = [
  [RULE_A.id, H, "match", 5], [RULE_A.id, H, "proactive", 4], [RULE_A.id, H, "cancelled", 1],
  [RULE_A.id, H, "accepted", 2], [RULE_A.id, H, "declined", 1], [RULE_A.id, H, "ignored", 1],
  [RULE_A.id, H, "no_availability", 1],
  [RULE_A.id, H - DAY, "match", 3], [RULE_A.id, H - DAY, "proactive", 3], [RULE_A.id, H - DAY, "accepted", 1],
  [RULE_A.id, H - DAY, "expired", 2],
  [RULE_B.id, H - 3 * HOUR, "match", 2], [RULE_B.id, H - 3 * HOUR, "cancelled", 2],
  ["btn_demo", H, "visits", 9], ["btn_demo", H, "views", 8], ["btn_demo", H, "clicks", 2], ["btn_demo", H, "chats", 1],
  ["btn_demo", H - DAY, "visits", 3],
  [RULE_A.id, H, "views", 4], [RULE_A.id, H, "clicks", 1], [RULE_A.id, H, "chats", 1],
  // Outside the default range (eight days ago): counted nowhere on the page.
  ["btn_demo", H - 8 * DAY, "visits", 100], [RULE_A.id, H - 8 * DAY, "match", 100],
];

const q = (s) => `'${String(s).replaceAll("'", "''")}'`;
function extraSql() {
  const entryPoints = [RULE_A, RULE_B].map((r, i) =>
    `INSERT INTO entry_points (id, account_id, channel_id, kind, name, enabled, invite, position, created_at, updated_at)
       VALUES (${q(r.id)}, 'acc_demo', 'demo', 'invite', ${q(r.name)}, 0, ${q(INVITE)}, ${20 + i}, 0, 0);`);
  const tallies = TALLIES.map(([ep, hour, metric, n]) =>
    `INSERT INTO hourly_tallies (account_id, channel_id, entry_point_id, hour, metric, n)
       VALUES ('acc_demo', 'demo', ${q(ep)}, ${hour}, ${q(metric)}, ${n});`);
  return [
    `INSERT OR IGNORE INTO entry_points (id, account_id, channel_id, kind, name, enabled, position, created_at, updated_at)
       VALUES ('btn_demo', 'acc_demo', 'demo', 'button', 'Chat button', 1, 0, 0, 0);`,
    ...entryPoints,
    ...tallies,
  ].join("\n");
}

const { edge, browser } = useEdge({ browser: true, extraSql });
const consolePage = (username) => openConsole(browser, edge, username);

const pad = (n) => String(n).padStart(2, "0");
/** `YYYY-MM-DD HH:MM:SS` (UTC), as the reports write hours. */
function datetime(ms) {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** One expected "Automatic invites" line. */
function inviteLine(rule, hour, f) {
  const day = hour - (hour % DAY);
  return ["demo", day / 1000, new Date(hour).getUTCHours(), rule.id, "acc_demo", datetime(hour), datetime(hour + HOUR - 1000),
    rule.name, f.proactive ?? 0, f.accepted ?? 0, f.declined ?? 0, f.match ?? 0, f.cancelled ?? 0,
    f.no_availability ?? 0, f.expired ?? 0, f.ignored ?? 0].join(",");
}

test("Invites & traffic: funnel per rule, hours of day, traffic table and exact CSV downloads", async () => {
  const { ctx, page } = await consolePage("demo");
  try {
    await step(page, "reports-open", async () => {
      await page.getByRole("button", { name: "Reports" }).click();
      await page.getByRole("heading", { name: "Invites & traffic" }).waitFor();
      await page.getByRole("heading", { level: 3, name: RULE_A.name }).waitFor();
    });

    await step(page, "reports-funnel", async () => {
      const a = page.getByRole("article", { name: `Rule ${RULE_A.name}` });
      const row = (name) => a.getByRole("row", { name, exact: true });
      // Summed over both days: matched 8 = cancelled 1 + shown 7; shown 7 = 3 + 1 + 1 + 2.
      for (const name of ["Matched 8 100%", "Shown (proactive) 7 88%", "Accepted 3 38%", "Declined 1 13%",
        "Ignored 1 13%", "Expired 2 25%", "Cancelled (no operator) 1 13%", "No availability 1 13%"]) {
        assert.equal(await row(name).count(), 1, `row "${name}" of ${RULE_A.name}`);
      }
      assert.equal(await a.getByText("Conversion rate: 43% (3 accepted of 7 shown)").count(), 1);

      const b = page.getByRole("article", { name: `Rule ${RULE_B.name}` });
      assert.equal(await b.getByRole("row", { name: "Matched 2 100%", exact: true }).count(), 1);
      assert.equal(await b.getByRole("row", { name: "Cancelled (no operator) 2 100%", exact: true }).count(), 1);
      assert.equal(await b.getByRole("row", { name: "Shown (proactive) 0 0%", exact: true }).count(), 1);
      assert.equal(await b.getByText("Conversion rate: — (none shown)").count(), 1);
      // Rules in name order.
      const section = page.getByRole("region", { name: "Automatic invites" });
      const names = await section.getByRole("heading", { level: 3 }).allTextContents();
      assert.deepEqual(names, [RULE_A.name, RULE_B.name]);
    });

    await step(page, "reports-hours", async () => {
      const hours = page.getByRole("list", { name: "Invites by hour of day (UTC)" });
      assert.equal(await hours.getByRole("listitem").count(), 24);
      const h = new Date(H).getUTCHours();
      // Both days' hour h: 4 + 3 shown, 2 + 1 accepted.
      assert.equal(await hours.getByText(`${pad(h)}:00: 7 shown, 3 accepted`, { exact: true }).count(), 1);
      const hb = new Date(H - 3 * HOUR).getUTCHours();
      assert.equal(await hours.getByText(`${pad(hb)}:00: 0 shown, 0 accepted`, { exact: true }).count(), 1);
      assert.equal(await page.getByText("Invites by hour of day", { exact: true }).count(), 1);
    });

    await step(page, "reports-traffic", async () => {
      const table = page.getByRole("table", { name: "Traffic", exact: true });
      assert.equal(await table.getByRole("row", { name: "Chat button Demo channel 12 8 2 1", exact: true }).count(), 1);
      assert.equal(
        await table.getByRole("row", { name: `${RULE_A.name} Demo channel 0 4 1 1`, exact: true }).count(), 1);
      assert.equal(await table.getByRole("row").count(), 3); // header + two entry points
      await page.getByRole("button", { name: "Show hourly detail" }).click();
      const hourly = page.getByRole("table", { name: "Traffic by hour (UTC)" });
      await hourly.waitFor();
      assert.equal(await hourly.getByRole("row").count(), 4); // header + three entry point hours
      assert.equal(
        await hourly.getByRole("row", { name: `${datetime(H)} Chat button Demo channel 9 8 2 1`, exact: true }).count(), 1);
    });

    await step(page, "reports-csv", async () => {
      const invitesLink = page.getByRole("link", { name: "Download Automatic invites (CSV)" });
      const trafficLink = page.getByRole("link", { name: "Download Traffic (CSV)" });
      const invites = await page.request.get(new URL(await invitesLink.getAttribute("href"), edge.base).href);
      assert.equal(invites.status(), 200);
      assert.match(invites.headers()["content-disposition"] ?? "", /automatic-invites\.csv/);
      const expectedInvites = [
        "chatcampaign_id,date,hour_of_day,filter_id,account_id,hour_begin_time,hour_end_time,filter_name,num_proactive,"
          + "num_proactive_accepted,num_proactive_declined,num_proactive_match,num_proactive_cancelled,"
          + "num_proactive_no_availability,num_proactive_expired,num_proactive_ignored",
        inviteLine(RULE_A, H - DAY, { match: 3, proactive: 3, accepted: 1, expired: 2 }),
        inviteLine(RULE_B, H - 3 * HOUR, { match: 2, cancelled: 2 }),
        inviteLine(RULE_A, H, { match: 5, proactive: 4, cancelled: 1, accepted: 2, declined: 1, ignored: 1,
          no_availability: 1 }),
      ].join("\n") + "\n";
      assert.equal(await invites.text(), expectedInvites);

      const traffic = await page.request.get(new URL(await trafficLink.getAttribute("href"), edge.base).href);
      assert.equal(traffic.status(), 200);
      assert.match(traffic.headers()["content-disposition"] ?? "", /traffic\.csv/);
      const expectedTraffic = [
        "chatcampaign_id,hour_begin_time,entrypoint_id,entrypoint,visits,views,clicks,chats",
        `demo,${datetime(H - DAY)},btn_demo,Chat button,3,0,0,0`,
        `demo,${datetime(H)},btn_demo,Chat button,9,8,2,1`,
        `demo,${datetime(H)},${RULE_A.id},${RULE_A.name},0,4,1,1`,
      ].join("\n") + "\n";
      assert.equal(await traffic.text(), expectedTraffic);
    });

    await step(page, "reports-channel", async () => {
      // One channel: the same counts, and the CSV links carry the channel.
      await page.getByLabel("Channel", { exact: true }).selectOption({ label: "Demo channel" });
      await page.getByRole("button", { name: "Show", exact: true }).click();
      const link = page.getByRole("link", { name: "Download Traffic (CSV)" });
      await page.waitForFunction(() =>
        [...document.querySelectorAll("a[download]")].every((a) => a.href.includes("channel=demo")));
      assert.match(await link.getAttribute("href"), /&channel=demo$/);
      const table = page.getByRole("table", { name: "Traffic", exact: true });
      assert.equal(await table.getByRole("row", { name: "Chat button Demo channel 12 8 2 1", exact: true }).count(), 1);
    });

    await step(page, "reports-empty", async () => {
      // A range with nothing in it (a day a year ago): the empty states, and CSVs of headers only.
      const d = new Date(Date.now() - 365 * DAY);
      const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
      await page.getByLabel("From", { exact: true }).fill(day);
      await page.getByLabel("To", { exact: true }).fill(day);
      await page.getByRole("button", { name: "Show", exact: true }).click();
      await page.getByText("No invites shown in this period.").waitFor();
      await page.getByText("No traffic in this period.").waitFor();
      const href = await page.getByRole("link", { name: "Download Traffic (CSV)" }).getAttribute("href");
      const from = Number(new URL(href, edge.base).searchParams.get("from"));
      assert.equal(from, new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime());
      const r = await page.request.get(new URL(href, edge.base).href);
      assert.equal(await r.text(), "chatcampaign_id,hour_begin_time,entrypoint_id,entrypoint,visits,views,clicks,chats\n");

      // To before From: a clear error, nothing fetched.
      await page.getByLabel("To", { exact: true }).fill(`${d.getFullYear() - 1}-01-01`);
      await page.getByRole("button", { name: "Show", exact: true }).click();
      await page.getByRole("alert").filter({ hasText: "From must be on or before To." }).waitFor();
    });
  } finally {
    await ctx.close();
  }
});

test("operators who are not admins have no Reports button, and the endpoints refuse them", async () => {
  const { ctx, page } = await consolePage("sam");
  try {
    await step(page, "reports-not-admin", async () => {
      await page.getByRole("button", { name: "Admin" }).waitFor();
      assert.equal(await page.getByRole("button", { name: "Reports" }).count(), 0);
    });
  } finally {
    await ctx.close();
  }
  const cookie = await edge.login("sam");
  for (const name of ["invites", "invites.csv", "traffic", "traffic.csv"]) {
    const r = await fetch(`${edge.base}/api/v1/console/reports/${name}?from=0&to=${Date.now()}`, { headers: { cookie } });
    assert.equal(r.status, 403, name);
  }
});

test("the visitor box says what started the conversation and how long the visitor took to decide", async () => {
  // A visitor starts a chat and writes `text`; `entry` is CreateConversationRequest.entry.
  const chat = async (entry, text) => {
    const v = await newVisitor(edge.base);
    const r = await postJson(edge.base, "/api/v1/conversations", {
      channel_id: "demo", visitor_id: v.visitorId, visitor_token: v.visitorToken, page_url: `${edge.base}/pricing`,
      ...(entry ? { entry } : {}),
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const c = new ProtoClient({ base: edge.base, role: "visitor", conversationId: r.json.conversation_id, ...v });
    await c.start();
    await c.waitForAck(c.send(text));
    await c.close();
  };
  await chat({ entry_point: RULE_A.id, decision_ms: 4200 }, "Is there a yearly plan?");
  await chat(null, "Hello from the chat button");

  const { ctx, page } = await consolePage("demo");
  try {
    await step(page, "visitor-box-entry", async () => {
      const box = page.getByRole("complementary", { name: "Visitor" });
      await page.getByRole("button", { name: /Open conversation: Is there a yearly plan\?/ }).click();
      await box.getByText(`Started from: ${RULE_A.name} (auto-invite) · decided in 4 s`, { exact: true }).waitFor();
      await page.getByRole("button", { name: /Open conversation: Hello from the chat button/ }).click();
      await box.getByText("Started from: chat button", { exact: true }).waitFor();
    });
  } finally {
    await ctx.close();
  }
});
