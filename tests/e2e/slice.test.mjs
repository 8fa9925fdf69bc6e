// The foundation's vertical slice, real at every layer: a visitor writes from the demo page,
// the message goes over a WebSocket to its conversation's Durable Object (SQLite), an operator
// logs into the console, opens the conversation and replies; the visitor sees the reply under
// the operator's chat name, and a reload shows the whole transcript again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { step, consoleLogin } from "./harness.mjs";
import { useEdge } from "./fixtures.mjs";

const HOSTILE_CSS = "* { color: red !important; font-size: 40px }";
const { edge, browser } = useEdge({ browser: true });

test("a visitor and an operator chat through every layer", async () => {
  const visitorCtx = await browser.newContext();
  // The host page's own hostile stylesheet, present before the widget loads.
  await visitorCtx.addInitScript((css) => {
    document.addEventListener("DOMContentLoaded", () => {
      const s = document.createElement("style");
      s.textContent = css;
      document.head.appendChild(s);
    });
  }, HOSTILE_CSS);
  const visitor = await visitorCtx.newPage();
  const question = `Do you ship tents to Norway? <script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">`;
  const reply = "Yes, in 3 to 5 days. <b>Free</b> over 100 EUR.";

  await step(visitor, "visitor-opens-widget", async () => {
    await visitor.goto(edge.base + "/");
    await visitor.getByRole("button", { name: "Open chat" }).click();
    await visitor.getByRole("textbox", { name: "Message" }).fill(question);
    await visitor.getByRole("button", { name: "Send message" }).click();
    const log = visitor.getByRole("log", { name: "Messages" });
    await log.getByText(question).waitFor();
    // Acknowledged by the conversation's object: the "Sending…" state goes away.
    await log.getByText("Sending…").waitFor({ state: "detached" });
  });

  await step(visitor, "widget-isolated-from-host-css", async () => {
    const hostColor = await visitor.locator("h1").evaluate((el) => getComputedStyle(el).color);
    assert.equal(hostColor, "rgb(255, 0, 0)", "the hostile stylesheet is active on the host page");
    const bubble = visitor.getByRole("log", { name: "Messages" }).getByText(question);
    const style = await bubble.evaluate((el) => ({ color: getComputedStyle(el).color, size: getComputedStyle(el).fontSize }));
    assert.notEqual(style.color, "rgb(255, 0, 0)");
    assert.equal(style.size, "14px");
    const launcher = await visitor.getByRole("button", { name: "Close chat" }).evaluate((el) => {
      const r = el.getBoundingClientRect();
      return { w: r.width, h: r.height, inShadow: el.getRootNode() instanceof ShadowRoot };
    });
    assert.deepEqual(launcher, { w: 56, h: 56, inShadow: true });
  });

  const opCtx = await browser.newContext();
  const op = await opCtx.newPage();
  await step(op, "operator-logs-in-and-replies", async () => {
    await consoleLogin(op, edge.base, "demo");
    const cookie = (await opCtx.cookies()).find((c) => c.name === "parley_session");
    assert.ok(cookie, "session cookie set");
    assert.equal(cookie.httpOnly, true, "session cookie is HttpOnly");
    await op.getByRole("button", { name: /Open conversation/ }).first().click();
    const transcript = op.getByRole("log");
    await transcript.getByText(question).waitFor();
    await op.getByRole("textbox", { name: "Reply" }).fill(reply);
    await op.getByRole("button", { name: "Send reply" }).click();
    await transcript.getByText(reply).waitFor();
  });

  await step(visitor, "visitor-sees-reply", async () => {
    const log = visitor.getByRole("log", { name: "Messages" });
    const bubble = log.locator(".msg", { hasText: reply });
    await bubble.waitFor();
    assert.match(await bubble.innerText(), /Dana/, "shown under the operator's online chat name");
  });

  await step(visitor, "visitor-reload-keeps-transcript", async () => {
    await visitor.reload();
    const log = visitor.getByRole("log", { name: "Messages" });
    await log.getByText(question).waitFor();
    await log.getByText(reply).waitFor();
  });

  // Markup in messages is text everywhere: nothing ran.
  assert.equal(await visitor.evaluate(() => window.__pwned), undefined);
  assert.equal(await op.evaluate(() => window.__pwned), undefined);
  await visitorCtx.close();
  await opCtx.close();
});

test("the console refuses a wrong password and keeps data behind login", async () => {
  const res = await fetch(edge.base + "/api/v1/console/conversations");
  assert.equal(res.status, 401);
  const bad = await fetch(edge.base + "/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", origin: edge.base },
    body: JSON.stringify({ username: "demo", password: "wrong" }),
  });
  assert.equal(bad.status, 401);
  assert.equal((await bad.json()).error.code, "bad_credentials");
});

test("a foreign origin cannot use the widget API", async () => {
  const res = await fetch(edge.base + "/api/v1/widget/session", {
    method: "POST",
    headers: { "content-type": "application/json", origin: "https://evil.example" },
    body: JSON.stringify({ channel_id: "demo" }),
  });
  assert.equal(res.status, 403);
  assert.equal((await res.json()).error.code, "origin_not_allowed");
});
