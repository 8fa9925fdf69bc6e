// Public report links through the real edge: an admin creates a link to one report with its
// filters; anyone opens it without a session (JSON and CSV); changing any part of the URL
// (report, a filter, the account, the link id, the expiry, the signature) is refused with 403
// bad_signature; an expired link answers 410 expired, a revoked one 410 revoked at once;
// operators who are not admins, other origins and other accounts cannot create, list or revoke;
// the console's public page shows the table without logging in (Chromium), or the refusal as
// a sentence; and an admin shares a shown report, copies the link, lists and revokes it there.
import { test } from "node:test";
import assert from "node:assert/strict";
import { step, consoleLogin } from "./harness.mjs";
import { getJson, postJson } from "./proto-client.mjs";
import { useEdge, secondAccount } from "./fixtures.mjs";

const LINKS = "/api/v1/console/report-links";
/** 2026-11-18 00:00:00 UTC. */
const D = Date.UTC(2026, 10, 18);
const H = 3_600_000;
const DAY = 24 * H;
const QUERY = `from=${D}&to=${D + DAY}&tz=UTC&channel=demo`;
const conv = (id, acc, ch, h) =>
  `('${id}', '${acc}', '${ch}', 'v_${id}', 'closed', ${D + h * H}, ${D + h * H + 60_000}, ${D + h * H + 60_000})`;
// A second account whose admin has Dana's password hash (no hashing needed), and three
// conversations on the day: one per channel of the demo account, one of the other account.
const { edge, browser } = useEdge({
  browser: true,
  extraSql: async () => await secondAccount({
    name: "Other account (links)",
    channels: [{ id: "ch_other", name: "Other channel" }],
    operators: [{ id: "op_olga", username: "olga", chat_name: "Olga", role: "admin" }],
  }) + `
INSERT INTO channels (id, account_id, name, created_at) VALUES ('demo_b', 'acc_demo', 'Second channel', 1);
INSERT INTO conversations (id, account_id, channel_id, visitor_id, status, created_at, updated_at, closed_at) VALUES
  ${conv("c_linkdemo", "acc_demo", "demo", 9)},
  ${conv("c_linkdemob", "acc_demo", "demo_b", 10)},
  ${conv("c_linkother", "acc_other", "ch_other", 11)};
`,
  setup: async () => {
    dana = await edge.login();
    sam = await edge.login("sam");
    olga = await edge.login("olga");
  },
});
let dana, sam, olga;

const create = (body, cookie = dana, opts = {}) => postJson(edge.base, LINKS, body, { cookie, ...opts });
/** A request with no cookie at all. */
const open = (path) => getJson(edge.base, path);
const refused = (r, status, code) => {
  assert.equal(r.status, status, r.text);
  assert.equal(r.json?.error?.code, code, r.text);
};

async function newLink(extra = {}) {
  const r = await create({ report: "conversations", query: QUERY, title: "Demo day", ...extra });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json;
}

