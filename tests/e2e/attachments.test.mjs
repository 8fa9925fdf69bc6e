// Files in the chat (issue 21) against a real `wrangler dev` (R2 kept locally under its
// --persist-to): a visitor uploads a screenshot (its JPEG's Exif/GPS stripped before storing), a
// retry under the same client id stores it once, a fake `.png` and an over-size file are refused
// with their codes; the file becomes a message through the conversation's object (the operator's
// socket gets it, a hello replays it, D1's copy holds it), a token of another conversation is
// refused; links read it only while signed and unexpired, and another visitor or another
// account cannot get one; an erasure removes the bytes from R2.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { ProtoClient, newConversation, newVisitor, postJson } from "./proto-client.mjs";
import { useEdge, assertError, otherAdmin, plainText, secondAccount, transcriptWith, until, widgetPage, consolePage, C } from "./fixtures.mjs";

const { edge, browser, clients } = useEdge({
  browser: true,
  extraSql: async () => secondAccount({ operators: [otherAdmin()] }),
});

const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a1d6c9e10000000049454e44ae426082",
  "hex",
);
/** The browser-made 4×3 JPEG of the core's tests, with an Exif segment holding GPS data added. */
function jpegWithGps() {
  const jpeg = readFileSync(new URL("../../core/testdata/tiny.jpg", import.meta.url));
  const body = Buffer.concat([Buffer.from("Exif\0\0MM\0*\0\0\0\x08\0\x01\x88\x25\0\x04\0\0\0\x01\0\0\0\x1a\0\0\0\0GPS-48.8566N", "latin1")]);
  const seg = Buffer.concat([Buffer.from([0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 0xff]), body]);
  return { plain: jpeg, tagged: Buffer.concat([jpeg.subarray(0, 20), seg, jpeg.subarray(20)]) };
}

/** Uploads `bytes` as `name` under `clientId`: as the visitor `v`, or with `cookie` as an operator. */
async function upload(conversationId, bytes, name, clientId, { v, cookie, origin = edge.base, headers = {} } = {}) {
  const h = { "content-type": "application/octet-stream", origin, ...headers };
  if (v) Object.assign(h, { "x-parley-visitor-id": v.visitorId, "x-parley-visitor-token": v.visitorToken });
  if (cookie) h.cookie = cookie;
  const q = new URLSearchParams({ client_id: clientId, name });
  const res = await fetch(`${edge.base}/api/v1/conversations/${conversationId}/files?${q}`, { method: "POST", headers: h, body: bytes });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text, headers: res.headers };
}

async function link(conversationId, fileId, { v, cookie, origin = edge.base } = {}) {
  const h = { origin };
  if (v) Object.assign(h, { "x-parley-visitor-id": v.visitorId, "x-parley-visitor-token": v.visitorToken });
  if (cookie) h.cookie = cookie;
  const res = await fetch(`${edge.base}/api/v1/conversations/${conversationId}/files/${fileId}/link`, { method: "POST", headers: h });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text };
}

async function read(url) {
  const res = await fetch(url);
  const bytes = Buffer.from(await res.arrayBuffer());
  let json = null;
  try { json = JSON.parse(bytes.toString()); } catch { /* the file */ }
  return { status: res.status, json, bytes, headers: res.headers, text: bytes.toString().slice(0, 200) };
}

/** A link signed here with the deployment's secret, as `core::attachments::file_link_query` signs. */
function signedLink(account, conversation, file, expiresAt) {
  const key = createHmac("sha256", edge.secret).update("parley key v1\nfile-link").digest();
  const kid = createHmac("sha256", key).update("kid").digest().subarray(0, 4).toString("hex");
  const sig = createHmac("sha256", key).update(`file\n${account}\n${conversation}\n${file}\n${expiresAt}`).digest("base64url");
  return `${edge.base}/api/v1/files/${account}/${conversation}/${file}?e=${expiresAt}&s=${kid}.${sig}`;
}

