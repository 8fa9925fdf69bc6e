// Web Push to an operator whose console is closed (issue 20), end to end against a real
// `wrangler dev`. No browser vendor's push service is reachable here, so the test runs its own:
// a plain node HTTP server that does what a push service does with a request — checks the VAPID
// token (RFC 8292: ES256 signature under the key `/api/v1/push/key` gives, audience = its own
// origin, expiry within 24 hours, a contact subject) — and, in the browser's place, decrypts the
// aes128gcm body (RFC 8188 / RFC 8291) with node:crypto and a P-256 key pair and auth secret made
// here, as a browser's PushManager would have. The subscriptions are posted through the API the
// console uses. `PARLEY_PUSH_ALLOW_HTTP` admits the server's http:// endpoint (never on by
// default); `PARLEY_CONSOLE_GONE_MS` makes "closed" 3 s of silence instead of 90 s.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import crypto from "node:crypto";
import { useEdge, assertError, consolePage, until } from "./fixtures.mjs";
import { freePort, step } from "./harness.mjs";
import { newConversation, ProtoClient } from "./proto-client.mjs";

const GONE_MS = 3_000;
const { edge, browser, clients } = useEdge({
  browser: true,
  vars: {
    PARLEY_PUSH_ALLOW_HTTP: "1",
    PARLEY_CONSOLE_GONE_MS: String(GONE_MS),
    PARLEY_PUSH_SUBJECT: "mailto:ops@parley.test",
    PARLEY_LIMIT_CHAT_ADDRESS: "1000/600",
    PARLEY_LIMIT_CHAT_CHANNEL: "1000/600",
  },
});

const b64u = (buf) => Buffer.from(buf).toString("base64url");
const unb64u = (s) => Buffer.from(s, "base64url");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A browser's side of a subscription: a P-256 key pair and a 16-octet auth secret. */
function browserKeys() {
  const ecdh = crypto.createECDH("prime256v1");
  ecdh.generateKeys();
  return { ecdh, auth: crypto.randomBytes(16) };
}

/** RFC 8291 §3.4 + RFC 8188 §2: what the browser does with a push message body. */
function decrypt(body, { ecdh, auth }) {
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idLen = body[20];
  const asPublic = body.subarray(21, 21 + idLen);
  assert.equal(idLen, 65, "the key id is the server's ephemeral P-256 key");
  assert.equal(rs, 4096);
  const records = body.subarray(21 + idLen);
  assert.ok(records.length <= rs, "one record");
  const uaPublic = ecdh.getPublicKey();
  const shared = ecdh.computeSecret(asPublic);
  const info = Buffer.concat([Buffer.from("WebPush: info\0"), uaPublic, asPublic]);
  const ikm = Buffer.from(crypto.hkdfSync("sha256", shared, auth, info, 32));
  const cek = Buffer.from(crypto.hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: aes128gcm\0"), 16));
  const nonce = Buffer.from(crypto.hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: nonce\0"), 12));
  const decipher = crypto.createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(records.subarray(records.length - 16));
  let plain = Buffer.concat([decipher.update(records.subarray(0, records.length - 16)), decipher.final()]);
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  assert.equal(plain[end - 1], 2, "the last record's delimiter");
  return JSON.parse(plain.subarray(0, end - 1).toString("utf8"));
}

/** RFC 8292 as a push service checks it; answers the claims. */
function verifyVapid(header, expectedKey, origin) {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? "");
  assert.ok(m, `Authorization: ${header}`);
  const [, token, k] = m;
  assert.equal(k, expectedKey, "the key named is the deployment's");
  const [h, c, sig] = token.split(".");
  assert.deepEqual(JSON.parse(unb64u(h)), { typ: "JWT", alg: "ES256" });
  const point = unb64u(k);
  const key = crypto.createPublicKey({
    key: { kty: "EC", crv: "P-256", x: b64u(point.subarray(1, 33)), y: b64u(point.subarray(33, 65)) },
    format: "jwk",
  });
  const ok = crypto.verify("sha256", Buffer.from(`${h}.${c}`), { key, dsaEncoding: "ieee-p1363" }, unb64u(sig));
  assert.ok(ok, "the ES256 signature holds");
  const claims = JSON.parse(unb64u(c));
  assert.equal(claims.aud, origin, "audience: the push service's origin");
  const now = Math.floor(Date.now() / 1000);
  assert.ok(claims.exp > now && claims.exp <= now + 24 * 3600, `exp within 24 h: ${claims.exp - now}`);
  assert.equal(claims.sub, "mailto:ops@parley.test");
  return claims;
}

/** The test's push service: every request is checked and kept; `/push/gone/*` answers 410. */
async function pushService(vapidKey) {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const received = [];
  const errors = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      try {
        assert.equal(req.method, "POST");
        assert.equal(req.headers["content-encoding"], "aes128gcm");
        assert.ok(Number(req.headers.ttl) > 0, "a TTL");
        assert.equal(req.headers.urgency, "high");
        assert.match(req.headers.topic ?? "", /^[A-Za-z0-9_-]{1,32}$/, "an RFC 8030 topic");
        assert.ok(body.length <= 4096, "at most the 4,096 octets every service takes");
        verifyVapid(req.headers.authorization, vapidKey, origin);
        received.push({ path: req.url, body, topic: req.headers.topic });
      } catch (e) {
        errors.push(e);
        res.writeHead(400).end();
        return;
      }
      res.writeHead(req.url.startsWith("/push/gone/") ? 410 : 201).end();
    });
  });
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  return { origin, received, errors, close: () => new Promise((r) => server.close(r)) };
}