test("an admin's link opens its one report without a session, as JSON and CSV", async () => {
  const link = await newLink();
  assert.match(link.id, /^rl_/);
  assert.equal(link.report, "conversations");
  assert.equal(link.title, "Demo day");
  assert.equal(link.query, QUERY);
  // No expiry given: the default lifetime (30 days, limits.rs REPORT_LINK_DEFAULT_TTL_MS).
  assert.ok(Math.abs(link.expires_at - (Date.now() + 30 * DAY)) < 60_000, String(link.expires_at));
  assert.equal(link.revoked_at, null);
  assert.equal(link.created_by, "op_demo");
  assert.ok(link.url.startsWith(`/console/#/shared/conversations?${QUERY}&account=acc_demo&link=${link.id}&expires=${link.expires_at}&sig=`), link.url);
  assert.equal(link.api_url, `/api/v1/public/reports/conversations?${link.url.split("?")[1]}`);

  const r = await open(link.api_url);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.query.report, "conversations");
  assert.equal(r.json.query.channel, "demo");
  assert.equal(r.json.query.from, D);
  // Only the demo channel's conversation: not the second channel's, not the other account's.
  assert.deepEqual(r.json.table.conversations, ["c_linkdemo"]);
  assert.equal(r.json.table.rows.length, 1);
  assert.ok(!r.text.includes("c_linkdemob") && !r.text.includes("c_linkother"));

  const res = await fetch(edge.base + link.csv_url);
  const csv = await res.text();
  assert.equal(res.status, 200, csv);
  assert.match(res.headers.get("content-type"), /^text\/csv/);
  assert.equal(res.headers.get("cache-control"), "no-store");
  const lines = csv.trimEnd().split(/\r?\n/);
  assert.equal(lines.length, 2, csv);
  assert.equal(lines[0], r.json.table.columns.join(","));

  // Local dates in the request are stored as the account zone's ms (both days included).
  const dated = await newLink({ query: "from=2026-11-18&to=2026-11-18&channel=demo", title: "" });
  assert.equal(dated.query, QUERY);
  assert.equal((await open(dated.api_url)).status, 200);
});

test("changing any part of the link is refused: report, filters, account, link, expiry, signature", async () => {
  const link = await newLink();
  const q = link.api_url.split("?")[1];
  const api = (slug, query) => open(`/api/v1/public/reports/${slug}?${query}`);
  const swap = (from, to) => {
    assert.ok(q.includes(from), from);
    return q.replace(from, to);
  };
  const sig = q.split("&sig=")[1];
  const flipped = sig.slice(0, -1) + (sig.endsWith("0") ? "1" : "0");
  for (const [slug, query] of [
    ["by_hour", q],
    ["overview", q],
    ["no_such_report", q],
    ["conversations", swap("channel=demo", "channel=demo_b")],
    ["conversations", swap("&channel=demo", "")],
    ["conversations", swap("&account=", "&status=closed&account=")],
    ["conversations", swap(`to=${D + DAY}`, `to=${D + 2 * DAY}`)],
    ["conversations", swap("tz=UTC", "tz=Europe%2FBerlin")],
    ["conversations", swap("account=acc_demo", "account=acc_other")],
    ["conversations", swap(`link=${link.id}`, `link=${link.id.slice(0, -1)}x`)],
    ["conversations", swap(`expires=${link.expires_at}`, `expires=${link.expires_at + DAY}`)],
    ["conversations", swap(`sig=${sig}`, `sig=${flipped}`)],
    ["conversations", swap(`&sig=${sig}`, "")],
    ["conversations", QUERY],
  ]) {
    refused(await api(slug, query), 403, "bad_signature");
    refused(await api(`${slug}.csv`, query), 403, "bad_signature");
  }
  // The untouched link still works.
  assert.equal((await api("conversations", q)).status, 200);
});

