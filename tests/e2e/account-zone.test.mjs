// The account's report time zone (Admin → Account): `GET/POST /api/v1/console/account`, its
// refusals, and reports computing dates in it (a local date range becomes the zone's days), and
// the console form in Chromium. Against a real `wrangler dev`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useEdge, consolePage, assertError, C } from "./fixtures.mjs";

const { edge, browser } = useEdge({ browser: true });
const { get, post } = edge;

test("account time zone: operators read it, admins set it, bad zones change nothing, reports use it", async () => {
  const [dana, sam] = [await edge.login(), await edge.login("sam")];
  assertError(await get(`${C}/account`), 401, "unauthenticated", "no session");
  const before = await get(`${C}/account`, sam);
  assert.equal(before.status, 200, JSON.stringify(before.json));
  assert.equal(before.json.id, "acc_demo");
  assert.equal(before.json.time_zone, "UTC");

  const berlin = { name: before.json.name, time_zone: "Europe/Berlin" };
  assertError(await post(`${C}/account`, berlin, sam), 403, "forbidden", "operator saves");
  assertError(await post(`${C}/account`, berlin, dana, "https://evil.example"), 403, "bad_origin", "origin");
  for (const [body, field, label] of [
    [{ ...berlin, time_zone: "Mars/Base" }, "time_zone", "unknown zone"],
    [{ ...berlin, time_zone: "not a zone" }, "time_zone", "malformed zone"],
    [{ ...berlin, name: "" }, "name", "empty name"],
  ]) {
    assertError(await post(`${C}/account`, body, dana), 400, "invalid", label, field);
  }
  assert.deepEqual((await get(`${C}/account`, dana)).json, before.json, "refusals changed nothing");

  // Local dates of the report are the account zone's days: 2026-11-24 in Berlin starts at 23:00 UTC.
  const utcDay = await get("/api/v1/reports/overview?from=2026-11-24&to=2026-11-24", dana);
  assert.equal(utcDay.status, 200, JSON.stringify(utcDay.json));
  assert.equal(utcDay.json.query.tz, "UTC");
  assert.equal(utcDay.json.query.from, Date.UTC(2026, 10, 24));

  const saved = await post(`${C}/account`, berlin, dana);
  assert.equal(saved.status, 200, JSON.stringify(saved.json));
  assert.deepEqual(saved.json, { ...before.json, time_zone: "Europe/Berlin" });
  const berlinDay = await get("/api/v1/reports/overview?from=2026-11-24&to=2026-11-24", dana);
  assert.equal(berlinDay.json.query.tz, "Europe/Berlin");
  assert.equal(berlinDay.json.query.from, Date.UTC(2026, 10, 23, 23));
  assert.equal(berlinDay.json.query.to, Date.UTC(2026, 10, 24, 23));
  // A query may still name another zone.
  const tokyo = await get("/api/v1/reports/overview?from=2026-11-24&to=2026-11-24&tz=Asia%2FTokyo", dana);
  assert.equal(tokyo.json.query.from, Date.UTC(2026, 10, 23, 15));

  // The console's form: admins see "Account", change the zone, the edge's refusal is shown.
  const { ctx, page } = await consolePage(browser, edge);
  try {
    await page.getByRole("button", { name: "Admin", exact: true }).click();
    await page.getByRole("tab", { name: "Account" }).click();
    const tz = page.getByLabel("Time zone");
    await assert.doesNotReject(tz.waitFor());
    await page.waitForFunction(() => document.querySelector("#adm-account-tz")?.value === "Europe/Berlin");
    await tz.fill("Mars/Base");
    await page.getByRole("button", { name: "Save account" }).click();
    await page.getByText("is not a time zone this server knows").first().waitFor();
    await tz.fill("America/New_York");
    await page.getByRole("button", { name: "Save account" }).click();
    await page.getByText("Account saved.").waitFor();
    assert.equal((await get(`${C}/account`, dana)).json.time_zone, "America/New_York");
  } finally {
    await ctx.close();
  }
});
