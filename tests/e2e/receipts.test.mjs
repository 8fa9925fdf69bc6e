// Read receipts (issue 21, protocol v3), real at every layer: "Seen" shows on the visitor's side
// only once the operator has the chat open in a visible console, and on the operator's side only
// once the visitor has the panel open on a visible page; the launcher's unread badge follows the
// same rule; a reload shows "Seen" from the welcome. Then at the protocol level: a read frame
// reaches the other side once, a stale or repeated mark does nothing, the marks survive reconnects.
//
// Page visibility: this Chromium (156, headless, also headful on Ozone's headless platform) keeps
// every page "visible" whatever is in front (probed: a second tab brought to front, a minimized
// window, a background target), so the test sets the page's visibility the way the browser
// reports it to the page — `document.visibilityState` / `document.hidden` and a bubbling
// `visibilitychange` at the document — and the widget and console read it through their own
// unchanged code.
import { test } from "node:test";
import assert from "node:assert/strict";
import { step } from "./harness.mjs";
import { useEdge, widgetPage, consolePage } from "./fixtures.mjs";
import { ProtoClient, newConversation, login } from "./proto-client.mjs";

const { edge, browser } = useEdge({ browser: true });

/** Makes `page` report itself hidden (or visible again) as a browser does on a tab switch. */
async function setHidden(page, hidden) {
  await page.evaluate((h) => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (h ? "hidden" : "visible") });
    Object.defineProperty(document, "hidden", { configurable: true, get: () => h });
    document.dispatchEvent(new Event("visibilitychange", { bubbles: true }));
  }, hidden);
}

test("Seen shows on each side only once the other has the chat open on a visible page", async () => {
  const { page: visitor } = await widgetPage(browser, edge, { open: true });
  const vlog = visitor.getByRole("log", { name: "Messages" });
  const mine = (text) => vlog.locator(".msg.mine", { hasText: text });
  const q1 = "Do you have the tent in green?";
  const q2 = "And in blue?";
  const a1 = "Green, yes.";
  const a2 = "Blue too.";

  await step(visitor, "visitor-writes", async () => {
    await visitor.getByRole("textbox", { name: "Message" }).fill(q1);
    await visitor.getByRole("button", { name: "Send message" }).click();
    await mine(q1).getByText("Sent").waitFor();
  });

  const { page: op } = await consolePage(browser, edge);
  const olog = op.getByRole("log");
  const ours = (text) => olog.locator(".msg-operator", { hasText: text });

  await step(op, "operator-opens-the-chat-behind-another-tab", async () => {
    // Nobody has the chat open yet: nothing could have read it.
    assert.equal(await mine(q1).getByText("Seen").count(), 0);
    await setHidden(op, true);
    await op.getByRole("button", { name: /Open conversation/ }).first().click();
    await olog.getByText(q1).waitFor();
    // The reply reaches the visitor after any read mark the console would have sent on its
    // welcome: with the reply there and no "Seen", the hidden console read nothing.
    await op.getByRole("textbox", { name: "Reply" }).fill(a1);
    await op.getByRole("button", { name: "Send reply" }).click();
  });

  await step(visitor, "visitor-page-hidden-reads-nothing", async () => {
    // (The visitor's panel is open on a visible page: a1 is read as it arrives, below. First
    // the visitor's side of the rule: hide the page before the next reply.)
    await vlog.getByText(a1).waitFor();
    assert.equal(await mine(q1).getByText("Seen").count(), 0, "the console is hidden: not seen");
    assert.ok(await mine(q1).getByText("Sent").isVisible());
    await setHidden(visitor, true);
  });

  await step(op, "console-visible-marks-read", async () => {
    // a1 was read by the visible, open widget when it arrived.
    await ours(a1).getByText("Seen").waitFor();
    await setHidden(op, false);
    await mine(q1).getByText("Seen").waitFor();
    await op.getByRole("textbox", { name: "Reply" }).fill(a2);
    await op.getByRole("button", { name: "Send reply" }).click();
  });

  await step(visitor, "hidden-visitor-then-visible", async () => {
    await vlog.getByText(a2).waitFor();
    // Written on the hidden page after a2 arrived: any read mark for a2 would have gone before it.
    await visitor.getByRole("textbox", { name: "Message" }).fill(q2);
    await visitor.getByRole("button", { name: "Send message" }).click();
    await olog.getByText(q2).waitFor();
    assert.equal(await ours(a2).getByText("Seen").count(), 0, "the visitor's page is hidden: a2 not seen");
    assert.ok(await ours(a1).getByText("Seen").isVisible(), "Seen stays under the last reply read");
    // The console is open and visible: it reads q2 at once.
    await mine(q2).getByText("Seen").waitFor();
    await setHidden(visitor, false);
    await ours(a2).getByText("Seen").waitFor();
    assert.equal(await ours(a1).getByText("Seen").count(), 0, "Seen moved to the last reply read");
  });

  await step(visitor, "panel-closed-counts-unread", async () => {
    await visitor.getByRole("button", { name: "Close chat" }).click();
    const a3 = "Anything else?";
    await op.getByRole("textbox", { name: "Reply" }).fill(a3);
    await op.getByRole("button", { name: "Send reply" }).click();
    const launcher = visitor.getByRole("button", { name: "Open chat" });
    await launcher.locator(".badge").waitFor();
    assert.match(await launcher.locator(".badge").textContent(), /^1\b/, "one reply unread");
    await launcher.click();
    await ours(a3).getByText("Seen").waitFor();
    await visitor.getByRole("button", { name: "Close chat" }).click();
    await launcher.waitFor();
    assert.equal(await launcher.locator(".badge").count(), 0, "read: no badge");
  });

  await step(visitor, "reload-shows-seen-at-once", async () => {
    await visitor.reload();
    await visitor.getByRole("button", { name: "Open chat" }).click();
    await mine(q2).getByText("Seen").waitFor();
    assert.equal(await mine(q1).getByText("Seen").count(), 0);
  });
});