test("a visitor's screenshot: stored once without its metadata, sent as a message, read through signed links only", async () => {
  const dana = await edge.login();
  const conv = await newConversation(edge.base);
  const { conversationId: id } = conv;
  const { plain, tagged } = jpegWithGps();

  // Upload: the detected type, the size after stripping, the image's size; CORS for the page.
  const up = await upload(id, tagged, "IMG_2041.JPG", "up-1", { v: conv });
  assert.equal(up.status, 200, up.text);
  const file = up.json.attachment;
  assert.deepEqual(
    { name: file.name, content_type: file.content_type, size: file.size, width: file.width, height: file.height },
    { name: "IMG_2041.JPG", content_type: "image/jpeg", size: plain.length, width: 4, height: 3 },
  );
  assert.equal(up.headers.get("access-control-allow-origin"), edge.base);
  // A retry (the same client id) answers the same file and stores nothing more.
  const again = await upload(id, tagged, "IMG_2041.JPG", "up-1", { v: conv });
  assert.equal(again.status, 200, again.text);
  assert.deepEqual(again.json.attachment, file);

  // Refusals, each with its code: a fake .png, an over-size body (by Content-Length, before reading).
  assertError(await upload(id, Buffer.from("MZ\x90\0 this is a program", "latin1"), "cat.png", "up-2", { v: conv }),
    415, "file_type_mismatch", "an .exe renamed .png");
  assertError(await upload(id, Buffer.from("PK\x03\x04 archive"), "stuff.zip", "up-3", { v: conv }),
    415, "file_type_not_allowed", "a bare zip");
  const big = Buffer.alloc(10 * 1024 * 1024 + 1, 0x61);
  assertError(await upload(id, big, "big.txt", "up-4", { v: conv }), 413, "file_too_large", "over the limit");
  // Not the conversation's visitor: refused, nothing stored.
  const stranger = await newVisitor(edge.base);
  assertError(await upload(id, PNG, "x.png", "up-5", { v: stranger }), 403, "not_your_conversation", "another visitor uploads");

  // The file as a message, through the conversation's object.
  const visitor = new ProtoClient({ base: edge.base, conversationId: id, role: "visitor", ...conv });
  const op = new ProtoClient({ base: edge.base, conversationId: id, role: "operator", cookie: dana });
  clients.push(visitor, op);
  await visitor.start();
  await op.start();
  visitor.sendFrame({ type: "send", client_id: "m-file", text: "", attachment: up.json.token });
  await visitor.waitForAck("m-file");
  await op.waitFor(() => [...op.messages.values()].some((m) => m.attachment?.id === file.id), "the operator gets the file");
  const got = [...op.messages.values()].find((m) => m.attachment?.id === file.id);
  assert.deepEqual(got.attachment, file);
  assert.equal(got.text, "");
  // A token of another conversation (or altered) is refused, typed; nothing is stored.
  const other = await newConversation(edge.base);
  const otherUp = await upload(other.conversationId, PNG, "dot.png", "up-1", { v: other });
  assert.equal(otherUp.status, 200, otherUp.text);
  visitor.sendFrame({ type: "send", client_id: "m-foreign", text: "", attachment: otherUp.json.token });
  await visitor.waitFor(() => visitor.errors.some((e) => e.client_id === "m-foreign"), "the foreign file's refusal");
  assert.equal(visitor.errors.find((e) => e.client_id === "m-foreign").code, "bad_attachment");
  // D1's copy holds the message with its file (the console's transcript).
  const transcript = await transcriptWith(edge, dana, id, 1);
  assert.equal(transcript.messages.length, 1, JSON.stringify(transcript.messages));
  assert.deepEqual(transcript.messages[0].attachment, file, "the transcript names the file");
  // The transcript mail names the file (its bytes stay behind signed links).
  const to = `files-${Date.now()}@visitor.example`;
  const asked = await postJson(edge.base, `/api/v1/conversations/${id}/transcript`, {
    channel_id: "demo", visitor_id: conv.visitorId, visitor_token: conv.visitorToken, email: to, lang: "en",
  });
  assert.equal(asked.status, 200, JSON.stringify(asked.json));
  const SENDING = "/cdn-cgi/local/explorer/api/local/email/sending";
  let mail;
  await until(async () => {
    const list = await (await fetch(`${edge.base}${SENDING}?per_page=100`)).json();
    mail = list.result.find((m) => m.to.map((t) => t.toLowerCase()).includes(to));
    return Boolean(mail);
  }, "the transcript mail", 30_000);
  const raw = (await (await fetch(`${edge.base}${SENDING}?email_id=${encodeURIComponent(mail.messageId)}`)).json()).result;
  const text = plainText(Buffer.from(raw.rawBase64, "base64").toString("utf8"));
  assert.ok(text.includes("📎 IMG_2041.JPG ("), `the mail names the file: ${text}`);

  // Links: the visitor's and the operator's read the stored bytes (no Exif, no GPS) with safe headers.
  for (const who of [{ v: conv }, { cookie: dana }]) {
    const l = await link(id, file.id, who);
    assert.equal(l.status, 200, l.text);
    const r = await read(l.json.url);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.bytes.equals(plain), "the stored bytes are the image without its metadata");
    assert.ok(!r.bytes.includes(Buffer.from("GPS")) && !r.bytes.includes(Buffer.from("Exif")));
    assert.equal(r.headers.get("content-type"), "image/jpeg");
    assert.equal(r.headers.get("x-content-type-options"), "nosniff");
    assert.match(r.headers.get("content-disposition"), /^inline; filename="IMG_2041.JPG"/);
  }
  // Another visitor, another account: no link.
  assertError(await link(id, file.id, { v: stranger }), 403, "not_your_conversation", "another visitor's link");
  const olga = await edge.login("oadmin");
  assertError(await link(id, file.id, { cookie: olga }), 404, "unknown_conversation", "another account's link");
  assertError(await link(id, "f_nope", { cookie: dana }), 404, "unknown_file", "a file the conversation lacks");
  // A forged, altered or expired link reads nothing.
  const good = (await link(id, file.id, { v: conv })).json.url;
  const forged = good.replace(/s=[^&]+/, "s=00000000.AAAA");
  assertError(await read(forged), 403, "bad_file_link", "a forged link");
  const otherFile = good.replace(`/${id}/`, `/${other.conversationId}/`);
  assertError(await read(otherFile), 403, "bad_file_link", "the link moved to another conversation");
  const later = good.replace(/e=(\d+)/, (_, e) => `e=${Number(e) + 3_600_000}`);
  assertError(await read(later), 403, "bad_file_link", "a link whose expiry was pushed");
  const expired = signedLink("acc_demo", id, file.id, Date.now() - 1_000);
  assertError(await read(expired), 410, "file_link_expired", "an expired link");
  // …while the same signer's unexpired link works (the test signs as the edge does).
  assert.equal((await read(signedLink("acc_demo", id, file.id, Date.now() + 60_000))).status, 200);

  // Message history: the file's message is an `image`, with its signed link, which reads it
  // (the D1 copy of the message comes a moment after it is stored).
  const period = `from=${Date.now() - 86_400_000}&to=${Date.now() + 86_400_000}`;
  let row;
  await until(async () => {
    const r = await fetch(`${edge.base}/api/v1/reports/message_history?${period}`, { headers: { cookie: dana } });
    row = (await r.json()).table.rows.find((cells) => cells[1] === id && cells[8] !== "text");
    return row;
  }, "the file's message in Message history");
  assert.equal(row[8], "image", JSON.stringify(row));
  assert.match(row[12], new RegExp(`^${edge.base}/api/v1/files/acc_demo/${id}/${file.id}\\?e=\\d+&s=`));
  const media = await read(row[12]);
  assert.equal(media.status, 200, media.text);
  assert.equal(media.headers.get("content-type"), "image/jpeg");

  await visitor.close();
  await op.close();
});

