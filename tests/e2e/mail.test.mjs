// Mail (issue 20) against a real `wrangler dev`: every mail goes through the `send_email`
// binding `MAIL`, which wrangler simulates and keeps; the tests read what was actually sent from
// wrangler's local explorer (`/cdn-cgi/local/explorer/api/local/email/sending`), not from a table
// of ours. Inbound mails are POSTed to `/cdn-cgi/handler/email?from=…&to=…` (the worker's
// `email()` handler; a rejected mail answers 400 with its reason: the bounce).
import { test } from "node:test";
import assert from "node:assert/strict";
import { useEdge, C, until, assertError, plainText, widgetPage } from "./fixtures.mjs";
import { createHmac } from "node:crypto";
import { newVisitor, newConversation, postJson, readTranscript, ProtoClient, waitUntil } from "./proto-client.mjs";
import { consoleLogin, step } from "./harness.mjs";

// A minute of a channel's missed-chat wait lasts 8 s here, and an answer to a visitor who left is
// mailed 3 s after it (60 s each when deployed): the tests wait for the mails, not the clock.
const { edge, browser, clients } = useEdge({ browser: true, vars: { PARLEY_MAIL_MINUTE_MS: "8000", PARLEY_REPLY_MAIL_DELAY_MS: "3000" } });

const SENDING = "/cdn-cgi/local/explorer/api/local/email/sending";