/** What the first test's push service decrypted: the second hands it to the service worker. */
let pushed = null;

const subscription = (endpoint, keys) => ({
  endpoint,
  expirationTime: null,
  keys: { p256dh: b64u(keys.ecdh.getPublicKey()), auth: b64u(keys.auth) },
});

test("a closed console gets a push its endpoint verifies and decrypts, as the operator chose; 410 forgets the subscription", async () => {
  const r = await edge.get("/api/v1/push/key");
  assert.equal(r.status, 200);
  const vapidKey = r.json.key;
  assert.equal(unb64u(vapidKey).length, 65);
  assert.equal(unb64u(vapidKey)[0], 4, "an uncompressed P-256 point");

  const service = await pushService(vapidKey);
  try {
    const cookie = await edge.login("demo");
    const dana = browserKeys();
    const gone = browserKeys();
    const muted = browserKeys();
    const good = `${service.origin}/push/dana-1`;
    const goneUrl = `${service.origin}/push/gone/dana-2`;
    const mutedUrl = `${service.origin}/push/muted/dana-3`;

    // Refusals: a key that is not on the curve, a secret of the wrong length, no session.
    const bad = subscription(good, dana);
    let s = await edge.post("/api/v1/push/subscriptions", { subscription: { ...bad, keys: { ...bad.keys, p256dh: b64u(Buffer.alloc(65, 4)) } }, new_chats: true, new_messages: true }, cookie);
    assertError(s, 400, "invalid", "p256dh off the curve", "subscription.keys.p256dh");
    s = await edge.post("/api/v1/push/subscriptions", { subscription: { ...bad, keys: { ...bad.keys, auth: "AAAA" } }, new_chats: true, new_messages: true }, cookie);
    assertError(s, 400, "invalid", "short auth", "subscription.keys.auth");
    s = await edge.post("/api/v1/push/subscriptions", { subscription: { ...bad, endpoint: "ftp://x/y" }, new_chats: true, new_messages: true }, cookie);
    assertError(s, 400, "invalid", "not http(s)", "subscription.endpoint");
    s = await edge.post("/api/v1/push/subscriptions", { subscription: bad, new_chats: true, new_messages: true });
    assert.equal(s.status, 401, "no session");

    // Each browser with its console's language (the texts'); none said: English.
    for (const [url, keys, newChats, lang] of [[good, dana, true, "de-AT"], [goneUrl, gone, true, undefined], [mutedUrl, muted, false, "fr"]]) {
      s = await edge.post("/api/v1/push/subscriptions", { subscription: subscription(url, keys), new_chats: newChats, new_messages: true, lang }, cookie);
      assert.equal(s.status, 200, JSON.stringify(s.json));
    }
    let list = await edge.get("/api/v1/push/subscriptions", cookie);
    assert.deepEqual(list.json.map((x) => x.endpoint).sort(), [good, goneUrl, mutedUrl].sort());

    // Console open (it just polled the dispatcher): a new chat for Dana pushes nothing. The
    // dispatcher delivers its outbox before it answers the chat's start, so "nothing" is known
    // once the start has answered.
    assert.equal((await edge.get("/api/v1/console/presence", cookie)).status, 200);
    const open = await newConversation(edge.base);
    assert.deepEqual(service.received, [], "no push while the console polls");

    // The console goes quiet past PARLEY_CONSOLE_GONE_MS: closed.
    await sleep(GONE_MS + 500);
    const closed = await newConversation(edge.base);
    assert.deepEqual(service.errors, []);
    const paths = service.received.map((x) => x.path).sort();
    assert.deepEqual(paths, ["/push/dana-1", "/push/gone/dana-2"], "the two browsers that chose new chats");
    const got = service.received.find((x) => x.path === "/push/dana-1");
    const payload = decrypt(got.body, dana);
    assert.equal(payload.kind, "new_chat");
    assert.equal(payload.conversation_id, closed.conversationId);
    assert.notEqual(payload.conversation_id, open.conversationId);
    assert.equal(payload.url, `/console#/chat/${closed.conversationId}`);
    assert.deepEqual([payload.title, payload.body], ["Neuer Chat", "Ein Besucher wartet auf Ihre Antwort."], "in German");
    assert.equal(payload.tag, got.topic, "the notification's tag is the push's topic");
    pushed = payload;
    // The other browser's copy is encrypted for it alone.
    const other = service.received.find((x) => x.path === "/push/gone/dana-2");
    assert.throws(() => decrypt(other.body, dana), "one browser cannot read another's push");
    const otherPayload = decrypt(other.body, gone);
    assert.deepEqual([otherPayload.conversation_id, otherPayload.title], [closed.conversationId, "New chat"]);

    // The 410 forgot that subscription; the muted one stays.
    list = await edge.get("/api/v1/push/subscriptions", cookie);
    assert.deepEqual(list.json.map((x) => x.endpoint).sort(), [good, mutedUrl].sort());
    assert.deepEqual(list.json.find((x) => x.endpoint === mutedUrl), { endpoint: mutedUrl, new_chats: false, new_messages: true });

    // Dana's third chat, then a fourth that waits in line (her 3 slots full): the waiting chat
    // is pushed too, as such.
    service.received.length = 0;
    const third = await newConversation(edge.base);
    const waiting = await newConversation(edge.base);
    assert.deepEqual(service.errors, []);
    assert.deepEqual(service.received.map((x) => x.path), ["/push/dana-1", "/push/dana-1"]);
    const [p3, p4] = service.received.map((x) => decrypt(x.body, dana));
    assert.deepEqual([p3.kind, p3.conversation_id], ["new_chat", third.conversationId]);
    assert.deepEqual([p4.kind, p4.conversation_id], ["waiting", waiting.conversationId]);

    // Unsubscribed: nothing more reaches that browser.
    s = await edge.post("/api/v1/push/subscriptions/delete", { endpoint: good }, cookie);
    assert.deepEqual(s.json, { removed: true });
    s = await edge.post("/api/v1/push/subscriptions/delete", { endpoint: good }, cookie);
    assert.deepEqual(s.json, { removed: false });
    service.received.length = 0;
    await newConversation(edge.base);
    assert.deepEqual(service.received, [], "no subscription chose new chats any more");

    // The visitor of Dana's chat writes: the browser that chose new messages (only) hears of it.
    const v = new ProtoClient({ base: edge.base, conversationId: closed.conversationId, role: "visitor", ...closed, label: "v" });
    clients.push(v);
    await v.start();
    await v.waitForAck(v.send("Hello, is anyone there?"));
    await until(() => service.received.length > 0, "the message's push");
    assert.deepEqual(service.errors, []);
    assert.deepEqual(service.received.map((x) => x.path), ["/push/muted/dana-3"]);
    const m = decrypt(service.received[0].body, muted);
    assert.deepEqual([m.kind, m.conversation_id, m.url, m.title], ["message", closed.conversationId, `/console#/chat/${closed.conversationId}`, "Nouveau message"]);
  } finally {
    await service.close();
  }
});

