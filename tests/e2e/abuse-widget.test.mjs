// The widget says a flood refusal in the visitor's language (issue 18), in Chromium against a
// real `wrangler dev`: with one new chat per channel and 10 minutes (`PARLEY_LIMIT_CHAT_CHANNEL`
// = 1/600), a visitor whose chat start is refused (429 `rate_limited` with `Retry-After`) reads
// "Too many chats were started from here…" with when to try again, in English and in German
// (the browser's language, Playwright's `locale`), not the server's English message; likewise
// the offline form refused for too many messages from one client address.
import { test } from "node:test";
import assert from "node:assert/strict";
import { postJson, newVisitor } from "./proto-client.mjs";
import { useEdge, widgetPage } from "./fixtures.mjs";
import { step } from "./harness.mjs";

const { edge, browser } = useEdge({
  browser: true,
  vars: { PARLEY_LIMIT_CHAT_CHANNEL: "1/600", PARLEY_LIMIT_OFFLINE_ADDRESS: "1/3600" },
});

/** A chat start of a fresh visitor in channel demo: its HTTP status. */
async function startChat() {
  const v = await newVisitor(edge.base);
  const r = await postJson(edge.base, "/api/v1/conversations", {
    channel_id: "demo", visitor_id: v.visitorId, visitor_token: v.visitorToken, page_url: `${edge.base}/`,
  });
  return r;
}

/**
 * Fills the channel's current window: starts chats until one is refused 429 `rate_limited`
 * (windows are aligned to the clock, so one may have just begun).
 */
async function fillChatWindow() {
  for (let i = 0; i < 3; i++) {
    const r = await startChat();
    if (r.status === 429) {
      assert.equal(r.json.error.code, "rate_limited", JSON.stringify(r.json));
      return;
    }
    assert.equal(r.status, 200, JSON.stringify(r.json));
  }
  assert.fail("the channel's chat window never filled");
}

const LANGS = [
  {
    locale: "en-US", open: "Open chat", message: "Message", send: "Send message",
    refused: /^Too many chats were started from here\. Please try again in about (\d+) min\.$/,
  },
  {
    locale: "de-DE", open: "Chat öffnen", message: "Nachricht", send: "Nachricht senden",
    refused: /^Von hier aus wurden zu viele Chats gestartet\. Bitte versuchen Sie es in etwa (\d+) Min\. erneut\.$/,
  },
];

for (const t of LANGS) {
  test(`a refused chat start is said in the visitor's language with when to retry (${t.locale})`, async () => {
    await fillChatWindow();
    const { ctx, page } = await widgetPage(browser, edge, { open: t.open, contextOptions: { locale: t.locale } });
    try {
      await step(page, `refused-start-${t.locale}`, async () => {
        // The widget's own answer to POST /api/v1/conversations is the 429 this test expects.
        const answered = page.waitForResponse((r) => r.url().endsWith("/api/v1/conversations") && r.request().method() === "POST");
        await page.getByRole("textbox", { name: t.message, exact: true }).fill("Hello, anyone there?");
        await page.getByRole("button", { name: t.send, exact: true }).click();
        const res = await answered;
        assert.equal(res.status(), 429, "the chat start is refused");
        const after = Number(res.headers()["retry-after"]);
        assert.ok(after >= 1 && after <= 600, `Retry-After ${after}`);
        const notice = page.getByRole("alert").filter({ hasText: t.refused });
        await notice.waitFor();
        const text = (await notice.textContent()).trim();
        const minutes = Number(t.refused.exec(text)[1]);
        assert.equal(minutes, Math.max(1, Math.ceil(after / 60)), `${text} (Retry-After ${after})`);
        assert.ok(!text.includes("too many new chats"), "not the server's English message");
      });
    } finally {
      await ctx.close();
    }
  });
}

test("the offline form refused for too many messages says so in the visitor's language", async () => {
  // Nobody online: the widget offers the offline form.
  const dana = await edge.login();
  const off = await postJson(edge.base, "/api/v1/console/presence", { online: false }, { cookie: dana });
  assert.equal(off.status, 200, JSON.stringify(off.json));
  // One offline message an hour from this client address: the window is full.
  const ip = "203.0.113.77";
  const headers = { "content-type": "application/json", origin: edge.base, "cf-connecting-ip": ip };
  let refused = false;
  for (let i = 0; i < 3 && !refused; i++) {
    const v = await newVisitor(edge.base);
    const r = await fetch(`${edge.base}/api/v1/widget/offline-message`, {
      method: "POST", headers, body: JSON.stringify({
        channel_id: "demo", visitor_id: v.visitorId, visitor_token: v.visitorToken,
        name: "Flo", email: "flo@example.com", text: `message ${i}`, page_url: `${edge.base}/`,
      }),
    });
    refused = r.status === 429;
    if (!refused) assert.equal(r.status, 201, await r.text());
  }
  assert.ok(refused, "the address's window filled");

  const { ctx, page } = await widgetPage(browser, edge, {
    open: "Abrir chat", contextOptions: { locale: "es-ES", extraHTTPHeaders: { "cf-connecting-ip": ip } },
  });
  try {
    await step(page, "refused-offline-es", async () => {
      await page.getByRole("textbox", { name: "Tu nombre" }).fill("Flo");
      await page.getByRole("textbox", { name: "Tu correo electrónico" }).fill("flo@example.com");
      await page.getByRole("textbox", { name: "Tu mensaje" }).fill("¿Me llamáis?");
      await page.getByRole("button", { name: "Dejar un mensaje" }).click();
      const text = /^Se han dejado demasiados mensajes desde aquí\. Inténtalo de nuevo en unos (\d+) min\.$/;
      await page.getByRole("alert").filter({ hasText: text }).waitFor();
    });
  } finally {
    await ctx.close();
  }
});