/** Every mail the binding sent this session (newest first as wrangler lists them). */
async function sentMails() {
  const out = [];
  let cursor = "";
  for (let page = 0; page < 50; page++) {
    const r = await fetch(`${edge.base}${SENDING}?per_page=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    assert.equal(r.status, 200, `explorer: ${r.status}`);
    const body = await r.json();
    out.push(...body.result);
    cursor = body.result_info?.cursor ?? "";
    if (!body.result_info?.has_more || !cursor) break;
  }
  return out;
}

/** One sent mail in full (its raw RFC 5322 text included). */
async function sentMail(messageId) {
  const r = await fetch(`${edge.base}${SENDING}?email_id=${encodeURIComponent(messageId)}`);
  assert.equal(r.status, 200);
  return (await r.json()).result;
}

const mailsTo = async (address) => (await sentMails()).filter((m) => m.to.map((t) => t.toLowerCase()).includes(address));

/** Waits until request `r`'s work after its answer is done (its count is kept then). */
async function finished(r) {
  const id = r.headers.get("x-parley-request-id");
  assert.ok(id, "the harness turns PARLEY_DEBUG_COST on");
  await until(async () => (await fetch(`${edge.base}/api/v1/debug/cost/${id}`)).status === 200, `request ${id} finished`);
}

const scheduled = (time) =>
  fetch(`${edge.base}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("17 * * * *")}&time=${time}`).then((r) => r.text());

test("channel mail settings: read, validated, written by an admin", async () => {
  const cookie = await edge.login();
  const before = await edge.get(`${C}/channels/demo/mail`, cookie);
  assert.equal(before.status, 200, JSON.stringify(before.json));
  assert.deepEqual(before.json, { addresses: [], missed_wait_minutes: 5, sender_name: "" });
  const bad = await edge.post(`${C}/channels/demo/mail`, { addresses: ["not an address"], missed_wait_minutes: 5, sender_name: "" }, cookie);
  assertError(bad, 400, "invalid", "a malformed address", "addresses");
  const zero = await edge.post(`${C}/channels/demo/mail`, { addresses: [], missed_wait_minutes: 0, sender_name: "" }, cookie);
  assertError(zero, 400, "invalid", "no wait", "missed_wait_minutes");
  const unknown = await edge.post(`${C}/channels/nope/mail`, { addresses: [], missed_wait_minutes: 5, sender_name: "" }, cookie);
  assert.equal(unknown.status, 404, JSON.stringify(unknown.json));
});

test("an offline message is mailed once to each of the channel's addresses, Reply-To the visitor, text and HTML", async () => {
  const cookie = await edge.login();
  const set = await edge.post(
    `${C}/channels/demo/mail`,
    { addresses: ["ops@acme.example", " Sales@Acme.example "], missed_wait_minutes: 10, sender_name: "Acme support" },
    cookie,
  );
  assert.equal(set.status, 200, JSON.stringify(set.json));
  assert.deepEqual(set.json.addresses, ["ops@acme.example", "Sales@Acme.example"]);
  assert.deepEqual((await edge.get(`${C}/channels/demo/mail`, cookie)).json, set.json);

  const v = await newVisitor(edge.base);
  const body = {
    channel_id: "demo", visitor_id: v.visitorId, visitor_token: v.visitorToken,
    name: "Ada Lovelace", email: "ada@visitor.example", text: "Do you ship tents to Norway?\nThanks!", page_url: `${edge.base}/tents`,
  };
  const first = await postJson(edge.base, "/api/v1/widget/offline-message", body);
  assert.equal(first.status, 201, JSON.stringify(first.json));
  // The same form resent: the same message, no second mail.
  const again = await postJson(edge.base, "/api/v1/widget/offline-message", body);
  assert.equal(again.json.id, first.json.id);
  await finished(first);
  await finished(again);

  await until(async () => (await mailsTo("ops@acme.example")).length > 0, "the mail to ops@acme.example");
  await until(async () => (await mailsTo("sales@acme.example")).length > 0, "the mail to sales@acme.example");
  // A scheduled run retries only what failed: nothing more is sent.
  await scheduled(Date.now() + 10 * 60_000);
  const opsAfter = await mailsTo("ops@acme.example");
  const salesAfter = await mailsTo("sales@acme.example");
  assert.equal(opsAfter.length, 1, JSON.stringify(opsAfter.map((m) => m.subject)));
  assert.equal(salesAfter.length, 1);

  const m = await sentMail(opsAfter[0].messageId);
  assert.equal(m.from, "chat@mail.parley.example");
  assert.equal(m.replyTo.toLowerCase().includes("ada@visitor.example"), true, JSON.stringify(m.replyTo));
  assert.match(m.headers.from, /Acme support/);
  assert.match(m.subject, /Ada Lovelace/);
  assert.match(m.raw, /Content-Type: text\/plain/i);
  assert.match(m.raw, /Content-Type: text\/html/i);
  assert.match(m.raw, /Auto-Submitted: auto-generated/i);
  // The visitor's words, in the text part (decoded by wrangler's parser into the capture).
  const decoded = Buffer.from(m.rawBase64, "base64").toString("utf8");
  assert.ok(decoded.includes("Norway") || JSON.stringify(m).includes("Norway"), "the message's text is in the mail");
});

test("no notification address: an offline message sends no mail", async () => {
  const cookie = await edge.login();
  const off = await edge.post(`${C}/channels/demo/mail`, { addresses: [], missed_wait_minutes: 5, sender_name: "" }, cookie);
  assert.equal(off.status, 200);
  const before = (await sentMails()).length;
  const v = await newVisitor(edge.base);
  const r = await postJson(edge.base, "/api/v1/widget/offline-message", {
    channel_id: "demo", visitor_id: v.visitorId, visitor_token: v.visitorToken,
    name: "Bo", email: "bo@visitor.example", text: "Anyone there?", page_url: `${edge.base}/`,
  });
  assert.equal(r.status, 201);
  await finished(r);
  await scheduled(Date.now() + 10 * 60_000);
  assert.equal((await sentMails()).length, before);
});

// ---------------------------------------------------------------------------------------------
// Inbound: a visitor's emailed reply

/** The reply address of conversation `id` valid until `exp` (Unix s), as `parley_mail::token` makes it. */
function replyAddress(id, exp, secret = edge.secret) {
  const e = Buffer.alloc(8);
  e.writeBigUInt64BE(BigInt(exp));
  const mac = createHmac("sha256", Buffer.from(secret, "utf8"))
    .update(Buffer.concat([Buffer.from("parley/reply/v1\0"), Buffer.from(id), Buffer.from("\0"), e]))
    .digest()
    .subarray(0, 10)
    .toString("hex");
  return `r-${id}-${exp.toString(36)}-${mac}@mail.parley.example`;
}

const rawMail = ({ from, to, messageId, body, extraHeaders = "" }) =>
  `From: Ada <${from}>\r\nTo: ${to}\r\nSubject: Re: Your chat\r\nMessage-ID: <${messageId}>\r\n` +
  `Date: Mon, 7 Dec 2026 23:00:00 +0000\r\nMIME-Version: 1.0\r\n${extraHeaders}` +
  `Content-Type: text/plain; charset=utf-8\r\n\r\n${body.replaceAll("\n", "\r\n")}\r\n`;

/** POSTs a raw mail to the worker's email() handler; resolves `{ status, text }` (400: rejected, with its reason). */
async function deliver(from, to, raw) {
  const r = await fetch(`${edge.base}/cdn-cgi/handler/email?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, {
    method: "POST",
    body: raw,
  });
  return { status: r.status, text: await r.text() };
}