test("an operator's PDF is downloaded, not rendered; a text file named .html is served as text", async () => {
  const dana = await edge.login();
  const conv = await newConversation(edge.base);
  const pdf = Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");
  const up = await upload(conv.conversationId, pdf, "Invoice März.pdf", "op-1", { cookie: dana });
  assert.equal(up.status, 200, up.text);
  assert.equal(up.json.attachment.content_type, "application/pdf");
  const l = await link(conv.conversationId, up.json.attachment.id, { v: conv });
  const r = await read(l.json.url);
  assert.equal(r.status, 200);
  assert.ok(r.bytes.equals(pdf));
  assert.match(r.headers.get("content-disposition"), /^attachment; filename="Invoice M_rz.pdf"; filename\*=UTF-8''Invoice%20M%C3%A4rz.pdf$/);
  assert.match(r.headers.get("content-security-policy"), /sandbox/);
  // Markup is text: stored as text/plain, named so it opens as text, downloaded.
  const html = await upload(conv.conversationId, Buffer.from("<script>alert(1)</script>"), "page.html", "op-2", { cookie: dana });
  assert.equal(html.status, 200, html.text);
  assert.deepEqual([html.json.attachment.name, html.json.attachment.content_type], ["page.html.txt", "text/plain; charset=utf-8"]);
  // An operator's upload needs the console's origin.
  assertError(await upload(conv.conversationId, pdf, "a.pdf", "op-3", { cookie: dana, origin: "https://evil.example" }),
    403, "bad_origin", "an operator upload from another origin");
});

test("erasing the visitor removes their files from R2", async () => {
  const dana = await edge.login();
  const conv = await newConversation(edge.base);
  const up = await upload(conv.conversationId, PNG, "dot.png", "e-1", { v: conv });
  assert.equal(up.status, 200, up.text);
  const url = signedLink("acc_demo", conv.conversationId, up.json.attachment.id, Date.now() + 600_000);
  assert.equal((await read(url)).status, 200);
  // The export lists the file.
  const exp = await edge.get(`${C}/visitors/${conv.visitorId}/export`, dana);
  assert.equal(exp.status, 200, exp.text);
  assert.ok(exp.text.includes(up.json.attachment.id), "the export names the file");
  const erase = await edge.post(`${C}/visitors/${conv.visitorId}/erase`, {}, dana);
  assert.equal(erase.status, 200, JSON.stringify(erase.json));
  await until(async () => (await read(url)).status === 404, "the file is gone from R2");
  assertError(await read(url), 404, "unknown_file", "an erased file");
});