test("a link past its expiry answers 410 expired; one in the past cannot be made", async () => {
  refused(await create({ report: "conversations", query: QUERY, expires_at: Date.now() - 1000 }), 400, "invalid");
  const expiresAt = Date.now() + 3000;
  const link = await newLink({ expires_at: expiresAt });
  assert.equal(link.expires_at, expiresAt);
  assert.ok(link.url.includes(`&expires=${expiresAt}&sig=`));
  assert.equal((await open(link.api_url)).status, 200);
  // Poll (not a blind sleep) until the edge's clock passes the expiry.
  let r;
  const deadline = expiresAt + 15_000;
  for (;;) {
    r = await open(link.api_url);
    if (r.status !== 200 || Date.now() > deadline) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  refused(r, 410, "expired");
  assert.ok(Date.now() >= expiresAt - 50, "refused as expired only once the expiry passed");
  refused(await open(link.csv_url), 410, "expired");
  const list = await getJson(edge.base, LINKS, dana);
  assert.equal(list.json.links.find((l) => l.id === link.id).expires_at, expiresAt);
});

test("a revoked link stops at once; revoking twice changes nothing", async () => {
  const link = await newLink({ title: "To revoke" });
  assert.equal((await open(link.api_url)).status, 200);
  const r = await postJson(edge.base, `${LINKS}/${link.id}/revoke`, {}, { cookie: dana });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.ok(r.json.revoked_at > 0);
  refused(await open(link.api_url), 410, "revoked");
  refused(await open(link.csv_url), 410, "revoked");
  const again = await postJson(edge.base, `${LINKS}/${link.id}/revoke`, {}, { cookie: dana });
  assert.equal(again.status, 200);
  assert.equal(again.json.revoked_at, r.json.revoked_at);
  // Listed newest first with its state.
  const list = await getJson(edge.base, LINKS, dana);
  assert.equal(list.status, 200);
  const times = list.json.links.map((l) => l.created_at);
  assert.deepEqual(times, [...times].sort((a, b) => b - a));
  assert.equal(list.json.links.find((l) => l.id === link.id).revoked_at, r.json.revoked_at);
});

test("only admins of the account create, list and revoke; bad requests name the field", async () => {
  const link = await newLink();
  refused(await create({ report: "conversations", query: QUERY }, sam), 403, "forbidden");
  refused(await getJson(edge.base, LINKS, sam), 403, "forbidden");
  refused(await postJson(edge.base, `${LINKS}/${link.id}/revoke`, {}, { cookie: sam }), 403, "forbidden");
  refused(await create({ report: "conversations", query: QUERY }, null), 401, "unauthenticated");
  refused(await getJson(edge.base, LINKS), 401, "unauthenticated");
  refused(await create({ report: "conversations", query: QUERY }, dana, { origin: "https://evil.example" }), 403, "bad_origin");
  // Another account's admin sees none of Dana's links and cannot revoke them.
  const theirs = await getJson(edge.base, LINKS, olga);
  assert.equal(theirs.status, 200);
  assert.ok(theirs.json.links.every((l) => l.report && !l.url.includes("account=acc_demo")));
  assert.ok(!theirs.json.links.some((l) => l.id === link.id));
  refused(await postJson(edge.base, `${LINKS}/${link.id}/revoke`, {}, { cookie: olga }), 404, "unknown_link");
  assert.equal((await open(link.api_url)).status, 200, "still working after a foreign revoke");
  // Olga's own link shows her account's conversations only.
  const own = await create({ report: "conversations", query: `from=${D}&to=${D + DAY}` }, olga);
  assert.equal(own.status, 200, JSON.stringify(own.json));
  assert.ok(own.json.url.includes("account=acc_other"));
  assert.deepEqual((await open(own.json.api_url)).json.table.conversations, ["c_linkother"]);

  const field = async (body) => {
    const r = await create(body);
    assert.equal(r.status, 400, JSON.stringify(r.json));
    return r.json.error.field ?? r.json.error.code;
  };
  assert.equal(await field({ report: "nope", query: QUERY }), "report");
  assert.equal(await field({ report: "conversations", query: `${QUERY}&evil=1` }), "evil");
  assert.equal(await field({ report: "conversations", query: `${QUERY}&sig=00` }), "sig");
  assert.equal(await field({ report: "conversations", query: "from=5" }), "from");
  assert.equal(await field({ report: "conversations", query: QUERY, title: "x".repeat(121) }), "title");
  assert.equal(await field({ report: "conversations", query: QUERY, account: "acc_other" }), "malformed");
});

test("the console's public page shows the report without logging in, or why not", async () => {
  const link = await newLink({ title: "For the board" });
  const context = await browser.newContext(); // no cookie
  const page = await context.newPage();
  await step(page, "report-links-public", async () => {
    await page.goto(edge.base + link.url);
    const table = page.locator("table.rep-table");
    await table.waitFor();
    const headers = await table.locator("th[data-col]").allTextContents();
    const api = await open(link.api_url);
    assert.deepEqual(headers, api.json.table.columns);
    assert.equal(await table.locator("tbody tr").count(), 1);
    // Read-only: no login form, no transcript links; the CSV is the public one.
    assert.equal(await page.getByLabel("Password").count(), 0);
    assert.equal(await page.locator("a.rep-transcript").count(), 0);
    assert.equal(await page.getByRole("link", { name: "Download CSV" }).getAttribute("href"), link.csv_url);
  });
  // Percent-encoded filters (a zone with a slash, a page with a space) survive the fragment.
  const encoded = await newLink({ query: `from=${D}&to=${D + DAY}&tz=Europe/Berlin&page=/demo page` });
  assert.ok(encoded.url.includes("tz=Europe%2FBerlin&page=%2Fdemo%20page&account="), encoded.url);
  await step(page, "report-links-encoded", async () => {
    await page.goto("about:blank");
    await page.goto(edge.base + encoded.url);
    await page.getByRole("region", { name: "Conversations" }).getByText("times in Europe/Berlin").waitFor();
  });
  const revoked = await newLink({ title: "Gone" });
  await postJson(edge.base, `${LINKS}/${revoked.id}/revoke`, {}, { cookie: dana });
  await step(page, "report-links-revoked", async () => {
    await page.goto(edge.base + revoked.url);
    await page.getByRole("alert").filter({ hasText: "This link was revoked." }).waitFor();
  });
  await step(page, "report-links-tampered", async () => {
    await page.goto(edge.base + link.url.replace("channel=demo", "channel=demo_b"));
    // Only the fragment changed: the page reloads itself for the new link.
    await page.getByRole("alert").filter({ hasText: "This link is not valid." }).waitFor();
  });
  await context.close();
});

test("the console: Share link on a shown report, Copy, Shared links with Revoke", async () => {
  const context = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
  const page = await context.newPage();
  await step(page, "report-links-share", async () => {
    await consoleLogin(page, edge.base);
    await page.getByRole("button", { name: "Reports" }).click();
    await page.getByRole("tab", { name: "All reports" }).click();
    await page.getByLabel("Report", { exact: true }).selectOption("conversations");
    await page.getByLabel("From", { exact: true }).fill("2026-11-18");
    await page.getByLabel("To", { exact: true }).fill("2026-11-18");
    const [res] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === "/api/v1/reports/conversations"),
      page.getByRole("button", { name: "Show", exact: true }).click(),
    ]);
    const shown = await res.json();
    await page.getByRole("button", { name: "Share link" }).click();
    const form = page.getByRole("form", { name: "Share link" });
    await form.getByLabel("Title (optional)").fill("Shared from the console");
    await form.getByLabel(/Expires after/).fill("7");
    const [created] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === LINKS && r.request().method() === "POST"),
      form.getByRole("button", { name: "Create link" }).click(),
    ]);
    assert.equal(created.status(), 200, await created.text());
    const view = await created.json();
    // Exactly the shown report and query; a week from now.
    assert.equal(view.report, "conversations");
    const canonical = new URLSearchParams(view.query);
    assert.equal(Number(canonical.get("from")), shown.query.from);
    assert.equal(Number(canonical.get("to")), shown.query.to);
    assert.ok(Math.abs(view.expires_at - (Date.now() + 7 * DAY)) < 60_000, String(view.expires_at));
    const box = form.getByLabel("Link");
    assert.equal(await box.inputValue(), edge.base + view.url);
    await form.getByRole("button", { name: "Copy" }).click();
    await form.getByText("Link copied.").waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), edge.base + view.url);
    assert.equal((await open(view.api_url)).status, 200);

    await page.getByText("Shared links", { exact: true }).click();
    const row = page.locator(`tr[data-link="${view.id}"]`);
    await row.getByText("active").waitFor();
    await row.getByRole("button", { name: "Revoke the link “Shared from the console”" }).click();
    await row.getByText("revoked").waitFor();
    assert.equal(await row.getByRole("button", { name: /Revoke/ }).count(), 0);
    refused(await open(view.api_url), 410, "revoked");
  });
  await context.close();
});