test("a visitor's emailed reply joins their conversation once, quoted history cut, marked by email", async () => {
  const cookie = await edge.login();
  const conv = await newConversation(edge.base);
  const to = replyAddress(conv.conversationId, Math.floor(Date.now() / 1000) + 3600);
  const raw = rawMail({
    from: "ada@visitor.example", to, messageId: `reply-1-${conv.conversationId}@visitor.example`,
    body: "Yes, Tuesday works for me.\n\nOn Mon, 7 Dec 2026, Acme wrote:\n> When can we call you?\n",
  });
  const first = await deliver("ada@visitor.example", to, raw);
  assert.equal(first.status, 200, first.text);
  // The same mail delivered again (a retrying mail server): stored once.
  assert.equal((await deliver("ada@visitor.example", to, raw)).status, 200);
  // What an operator's socket replays: the message, the visitor's, marked by email.
  const t = await readTranscript(edge.base, conv.conversationId, { role: "operator", cookie });
  assert.equal(t.length, 1, JSON.stringify(t));
  assert.equal(t[0].text, "Yes, Tuesday works for me.", "quoted history cut");
  assert.equal(t[0].author.role, "visitor");
  assert.match(t[0].client_id, /^mail-[0-9a-f]{32}$/, "marked by email");
});

test("a forged, altered or expired reply address bounces with its reason; so does a mail with a file", async () => {
  const conv = await newConversation(edge.base);
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const good = replyAddress(conv.conversationId, exp);
  const forged = replyAddress(conv.conversationId, exp, "not-this-deployments-secret");
  const altered = good.replace(/-([0-9a-f])/, (_, c) => `-${c === "0" ? "1" : "0"}`);
  const expired = replyAddress(conv.conversationId, Math.floor(Date.now() / 1000) - 60);
  const body = { from: "eve@attacker.example", messageId: "x@attacker.example", body: "let me in" };
  for (const [label, to, reason] of [
    ["forged", forged, /does not belong to a conversation/],
    ["altered", altered, /does not belong to a conversation/],
    ["expired", expired, /can no longer be answered by email/],
    ["not a reply address", "support@mail.parley.example", /does not belong to a conversation/],
  ]) {
    const r = await deliver("eve@attacker.example", to, rawMail({ ...body, to }));
    assert.equal(r.status, 400, `${label}: ${r.text}`);
    assert.match(r.text, reason, label);
  }
  // A real address, but a file attached.
  const withFile =
    `From: ada@visitor.example\r\nTo: ${good}\r\nSubject: Re\r\nMessage-ID: <f@visitor.example>\r\nMIME-Version: 1.0\r\n` +
    `Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached\r\n` +
    `--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="a.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n`;
  const f = await deliver("ada@visitor.example", good, withFile);
  assert.equal(f.status, 400, f.text);
  assert.match(f.text, /Files cannot be sent/);
  // Nothing of it reached the chat.
  const cookie = await edge.login();
  assert.deepEqual(await readTranscript(edge.base, conv.conversationId, { role: "operator", cookie }), []);
});