/** Pastes `bytes` as a file `name` of `type` into `locator` (a composer), as a browser's paste does. */
async function pasteFile(locator, bytes, name, type) {
  await locator.evaluate((el, [b64, name, type]) => {
    const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bin], name, { type }));
    el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true, composed: true }));
  }, [bytes.toString("base64"), name, type]);
}

test("in Chromium: a visitor pastes a screenshot the operator sees inline; the operator's PDF is downloaded by the visitor; refusals said before or after upload", async () => {
  const { page: visitor } = await widgetPage(browser, edge, { open: true });
  visitor.on("pageerror", (e) => console.log("visitor page error:", e.message));
  const question = `Here is my screen ${Date.now()}`;
  await visitor.getByRole("textbox", { name: "Message" }).fill(question);
  await visitor.getByRole("button", { name: "Send message" }).click();
  const vlog = visitor.getByRole("log", { name: "Messages" });
  await vlog.getByText(question).waitFor();
  await vlog.getByText("Sending…").waitFor({ state: "detached" });
  let uploads = 0;
  visitor.on("request", (r) => { if (r.url().includes("/files?")) uploads++; });

  // Over the limit: refused in the widget, nothing uploaded.
  const input = visitor.locator(".att input");
  await input.setInputFiles({ name: "huge.png", mimeType: "image/png", buffer: Buffer.alloc(10 * 1024 * 1024 + 1) });
  await visitor.getByText("This file is too large to send (10 MB at most).").waitFor();
  assert.equal(uploads, 0, "an over-size file is never uploaded");
  // A program renamed .png: refused by the edge, said clearly.
  await input.setInputFiles({ name: "cat.png", mimeType: "image/png", buffer: Buffer.from("MZ\x90\0 not an image", "latin1") });
  await visitor.getByText("This file cannot be sent: only images, PDF, text and office documents.").waitFor();
  assert.equal(uploads, 1);

  // The screenshot, pasted into the composer: shown in the widget, then inline in the console.
  await pasteFile(visitor.getByRole("textbox", { name: "Message" }), PNG, "image.png", "image/png");
  const mine = vlog.locator("img.img[alt='image.png']");
  await mine.waitFor();
  await until(async () => mine.evaluate((i) => i.complete && i.naturalWidth === 1), "the visitor's own image loads");

  const { page: op } = await consolePage(browser, edge);
  await op.getByRole("button", { name: /Open conversation/ }).first().click();
  const olog = op.getByRole("log");
  await olog.getByText(question).waitFor();
  const shot = olog.locator("img.msg-image[alt='image.png']");
  await shot.waitFor();
  await until(async () => shot.evaluate((i) => i.complete && i.naturalWidth === 1), "the operator's inline image loads");
  const box = await shot.boundingBox();
  assert.ok(box.width <= 240 && box.height <= 240, `bounded: ${JSON.stringify(box)}`);

  // The operator attaches a PDF with the picker; the visitor downloads it.
  const pdf = Buffer.from("%PDF-1.4\n% a guide\ntrailer<<>>\n%%EOF\n");
  await op.locator("input.attach-input").setInputFiles({ name: "guide.pdf", mimeType: "application/pdf", buffer: pdf });
  await olog.locator("a.msg-file", { hasText: "guide.pdf" }).waitFor();
  const link = vlog.locator("a.file", { hasText: "guide.pdf" });
  await link.waitFor();
  const [download] = await Promise.all([visitor.waitForEvent("download"), link.click()]);
  assert.equal(download.suggestedFilename(), "guide.pdf");
  const path = await download.path();
  assert.ok(readFileSync(path).equals(pdf), "the visitor got the operator's bytes");

  // A reload: both files come back from the replay, once each.
  await visitor.reload();
  await visitor.getByRole("button", { name: /chat/i }).first().waitFor();
  const reopened = visitor.getByRole("log", { name: "Messages" });
  await reopened.locator("a.file", { hasText: "guide.pdf" }).waitFor().catch(async () => {
    await visitor.getByRole("button", { name: "Open chat" }).click();
    await reopened.locator("a.file", { hasText: "guide.pdf" }).waitFor();
  });
  assert.equal(await reopened.locator("img.img[alt='image.png']").count(), 1);
  assert.equal(await reopened.locator("a.file", { hasText: "guide.pdf" }).count(), 1);
});
