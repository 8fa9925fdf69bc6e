// Issue 8, languages and the launcher's look: a channel's default language, launcher position
// and greetings per language (admin API, validation, the widget session), the public look
// endpoint the loader reads (`GET /api/v1/widget/look`), the widget in the visitor's browser
// language (else the channel's default), and the console's channel form. Against a real
// `wrangler dev` and headless Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import { consoleLogin, step } from "./harness.mjs";
import { postJson } from "./proto-client.mjs";
import { useEdge, assertError, C } from "./fixtures.mjs";

// The demo's auto-invite would cover the panel after 8 s: off here.
const { edge, browser } = useEdge({ browser: true, extraSql: `UPDATE entry_points SET enabled = 0 WHERE id = 'ep_welcome';` });
const { get, post } = edge;
const session = () => postJson(edge.base, "/api/v1/widget/session", { channel_id: "demo" });
const demo = async (cookie) => (await get(`${C}/channels`, cookie)).json.channels.find((c) => c.id === "demo");
const g = (language, text) => ({ language, text });
/** The parts of a channel this issue adds. */
const look = (c) => ({ language: c.language, position: c.position, greeting: c.greeting, greetings: c.greetings });

/** The widget's texts this file reads (protocol/src/i18n.rs). */
const TEXTS = {
  de: { open: "Chat öffnen", close: "Chat schließen", chat: "Chat", messages: "Nachrichten", message: "Nachricht", write: "Nachricht schreiben…" },
  vi: { open: "Mở trò chuyện", close: "Đóng trò chuyện", chat: "Trò chuyện", messages: "Tin nhắn", message: "Tin nhắn", write: "Viết tin nhắn…" },
  es: { open: "Abrir chat", close: "Cerrar chat", chat: "Chat", messages: "Mensajes", message: "Mensaje", write: "Escribe un mensaje…" },
};

test("channel language, position and greetings: admins set them, bad values change nothing, the widget session carries them", async () => {
  const [admin, sam] = [await edge.login(), await edge.login("sam")];

  // The seed: English, right, the greeting in every language (the English one is the greeting).
  const seeded = await demo(admin);
  assert.equal(seeded.language, "en");
  assert.equal(seeded.position, "right");
  assert.deepEqual(seeded.greetings.map((x) => x.language), ["en", "es", "fr", "de", "vi"]);
  assert.equal(seeded.greetings[0].text, seeded.greeting);
  // Operators read them too.
  assert.deepEqual(look(await demo(sam)), look(seeded));

  // Refused: 400 naming the field, nothing changed.
  const bad = [
    [{ language: "ja" }, "language", "a language the widget does not speak"],
    [{ language: "en-US" }, "language", "a tag, not a code"],
    [{ position: "top" }, "position", "a corner that is not one"],
    [{ greetings: [g("de", "Hallo"), g("DE", "Servus")] }, "greetings", "two greetings in one language"],
    [{ greetings: [g("ja", "こんにちは")] }, "greetings", "a greeting in another language"],
    [{ greetings: [g("fr", "x".repeat(501))] }, "greetings", "a long greeting"],
    [{ language: "de", position: "middle" }, "position", "one good value and one bad"],
  ];
  for (const [body, field, label] of bad) {
    const r = await post(`${C}/channels/demo`, body, admin);
    assertError(r, 400, "invalid", label);
    assert.equal(r.json.error.field, field, label);
    assert.ok(r.json.error.message.length > 0, label);
  }
  assertError(await post(`${C}/channels/demo`, { language: "de" }, sam), 403, "forbidden", "an operator");
  assertError(await post(`${C}/channels/demo`, { language: "de" }, admin, "https://evil.example"), 403, "bad_origin",
    "a foreign origin");
  assert.deepEqual(look(await demo(admin)), look(seeded), "nothing changed by refused saves");

  // A save: the default language's greeting becomes the greeting; greetings in LANGS order.
  const saved = await post(`${C}/channels/demo`, {
    language: "es",
    position: "left",
    greetings: [g("es", " ¡Hola desde el canal! "), g("de", "Hallo vom Kanal!"), g("en", "Hello from the channel!"), g("fr", " ")],
  }, admin);
  assert.equal(saved.status, 200, JSON.stringify(saved.json));
  const want = {
    language: "es",
    position: "left",
    greeting: "¡Hola desde el canal!",
    greetings: [g("en", "Hello from the channel!"), g("es", "¡Hola desde el canal!"), g("de", "Hallo vom Kanal!")],
  };
  assert.deepEqual(look(saved.json), want);
  assert.deepEqual(look(await demo(admin)), want, "read back");
  const info = (await session()).json.channel;
  assert.deepEqual(look(info), want, "the widget session carries them");

  // Only the greeting: the default language's entry follows it; other fields stay.
  const greeted = await post(`${C}/channels/demo`, { greeting: "¡Bienvenido!" }, admin);
  assert.equal(greeted.status, 200, JSON.stringify(greeted.json));
  assert.equal(greeted.json.greeting, "¡Bienvenido!");
  assert.deepEqual(greeted.json.greetings[1], g("es", "¡Bienvenido!"));
  assert.equal(greeted.json.position, "left");

  // A new channel with them; a refused one is not created.
  const count = (await get(`${C}/channels`, admin)).json.channels.length;
  assertError(await post(`${C}/channels`, { name: "Bad", hosts: ["bad.example"], language: "xx" }, admin), 400,
    "invalid", "a new channel in an unknown language");
  assert.equal((await get(`${C}/channels`, admin)).json.channels.length, count, "not created");
  const made = await post(`${C}/channels`, {
    name: "Tiệm", hosts: ["tiem.example"], language: "vi", position: "left", greetings: [g("vi", "Xin chào!")],
  }, admin);
  assert.equal(made.status, 201, JSON.stringify(made.json));
  assert.deepEqual(look(made.json), { language: "vi", position: "left", greeting: "Xin chào!", greetings: [g("vi", "Xin chào!")] });
  const plain = await post(`${C}/channels`, { name: "Plain", hosts: ["plain.example"] }, admin);
  assert.equal(plain.status, 201, JSON.stringify(plain.json));
  assert.deepEqual([plain.json.language, plain.json.position, plain.json.greetings], ["en", "right", []], "defaults");
});