test("the console: the emailed reply marked by email; the channel's mail settings edited in Admin", async () => {
  const conv = await newConversation(edge.base);
  const to = replyAddress(conv.conversationId, Math.floor(Date.now() / 1000) + 3600);
  const text = "Emailed hello from Ada";
  const r = await deliver("ada@visitor.example", to, rawMail({ from: "ada@visitor.example", to, messageId: `c-${conv.conversationId}@visitor.example`, body: text }));
  assert.equal(r.status, 200, r.text);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  try {
    await step(page, "console-by-email", async () => {
      await consoleLogin(page, edge.base);
      await page.getByRole("button", { name: /^All/ }).click();
      await page.getByRole("button", { name: new RegExp(`Open conversation: ${text}`) }).click();
      const bubble = page.getByRole("log").locator(".msg", { hasText: text });
      await bubble.waitFor();
      assert.equal(await bubble.locator(".msg-by-email").innerText(), "by email");
    });
    await step(page, "console-channel-mail-settings", async () => {
      await page.getByRole("button", { name: "Admin", exact: true }).click();
      await page.getByRole("tab", { name: "Channels" }).click();
      await page.getByRole("button", { name: "Edit channel Demo channel" }).click();
      const form = page.getByRole("form", { name: "Edit channel Demo channel" });
      await form.getByLabel("Notification addresses", { exact: true }).fill("desk@acme.example\nnight@acme.example");
      await form.getByLabel("Minutes before a missed-chat mail", { exact: true }).fill("15");
      await form.getByLabel("Sender name", { exact: true }).fill("Acme desk");
      await form.getByRole("button", { name: "Save mail settings" }).click();
      await form.getByText("Mail settings saved.").waitFor();
    });
  } finally {
    await ctx.close();
  }
  const cookie = await edge.login();
  assert.deepEqual((await edge.get(`${C}/channels/demo/mail`, cookie)).json, {
    addresses: ["desk@acme.example", "night@acme.example"], missed_wait_minutes: 15, sender_name: "Acme desk",
  });
});

// ---------------------------------------------------------------------------------------------
// "Email me this chat": the transcript to the visitor, answered by mail

const transcriptOf = (conv, email) =>
  postJson(edge.base, `/api/v1/conversations/${conv.conversationId}/transcript`, {
    channel_id: "demo", visitor_id: conv.visitorId, visitor_token: conv.visitorToken, email, lang: "en",
  });

