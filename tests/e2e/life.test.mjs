// Conversation life in the real widget (Chromium) against real workerd: the browser outbox
// survives a reload while the server is unreachable and delivers exactly once (a corrupted one
// is dropped); typing shows on the other side; the visitor ends the chat and can start a new
// one; a session ends by itself after the (shortened) timeout once the visitor has left; every
// change is recorded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { step } from "./harness.mjs";
import { ProtoClient, readTranscript, waitUntil } from "./proto-client.mjs";
import { useEdge } from "./fixtures.mjs";

// Long enough for the outbox test's two page loads while no socket reaches the edge (the app
// loads when the browser is idle after the page's load event; slower on a busy machine).
const TIMEOUT_MS = 8_000;
const { edge, browser } = useEdge({
  browser: true, vars: { PARLEY_SESSION_TIMEOUT_MS: String(TIMEOUT_MS) },
  setup: async () => {
    cookie = await edge.login();
  },
});
let cookie;

async function consoleApi(path) {
  const res = await fetch(edge.base + path, { headers: { cookie } });
  assert.equal(res.status, 200, path);
  return res.json();
}

async function conversation(id) {
  const { conversations } = await consoleApi("/api/v1/console/conversations");
  return conversations.find((c) => c.id === id);
}

/** Opens the demo page and the widget; resolves the page and its message log. */
async function openWidget(context) {
  const page = await context.newPage();
  await page.goto(edge.base + "/");
  // The loader's launcher says "Open chat" until the app is mounted (it may restore an open panel).
  await page.waitForFunction(() => performance.getEntriesByName("parley:ready").length > 0);
  const launcher = page.getByRole("button", { name: /Open chat|Close chat/ });
  if ((await launcher.getAttribute("aria-label")) === "Open chat") await launcher.click();
  return { page, log: page.getByRole("log", { name: "Messages" }) };
}

async function send(page, text) {
  await page.getByRole("textbox", { name: "Message" }).fill(text);
  await page.getByRole("button", { name: "Send message" }).click();
}

/** Opens the widget, writes `text`, awaits its ack; resolves the page and the conversation row. */
async function startChat(context, text) {
  const { page, log } = await openWidget(context);
  await send(page, text);
  await log.getByText("Sending…").waitFor({ state: "detached" });
  const visitor = await widgetConversation(page);
  const { conversations } = await consoleApi("/api/v1/console/conversations");
  const conv = conversations.find((c) => c.visitor_id === visitor.visitor.visitor_id);
  return { page, log, visitor, conv };
}

/** The conversation id the widget keeps in the visitor's storage. */
async function widgetConversation(page) {
  return page.evaluate(() => {
    const key = Object.keys(localStorage).find((k) => k.startsWith("parley:demo:outbox:"));
    const session = Object.keys(localStorage).find((k) => k === "parley:demo:visitor");
    return { outboxKey: key ?? null, visitor: session ? JSON.parse(localStorage[session]) : null };
  });
}