test("a read frame reaches the other side once; a stale or repeated mark does nothing", async () => {
  const conv = await newConversation(edge.base);
  const cookie = await login(edge.base);
  const frames = { v: [], o: [] };
  const visitor = new ProtoClient({
    base: edge.base, role: "visitor", ...conv, label: "rv", onFrame: (f) => f.type === "read" && frames.v.push(f),
  });
  const operator = new ProtoClient({
    base: edge.base, conversationId: conv.conversationId, role: "operator", cookie, label: "ro",
    onFrame: (f) => f.type === "read" && frames.o.push(f),
  });
  await Promise.all([visitor.start(), operator.start()]);
  await visitor.waitForAck(visitor.send("Hello?")); // seq 1
  await operator.waitForAck(operator.send("Hi!")); // seq 2
  await Promise.all([visitor.waitForMessages(2), operator.waitForMessages(2)]);

  // A typing frame from the same socket is the barrier: the server handles a socket's frames in
  // order and sends in order, so once the typing frame is there, any read frame would be too.
  let typings = 0;
  const barrier = async (from, to) => {
    const before = typings;
    from.sendFrame({ type: "typing", typing: (typings & 1) === 0 });
    await to.waitFor(() => typings > before, "typing barrier");
  };
  for (const c of [visitor, operator]) {
    const prev = c.opts.onFrame;
    c.opts.onFrame = (f, self) => {
      prev(f, self);
      if (f.type === "typing") typings++;
    };
  }

  operator.sendFrame({ type: "read", seq: 1 });
  await visitor.waitFor(() => frames.v.length === 1, "the operators' mark");
  assert.deepEqual(frames.v, [{ type: "read", operator_read: 1 }]);
  // Repeated, lower, and only through the operators' own message: nothing.
  operator.sendFrame({ type: "read", seq: 1 });
  operator.sendFrame({ type: "read", seq: 0 });
  operator.sendFrame({ type: "read", seq: 2 });
  await barrier(operator, visitor);
  assert.equal(frames.v.length, 1, "a stale mark is not told");
  assert.equal(frames.o.length, 0, "the sender is not told its own mark");

  // The visitor's mark past the end is clamped to the last operator's message.
  visitor.sendFrame({ type: "read", seq: 99 });
  await operator.waitFor(() => frames.o.length === 1, "the visitor's mark");
  assert.deepEqual(frames.o, [{ type: "read", visitor_read: 2 }]);
  visitor.sendFrame({ type: "read", seq: 2 });
  await barrier(visitor, operator);
  assert.equal(frames.o.length, 1);

  // A malformed read frame is refused like any other.
  const errors = visitor.errors.length;
  visitor.sendFrame({ type: "read", seq: -1 });
  await visitor.waitFor(() => visitor.errors.length > errors, "refusal");
  assert.equal(visitor.errors.at(-1).code, "malformed");

  // Reconnecting clients get both marks in their welcome.
  const welcomes = [];
  const again = new ProtoClient({
    base: edge.base, role: "visitor", ...conv, label: "rv2", onFrame: (f) => f.type === "welcome" && welcomes.push(f),
  });
  await again.start();
  assert.equal(welcomes[0].visitor_read, 2);
  assert.equal(welcomes[0].operator_read, 1);
  await Promise.all([visitor.close(), operator.close(), again.close()]);
});