test("'Email me this chat': every message mailed once to the visitor, whose emailed reply joins the chat", async () => {
  const cookie = await edge.login();
  const conv = await newConversation(edge.base);
  const visitor = new ProtoClient({ base: edge.base, conversationId: conv.conversationId, role: "visitor", ...conv });
  const op = new ProtoClient({ base: edge.base, conversationId: conv.conversationId, role: "operator", cookie });
  clients.push(visitor, op);
  await Promise.all([visitor.start(), op.start()]);
  const said = [
    [visitor, "Do you ship tents to Oslo?"],
    [op, "Yes, within three days."],
    [visitor, "Even the <4 person> one?"],
    [op, "That one too — free shipping."],
    [visitor, "Great, thanks!"],
  ];
  for (const [who, text] of said) {
    who.send(text);
    await who.allAcked();
  }

  // An address no mail can go to: refused, naming the field.
  assertError(await transcriptOf(conv, "not an address"), 400, "invalid", "a malformed address", "email");
  // Another visitor's credentials: not their conversation.
  const other = await newVisitor(edge.base);
  const foreign = await transcriptOf({ ...conv, visitorId: other.visitorId, visitorToken: other.visitorToken }, "x@visitor.example");
  assert.equal(foreign.status, 404, JSON.stringify(foreign.json));

  const to = `kari.${conv.conversationId.slice(-6)}@visitor.example`;
  const r = await transcriptOf(conv, to);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json, { queued: true });
  await finished(r);
  // Asked again with nothing new: nothing more is queued.
  const again = await transcriptOf(conv, to);
  assert.deepEqual(again.json, { queued: false });
  await finished(again);
  await until(async () => (await mailsTo(to)).length > 0, "the transcript mail");
  const mails = await mailsTo(to);
  assert.equal(mails.length, 1, JSON.stringify(mails.map((m) => m.subject)));

  const m = await sentMail(mails[0].messageId);
  assert.equal(m.from, "chat@mail.parley.example");
  const text = plainText(Buffer.from(m.rawBase64, "base64").toString("utf8"));
  for (const [, line] of said) assert.ok(text.includes(line), `the mail holds ${JSON.stringify(line)}:\n${text}`);
  const lines = text.split(/\r?\n/).filter((l) => /^\[\d\d:\d\d\] /.test(l));
  assert.equal(lines.length, said.length, text);
  assert.match(text, /^##- /, "the reply marker first");

  // The visitor answers the mail: to its Reply-To, their mail program quoting the history.
  const replyTo = (m.replyTo ?? m.headers?.["reply-to"] ?? "").match(/r-[a-z0-9_]+-[a-z0-9]+-[0-9a-f]+@[^\s>]+/i)?.[0];
  assert.ok(replyTo, `a reply address: ${JSON.stringify(m.replyTo)}`);
  const answer = "One more: do you ship on Saturdays?";
  const raw = rawMail({
    from: to, to: replyTo, messageId: `t-${conv.conversationId}@visitor.example`,
    body: `${answer}\n\nOn Tue, 8 Dec 2026, Demo channel wrote:\n> ${text.split("\n").join("\n> ")}\n`,
  });
  const d = await deliver(to, replyTo, raw);
  assert.equal(d.status, 200, d.text);
  await waitUntil([op], () => [...op.messages.values()].some((x) => x.text === answer), "the operator sees the emailed reply");
  const t = await readTranscript(edge.base, conv.conversationId, { role: "operator", cookie });
  assert.deepEqual(t.map((x) => x.text), [...said.map(([, s]) => s), answer]);
  assert.equal(t.at(-1).author.role, "visitor");
});

test("the widget's 'Email me this chat' asks for the address and says where the chat went", async () => {
  const { ctx, page } = await widgetPage(browser, edge, { open: true });
  try {
    await step(page, "widget-email-chat", async () => {
      await page.getByRole("textbox", { name: "Message" }).fill("Hello from the widget, mail me this");
      await page.getByRole("button", { name: "Send message" }).click();
      // The mail holds what the chat has stored: the message is acknowledged first (a request
      // made while it is on its way mails the chat without it; asking again mails it then).
      await page.locator(".msg.mine:not(.pending)").first().waitFor();
      await page.getByRole("button", { name: "Email me this chat" }).click();
      const form = page.getByRole("form", { name: "Email me this chat" });
      await form.getByRole("textbox", { name: "Your email" }).fill("widget.mail@visitor.example");
      await form.getByRole("button", { name: "Email me this chat" }).click();
      await page.getByText("We sent this chat to widget.mail@visitor.example.").waitFor();
    });
  } finally {
    await ctx.close();
  }
  await until(async () => (await mailsTo("widget.mail@visitor.example")).length > 0, "the widget's transcript mail");
  const [m] = await mailsTo("widget.mail@visitor.example");
  const text = plainText(Buffer.from((await sentMail(m.messageId)).rawBase64, "base64").toString("utf8"));
  assert.ok(text.includes("Hello from the widget, mail me this"), text);
});

// ---------------------------------------------------------------------------------------------
// Missed chats: no operator's answer within the channel's wait → one mail to its addresses