test("the widget's outbox survives a reload while the server is unreachable, then delivers once", async () => {
  const context = await browser.newContext();
  const { page, log } = await openWidget(context);
  await step(page, "outbox-first-message", async () => {
    await send(page, "first, delivered at once");
    await log.getByText("first, delivered at once").waitFor();
    await log.getByText("Sending…").waitFor({ state: "detached" });
  });
  // From now on this page's sockets reach nobody: the server never answers.
  await page.routeWebSocket(/\/ws\?role=visitor/, () => {});
  await step(page, "outbox-while-unreachable", async () => {
    await page.reload();
    await log.getByText("first, delivered at once").waitFor({ state: "detached" }).catch(() => {});
    // The conversation is resumed (its socket never answers): the message goes to its outbox.
    await page.getByRole("button", { name: "End chat" }).waitFor();
    await send(page, "second, written while unreachable");
    await log.getByText("second, written while unreachable").waitFor();
    await log.getByText(/Sending…|Not sent yet/).waitFor();
    const kept = await page.evaluate(() => Object.entries(localStorage).filter(([k]) => k.includes(":outbox:")));
    assert.equal(kept.length, 1, "the unacknowledged message is kept in first-party storage");
    assert.match(kept[0][1], /second, written while unreachable/);
  });
  await page.close();
  // Another page of the site, network fine: the outbox is sent again and acknowledged.
  const { page: next, log: nextLog } = await openWidget(context);
  await step(next, "outbox-delivered-after-reload", async () => {
    await nextLog.getByText("second, written while unreachable").waitFor();
    await nextLog.getByText(/Sending…|Not sent yet/).waitFor({ state: "detached" });
    const { visitor } = await widgetConversation(next);
    const leftovers = await next.evaluate(() => Object.keys(localStorage).filter((k) => k.includes(":outbox:")));
    assert.deepEqual(leftovers, [], "nothing left in the outbox");
    const { conversations } = await consoleApi("/api/v1/console/conversations");
    const conv = conversations.find((c) => c.visitor_id === visitor.visitor_id);
    const transcript = await readTranscript(edge.base, conv.id, { role: "operator", cookie });
    const texts = transcript.map((m) => m.text);
    assert.deepEqual(texts, ["first, delivered at once", "second, written while unreachable"], "each stored exactly once, in order");
  });
  await context.close();
});

test("a corrupted saved outbox does not break the widget: it is dropped and the chat goes on", async () => {
  const context = await browser.newContext();
  try {
    const { page, log, conv } = await startChat(context, "before the outbox was corrupted");
    const key = `parley:demo:outbox:${conv.id}`;
    // Not JSON; an entry of the wrong type; an object instead of a list (all refused whole).
    const junk = ["{not json", '[{"client_id":7,"text":"x","since":1}]', '{"client_id":"m_x","text":"ghost","since":1}'];
    for (const [i, value] of junk.entries()) {
      await step(page, `outbox-corrupted-${i}`, async () => {
        await page.evaluate(([k, v]) => localStorage.setItem(k, v), [key, value]);
        await page.reload();
        await page.waitForFunction(() => performance.getEntriesByName("parley:ready").length > 0);
        const launcher = page.getByRole("button", { name: /Open chat|Close chat/ });
        if ((await launcher.getAttribute("aria-label")) === "Open chat") await launcher.click();
        await log.getByText("before the outbox was corrupted").waitFor();
        await send(page, `after corruption ${i}`);
        await log.getByText(`after corruption ${i}`).waitFor();
        await log.getByText("Sending…").waitFor({ state: "detached" });
      });
    }
    const left = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.includes(":outbox:")));
    assert.deepEqual(left, [], "the corrupted value was replaced, then emptied");
    const texts = (await readTranscript(edge.base, conv.id, { role: "operator", cookie })).map((m) => m.text);
    assert.deepEqual(texts, ["before the outbox was corrupted", "after corruption 0", "after corruption 1", "after corruption 2"],
      "nothing from the corrupted values was sent");
    // The visitor ends it: routing gave it to Dana, and the tests below expect her to have room
    // for their chats when they start (a chat left open would hold one of her slots until the
    // session timeout).
    await page.getByRole("button", { name: "End chat" }).click();
    await page.getByText("This chat has ended.").waitFor();
  } finally {
    await context.close();
  }
});

test("typing shows both ways, the visitor ends the chat, and a new chat starts fresh", async () => {
  const context = await browser.newContext();
  const { page, log, visitor, conv } = await startChat(context, "hello, is anyone there?");
  const typingSeen = [];
  const operator = new ProtoClient({
    base: edge.base, conversationId: conv.id, role: "operator", cookie,
    onFrame: (f) => { if (f.type === "typing") typingSeen.push(f); },
  });
  await operator.start();
  try {
    await typingEndAndNew(page, log, operator, conv, visitor, typingSeen);
  } finally {
    await operator.close();
    await context.close();
  }
});