// The console's notifications once `until` holds ("some": any shown; otherwise a tag shown), or
// null after `ms`. Polled inside the page: `page.waitForFunction` takes an async predicate's
// promise itself for a truthy answer, so it cannot wait on `getNotifications()`.
function notificationsWhen(page, until, ms = 10_000) {
  return page.evaluate(async ([until, ms]) => {
    const deadline = Date.now() + ms;
    const r = await navigator.serviceWorker.getRegistration("/console");
    for (;;) {
      const ns = (await r.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data }));
      if (until === "some" ? ns.length > 0 : ns.some((n) => n.tag === until)) return ns;
      if (Date.now() > deadline) return null;
      await new Promise((f) => setTimeout(f, 50));
    }
  }, [until, ms]);
}

// Hands `payload` to the service worker as a decrypted push until `until` shows (at most three
// times: a worker still starting on a loaded machine may miss one; a repeat only replaces its
// own notification, the tag being the same). Resolves the notifications, or null.
async function pushUntil(deliver, page, payload, until) {
  for (let attempt = 0; attempt < 3; attempt++) {
    await deliver(payload);
    const shown = await notificationsWhen(page, until);
    if (shown) return shown;
  }
  return null;
}

// The browser's half. Chromium's PushManager cannot reach its vendor's push service here, so the
// payload the first test's service decrypted is handed to the console's service worker through
// DevTools (`ServiceWorker.deliverPushMessage`, what the browser does once it decrypted a push):
// it shows the notification the payload describes; the notification's link opens that chat.
test("the console's service worker shows the pushed notification, and its link opens the chat", async () => {
  assert.ok(pushed, "the first test decrypted a push");
  const { ctx, page } = await consolePage(browser, edge);
  await ctx.grantPermissions(["notifications"], { origin: edge.base });
  const cdp = await ctx.newCDPSession(page);
  const registrations = [];
  cdp.on("ServiceWorker.workerRegistrationUpdated", (e) => registrations.push(...e.registrations));
  await cdp.send("ServiceWorker.enable");

  await step(page, "push-settings", async () => {
    await page.getByRole("button", { name: "Admin", exact: true }).click();
    await page.getByRole("tab", { name: "My settings" }).click();
    const box = page.getByRole("group", { name: "Notifications" });
    const toggle = box.getByRole("checkbox", { name: "Also when the console is closed (push notifications in this browser)" });
    await toggle.waitFor();
    assert.equal(await toggle.isChecked(), false, "this browser is not subscribed");
  });

  await step(page, "push-shown-by-the-service-worker", async () => {
    const scope = await page.evaluate(async () => {
      const r = await navigator.serviceWorker.register("/console-sw.js", { scope: "/console" });
      await navigator.serviceWorker.ready;
      return r.scope;
    });
    assert.equal(scope, `${edge.base}/console`);
    let id = null;
    for (let i = 0; i < 200 && !id; i++) {
      id = registrations.find((r) => r.scopeURL === scope && !r.isDeleted)?.registrationId ?? null;
      if (!id) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(id, "the registration's id");
    const deliver = (p) => cdp.send("ServiceWorker.deliverPushMessage", { origin: edge.base, registrationId: id, data: JSON.stringify(p) });
    const notes = await pushUntil(deliver, page, pushed, "some");
    assert.ok(notes, "the service worker showed a notification");
    assert.equal(notes.length, 1);
    assert.deepEqual(notes[0], {
      title: pushed.title, body: pushed.body, tag: pushed.tag,
      data: { url: `${edge.base}/console#/chat/${pushed.conversation_id}`, conversationId: pushed.conversation_id, kind: "new_chat" },
    });
    // The same event again replaces it (its tag), never adds a second; another event adds one
    // (pushes are handled in order: once it shows, the repeat was handled).
    await deliver(pushed);
    const after = await pushUntil(deliver, page, { ...pushed, tag: "another-event", kind: "waiting" }, "another-event");
    assert.ok(after, "the other event's notification showed");
    assert.deepEqual(after.map((n) => n.tag).sort(), [pushed.tag, "another-event"].sort());
  });

  await step(page, "push-link-opens-the-chat", async () => {
    await page.goto(`${edge.base}/console#/chat/${pushed.conversation_id}`);
    await page.getByRole("textbox", { name: "Reply" }).waitFor({ timeout: 20_000 });
    assert.equal(await page.locator(".tab").count(), 1, "that chat's tab");
    assert.equal(new URL(page.url()).hash, "", "the link is spent");
  });
  await ctx.close();
});