test("a chat left unanswered past the channel's wait is mailed once to its addresses; an answered one is not", async () => {
  const cookie = await edge.login();
  const set = await edge.post(`${C}/channels/demo/mail`, { addresses: ["missed@acme.example"], missed_wait_minutes: 1, sender_name: "" }, cookie);
  assert.equal(set.status, 200, JSON.stringify(set.json));
  const start = async (first) => {
    const conv = await newConversation(edge.base);
    const visitor = new ProtoClient({ base: edge.base, conversationId: conv.conversationId, role: "visitor", ...conv });
    clients.push(visitor);
    await visitor.start();
    visitor.send(first);
    await visitor.allAcked();
    return conv;
  };
  // Answered within the wait: never missed.
  const answered = await start("Answered question about tents");
  const op = new ProtoClient({ base: edge.base, conversationId: answered.conversationId, role: "operator", cookie });
  clients.push(op);
  await op.start();
  op.send("Right here, how can I help?");
  await op.allAcked();
  // Nobody answers this one.
  const missed = await start("Is anybody there? Missed tent question");

  await until(async () => (await mailsTo("missed@acme.example")).length > 0, "the missed-chat mail", 150_000);
  // Its object's later alarms (the session timeout) send nothing more.
  await scheduled(Date.now() + 10 * 60_000);
  const mails = await mailsTo("missed@acme.example");
  assert.equal(mails.length, 1, JSON.stringify(mails.map((m) => m.subject)));
  const m = await sentMail(mails[0].messageId);
  assert.match(m.subject, /without an answer|no answer|1 min/i, m.subject);
  const text = plainText(Buffer.from(m.rawBase64, "base64").toString("utf8"));
  assert.ok(text.includes("Is anybody there? Missed tent question"), text);
  assert.ok(!text.includes("Answered question"), "only the missed chat is mailed");
  assert.ok(text.includes(`/console#/transcript/${missed.conversationId}`), `the console link:\n${text}`);
});

// ---------------------------------------------------------------------------------------------
// An operator's answer to a visitor who has left (their address known) → the visitor, by mail

test("an operator's answers to a visitor who left are mailed to them together, with a reply address that continues the chat", async () => {
  const admin = await edge.login();
  const form = await edge.post(`${C}/channels/demo`, { prechat: [{ key: "email", label: "Email", required: false }] }, admin);
  assert.equal(form.status, 200, JSON.stringify(form.json));
  try {
    const v = await newVisitor(edge.base);
    const email = `left.${v.visitorId.slice(-6).toLowerCase()}@visitor.example`;
    const c = await postJson(edge.base, "/api/v1/conversations", {
      channel_id: "demo", visitor_id: v.visitorId, visitor_token: v.visitorToken, page_url: `${edge.base}/`, prechat: [["email", email]],
    });
    assert.equal(c.status, 200, JSON.stringify(c.json));
    const conv = { conversationId: c.json.conversation_id, ...v };
    const visitor = new ProtoClient({ base: edge.base, conversationId: conv.conversationId, role: "visitor", ...conv });
    clients.push(visitor);
    await visitor.start();
    visitor.send("Can someone check my order?");
    await visitor.allAcked();
    await visitor.close(); // the visitor leaves the site

    const op = new ProtoClient({ base: edge.base, conversationId: conv.conversationId, role: "operator", cookie: admin });
    clients.push(op);
    await op.start();
    op.send("Your order ships tomorrow.");
    op.send("Tracking number follows by mail.");
    await op.allAcked();

    await until(async () => (await mailsTo(email)).length > 0, "the reply mail", 150_000);
    const mails = await mailsTo(email);
    assert.equal(mails.length, 1, "both answers in one mail");
    const m = await sentMail(mails[0].messageId);
    const text = plainText(Buffer.from(m.rawBase64, "base64").toString("utf8"));
    assert.ok(text.includes("Your order ships tomorrow.") && text.includes("Tracking number follows by mail."), text);
    assert.ok(!text.includes("Can someone check my order?"), "only the answers");
    const replyTo = (m.replyTo ?? "").match(/r-[a-z0-9_]+-[a-z0-9]+-[0-9a-f]+@[^\s>]+/i)?.[0];
    assert.ok(replyTo, JSON.stringify(m.replyTo));
    const d = await deliver(email, replyTo, rawMail({ from: email, to: replyTo, messageId: `r-${conv.conversationId}@visitor.example`, body: "Thanks a lot!" }));
    assert.equal(d.status, 200, d.text);
    await waitUntil([op], () => [...op.messages.values()].some((x) => x.text === "Thanks a lot!"), "the emailed answer in the chat");
  } finally {
    await edge.post(`${C}/channels/demo`, { prechat: [] }, admin);
  }
});