async function typingEndAndNew(page, log, operator, conv, visitor, typingSeen) {
  await step(page, "typing-both-ways", async () => {
    // Operator → visitor.
    operator.sendFrame({ type: "typing", typing: true });
    await page.getByText("Dana is typing…").waitFor();
    // Visitor → operator.
    await page.getByRole("textbox", { name: "Message" }).pressSequentially("I am typ");
    await waitUntil([operator], () => typingSeen.length > 0, "the operator sees the visitor typing");
    assert.equal(typingSeen[0].author.role, "visitor");
    assert.equal(typingSeen[0].typing, true);
  });
  await step(page, "visitor-ends-chat", async () => {
    await page.getByRole("button", { name: "End chat" }).click();
    await page.getByText("This chat has ended.").waitFor();
    await waitUntil([operator], () => operator.status === "closed", "operator sees the chat closed");
    const row = await conversation(conv.id);
    assert.equal(row.status, "closed");
    assert.equal(row.closed_by, "visitor");
  });
  await step(page, "new-chat", async () => {
    await page.getByRole("button", { name: "Start a new chat" }).click();
    await send(page, "a new question");
    await log.getByText("Sending…").waitFor({ state: "detached" });
    assert.equal(await log.getByText("hello, is anyone there?").count(), 0, "the new chat starts empty");
    const { conversations: all } = await consoleApi("/api/v1/console/conversations");
    const mine = all.filter((c) => c.visitor_id === visitor.visitor.visitor_id);
    assert.equal(mine.length, 2, "a second conversation for the same visitor");
  });
}

test("a session ends by itself after the visitor left for the timeout, and is recorded", async () => {
  const context = await browser.newContext();
  const { conv } = await startChat(context, "I will leave soon");
  // The operator opens it and stays silent: "no operator response".
  const operator = new ProtoClient({ base: edge.base, conversationId: conv.id, role: "operator", cookie });
  await operator.start();
  try {
    await sessionTimesOut(context, operator, conv);
  } finally {
    await operator.close();
  }
});

async function sessionTimesOut(context, operator, conv) {
  const leftAt = Date.now();
  await context.close(); // the visitor leaves the site
  await waitUntil([operator], () => operator.status === "closed", "the session timeout closes the chat", 30_000);
  const elapsed = Date.now() - leftAt;
  assert.ok(elapsed >= TIMEOUT_MS - 200, `closed ${elapsed} ms after the visitor left (timeout ${TIMEOUT_MS} ms)`);
  let row;
  for (let i = 0; i < 50 && (row = await conversation(conv.id)).closed_by !== "timeout"; i++) {
    await new Promise((r) => setTimeout(r, 100)); // D1 copy follows the object's write
  }
  assert.equal(row.status, "closed");
  assert.equal(row.closed_by, "timeout");
  assert.equal(row.no_operator_response, 1, "assigned but never answered");
  const { events } = await consoleApi(`/api/v1/console/conversations/${conv.id}/events`);
  // Routed to Dana (online in the channel) when it started; she opened it, never wrote.
  assert.deepEqual(events.map((e) => e.kind), ["created", "assigned", "operator_joined", "closed"]);
  assert.ok(events.every((e, i) => i === 0 || e.at >= events[i - 1].at), "events in time order");
  console.log(`session timeout: closed ${elapsed} ms after the visitor left (configured ${TIMEOUT_MS} ms)`);
}

test("keyboard: opening focuses the composer, Escape closes and returns to the launcher", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(edge.base + "/");
    const launcher = page.getByRole("button", { name: "Open chat" });
    await launcher.focus();
    await page.keyboard.press("Enter");
    const box = page.getByRole("textbox", { name: "Message" });
    await box.waitFor();
    const focused = (loc) => loc.evaluate((el) => el.getRootNode().activeElement === el);
    await page.waitForFunction(() => {
      const root = document.querySelector("parley-chat")?.shadowRoot;
      return root?.activeElement?.getAttribute("aria-label") === "Message";
    });
    assert.equal(await focused(box), true, "the composer has focus after opening");
    await page.keyboard.press("Escape");
    await box.waitFor({ state: "hidden" });
    await page.waitForFunction(() => {
      const root = document.querySelector("parley-chat")?.shadowRoot;
      return root?.activeElement?.getAttribute("aria-label") === "Open chat";
    });
  } finally {
    await context.close();
  }
});