test("look endpoint: accent, position and language of a channel, whether it has invites; public, CORS *, never cached (a page view); 404 / 400", async () => {
  const admin = await edge.login();
  const saved = await post(`${C}/channels/demo`, { language: "fr", position: "left", accent: "#0B7A3E" }, admin);
  assert.equal(saved.status, 200, JSON.stringify(saved.json));

  const fetchLook = (query, headers = {}) => fetch(`${edge.base}/api/v1/widget/look${query}`, { headers });
  // From any site (a loader on a page of another host reads it too).
  const r = await fetchLook("?channel=demo", { origin: "https://somewhere.example" });
  assert.equal(r.status, 200);
  const look = await r.json();
  assert.deepEqual({ ...look, invites: undefined }, { accent: "#0b7a3e", position: "left", language: "fr", invites: undefined });
  assert.equal(typeof look.invites, "boolean");
  assert.equal(r.headers.get("access-control-allow-origin"), "*");
  assert.equal(r.headers.get("cache-control"), "no-store", "each look is a page view");
  assert.match(r.headers.get("content-type"), /^application\/json/);
  assert.equal(r.headers.get("set-cookie"), null, "no cookie");

  const unknown = await fetchLook("?channel=nosuch");
  assert.equal(unknown.status, 404);
  assert.equal((await unknown.json()).error.code, "unknown_channel");
  assert.equal(unknown.headers.get("access-control-allow-origin"), "*");
  assert.equal(unknown.headers.get("cache-control"), "no-store", "a miss is not cached");
  for (const q of ["", "?channel=", "?channel=not%20an%20id", `?channel=${"x".repeat(200)}`, "?id=demo"]) {
    const bad = await fetchLook(q);
    assert.equal(bad.status, 400, q);
    assert.equal((await bad.json()).error.code, "bad_channel", q);
    assert.equal(bad.headers.get("access-control-allow-origin"), "*", q);
  }
  // What the session says agrees.
  const info = (await session()).json.channel;
  assert.deepEqual([info.accent, info.position, info.language], ["#0b7a3e", "left", "fr"]);
});

