// Operator notifications while the console is not in front (issue 20): with the browser's
// permission, a new chat shows a system notification when the operator looks at another tab;
// in front, the chime and the title alone say it; "New chats" unticked in My settings, no
// notification. Chromium's own notifications (headless shows them and fires `show`): the
// console counts each one shown in the page's `data-notified`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { step } from "./harness.mjs";
import { newConversation, ProtoClient } from "./proto-client.mjs";
import { useEdge } from "./fixtures.mjs";
import { consoleLogin } from "./harness.mjs";

const { edge, browser } = useEdge({ browser: true, online: [] });

const count = (page, attr) => page.evaluate((a) => Number(document.body.dataset[a] ?? 0), attr);

/** A visitor starts a chat and writes; resolves their client (to close at the end). */
async function visitorWrites(text) {
  const conv = await newConversation(edge.base);
  const v = new ProtoClient({ base: edge.base, conversationId: conv.conversationId, role: "visitor", ...conv, label: "v" });
  await v.start();
  await v.waitForAck(v.send(text));
  return v;
}

test("a new chat notifies the operator whose console is behind another tab, as they chose", async () => {
  const ctx = await browser.newContext();
  await ctx.grantPermissions(["notifications"], { origin: edge.base });
  const page = await ctx.newPage();
  await consoleLogin(page, edge.base);
  const other = await ctx.newPage();
  await other.goto(edge.base + "/");
  // Without Playwright's focus emulation (turned off after the last navigation, which turns it
  // back on), the tab in front has the focus, as in a real browser.
  const cdp = await ctx.newCDPSession(page);
  await cdp.send("Emulation.setFocusEmulationEnabled", { enabled: false });
  const clients = [];

  await step(page, "notify-settings", async () => {
    await page.bringToFront();
    await page.getByRole("button", { name: "Go online" }).click();
    await page.getByText("You are online").waitFor();
    await page.getByRole("checkbox", { name: "Demo channel" }).check();
    await page.getByRole("button", { name: "Admin", exact: true }).click();
    await page.getByRole("tab", { name: "My settings" }).click();
    const box = page.getByRole("group", { name: "Notifications" });
    await box.getByText("Notifications are on in this browser.").waitFor();
    assert.ok(await box.getByRole("checkbox", { name: "New chats" }).isChecked());
    assert.ok(await box.getByRole("checkbox", { name: "New messages in my chats" }).isChecked());
  });

  await step(page, "notify-in-front-chime-only", async () => {
    const alerts = await count(page, "alerts");
    clients.push(await visitorWrites("Hello, anyone there?"));
    await page.waitForFunction((n) => Number(document.body.dataset.alerts ?? 0) > n, alerts, { timeout: 20_000 });
    assert.equal(await count(page, "notified"), 0, "no notification while the console is in front");
  });

  await step(other, "notify-behind-another-tab", async () => {
    await other.bringToFront();
    await page.waitForFunction(() => !document.hasFocus());
    clients.push(await visitorWrites("Do you ship to Canada?"));
    await page.waitForFunction(() => Number(document.body.dataset.notified ?? 0) >= 1, null, { timeout: 20_000 });
  });

  await step(page, "notify-new-chats-unticked", async () => {
    await page.bringToFront();
    await page.waitForFunction(() => document.hasFocus());
    await page.getByRole("group", { name: "Notifications" }).getByRole("checkbox", { name: "New chats" }).uncheck();
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem("parley:console:notify")));
    assert.deepEqual(stored, { new_chats: false, messages: true });
    const [alerts, notified] = [await count(page, "alerts"), await count(page, "notified")];
    await other.bringToFront();
    await page.waitForFunction(() => !document.hasFocus());
    clients.push(await visitorWrites("A third chat"));
    await page.waitForFunction((n) => Number(document.body.dataset.alerts ?? 0) > n, alerts, { timeout: 20_000 });
    assert.equal(await count(page, "notified"), notified, "New chats unticked: chime and title only");
  });

  await Promise.all(clients.map((c) => c.close()));
  await ctx.close();
});