test("the widget speaks the visitor's browser language, else the channel's default; launcher on the channel's side", async () => {
  const admin = await edge.login();
  const GREET = {
    es: "¡Hola! Somos el canal de prueba.",
    de: "Hallo! Hier ist der Testkanal.",
    vi: "Xin chào! Đây là kênh thử nghiệm.",
  };
  const saved = await post(`${C}/channels/demo`, {
    language: "es", position: "left", greetings: Object.entries(GREET).map(([l, t]) => g(l, t)),
  }, admin);
  assert.equal(saved.status, 200, JSON.stringify(saved.json));

  for (const [locale, lang] of [["de-DE", "de"], ["vi-VN", "vi"], ["ja-JP", "es"]]) {
    const t = TEXTS[lang];
    const ctx = await browser.newContext({ locale, viewport: { width: 1000, height: 700 } });
    const page = await ctx.newPage();
    try {
      await step(page, `widget-${locale}`, async () => {
        await page.goto(edge.base + "/");
        // The loader's launcher (and then the app's, the same element): named in the language.
        const launcher = page.getByRole("button", { name: t.open, exact: true });
        await launcher.waitFor();
        const top = page.locator("parley-chat .parley");
        assert.equal(await top.getAttribute("lang"), lang, `${locale}: lang`);
        assert.equal(await top.getAttribute("data-pos"), "left", `${locale}: corner`);
        const box = await launcher.boundingBox();
        assert.ok(box && box.x + box.width / 2 < 500, `${locale}: the launcher sits on the left (${JSON.stringify(box)})`);

        await launcher.click();
        const panel = page.getByRole("dialog", { name: t.chat, exact: true });
        await panel.waitFor();
        await panel.getByRole("log", { name: t.messages, exact: true }).getByText(GREET[lang], { exact: true }).waitFor();
        const composer = panel.getByRole("textbox", { name: t.message, exact: true });
        assert.equal(await composer.getAttribute("placeholder"), t.write, `${locale}: composer`);
        await page.getByRole("button", { name: t.close, exact: true }).waitFor();
        assert.equal(await top.getAttribute("lang"), lang, `${locale}: lang after the session`);
      });
    } finally {
      await ctx.close();
    }
  }
});

test("console: the channel form sets the default language, launcher position and greetings per language", async () => {
  const admin = await edge.login();
  const EN = "Hi! Ask us anything about Parley.";
  const DE = "Hallo! Fragen Sie uns alles über Parley.";
  const reset = await post(`${C}/channels/demo`, {
    language: "en", position: "right", greeting: EN, greetings: [g("de", DE)],
  }, admin);
  assert.equal(reset.status, 200, JSON.stringify(reset.json));

  const page = await browser.newPage();
  try {
    await step(page, "console-channel-languages", async () => {
      await consoleLogin(page, edge.base);
      await page.getByRole("button", { name: "Admin", exact: true }).click();
      await page.getByRole("tab", { name: "Channels" }).click();
      await page.getByRole("button", { name: "Edit channel Demo channel" }).click();
      const form = page.getByRole("form", { name: "Edit channel Demo channel" });
      const language = form.getByLabel("Default language", { exact: true });
      const position = form.getByLabel("Launcher position", { exact: true });
      const greeting = form.getByLabel("Greeting", { exact: true });
      const per = (name) => form.getByLabel(`Greeting in ${name}`, { exact: true });
      await language.waitFor();
      assert.equal(await language.inputValue(), "en");
      assert.equal(await position.inputValue(), "right");
      assert.deepEqual(await language.locator("option").allTextContents(),
        ["English", "Español", "Français", "Deutsch", "Tiếng Việt", "Русский", "中文（简体）"]);
      assert.equal(await greeting.inputValue(), EN);
      assert.equal(await per("Deutsch").inputValue(), DE);
      assert.equal(await per("English").count(), 0, "the default language's greeting is the Greeting field");
      await form.getByRole("group", { name: "Greeting per language" }).waitFor();

      // A greeting too long: refused in the form, next to the greetings, nothing sent.
      await per("Français").fill("x".repeat(501));
      await form.getByRole("button", { name: "Save channel" }).click();
      await form.getByRole("alert").filter({ hasText: "The greeting in Français must be at most 500" }).waitFor();
      assert.deepEqual(look(await demo(admin)), look(reset.json), "nothing saved");
      await per("Français").fill("");

      // German becomes the default: the greetings swap places.
      await language.selectOption("de");
      assert.equal(await greeting.inputValue(), DE);
      assert.equal(await per("English").inputValue(), EN);
      assert.equal(await per("Deutsch").count(), 0);
      await position.selectOption({ label: "Left" });
      await per("Tiếng Việt").fill("Xin chào! Hỏi chúng tôi nhé.");
      await form.getByRole("button", { name: "Save channel" }).click();
      await page.getByRole("status").filter({ hasText: "Channel Demo channel saved." }).waitFor();
      assert.deepEqual(look(await demo(admin)), {
        language: "de",
        position: "left",
        greeting: DE,
        greetings: [g("en", EN), g("vi", "Xin chào! Hỏi chúng tôi nhé.")],
      });
      await page.locator(".adm-channel").filter({ hasText: "Demo channel" })
        .getByText("Default language: Deutsch · Launcher: left").waitFor();

      // The form opens again with what was saved.
      await page.getByRole("button", { name: "Edit channel Demo channel" }).click();
      assert.equal(await language.inputValue(), "de");
      assert.equal(await position.inputValue(), "left");
      assert.equal(await per("Tiếng Việt").inputValue(), "Xin chào! Hỏi chúng tôi nhé.");
      await form.getByRole("button", { name: "Cancel" }).click();
    });
  } finally {
    await page.close();
  }
});
