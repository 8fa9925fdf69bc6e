// The console in the operator's language (console/src/i18n/): the browser's language is the
// default (Chromium's `locale`), the operator switches with the header's picker and every text
// follows without a page reload, the choice survives a reload (localStorage
// `parley:console:lang`), dates and times are written by the browser's Intl for the language,
// and English names come back unchanged.
import { test } from "node:test";
import assert from "node:assert/strict";
import { step } from "./harness.mjs";
import { newConversation } from "./proto-client.mjs";
import { useEdge, C } from "./fixtures.mjs";

const { edge, browser } = useEdge({ online: [], browser: true });

/** The time of `ms` as the console's list writes it today, by Intl in the page. */
const timeIn = (page, locale, ms) =>
  page.evaluate(([locale, ms]) => new Date(ms).toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" }),
    [locale, ms]);

test("German browser: German console; the picker switches to Russian and back without a reload", async () => {
  const { conversationId } = await newConversation(edge.base);
  const list = await edge.get(`${C}/conversations`, await edge.login());
  const conv = list.json.conversations.find((c) => c.id === conversationId);
  assert.ok(conv, "the conversation is listed");

  const ctx = await browser.newContext({ locale: "de-DE" });
  const page = await ctx.newPage();
  try {
    await step(page, "languages-login-de", async () => {
      await page.goto(edge.base + "/console");
      await page.getByLabel("Benutzername").fill("demo");
      await page.getByLabel("Passwort").fill("parley-demo");
      await page.getByRole("button", { name: "Anmelden" }).click();
      await page.getByRole("button", { name: "Abmelden" }).waitFor();
    });
    assert.equal(await page.locator("html").getAttribute("lang"), "de");
    assert.equal(await page.getByRole("heading", { name: "Unterhaltungen" }).count(), 1);
    assert.equal(await page.getByRole("button", { name: "Online gehen" }).count(), 1);
    // The list shows the time as German writes it.
    const row = page.getByRole("button", { name: /^Unterhaltung öffnen: / }).first();
    await row.waitFor();
    assert.equal(await row.locator(".conv-time").textContent(), await timeIn(page, "de-DE", conv.created_at));

    // Russian, from the picker: the same page (no reload) redraws every text.
    await page.evaluate(() => { window.__sameDocument = true; });
    await step(page, "languages-pick-ru", async () => {
      await page.getByRole("combobox", { name: "Sprache der Konsole" }).selectOption("ru");
      await page.getByRole("button", { name: "Выйти из аккаунта", exact: true }).waitFor();
    });
    assert.equal(await page.evaluate(() => window.__sameDocument), true, "no reload");
    assert.equal(await page.locator("html").getAttribute("lang"), "ru");
    assert.equal(await page.getByRole("button", { name: "Abmelden" }).count(), 0, "no German left in the header");
    assert.equal(await page.getByRole("heading", { name: "Разговоры" }).count(), 1);
    assert.equal(await page.getByRole("button", { name: "Начать приём чатов" }).count(), 1);
    assert.equal(await page.getByRole("button", { name: /^Открыть разговор: / }).locator(".conv-time").first().textContent(),
      await timeIn(page, "ru", conv.created_at));
    assert.match(await page.title(), /Консоль Parley$/, "the tab title too");

    // A tab of the admin area.
    await step(page, "languages-admin-ru", async () => {
      await page.getByRole("button", { name: "Администрирование", exact: true }).click();
      await page.getByRole("tablist", { name: "Разделы администрирования" }).waitFor();
      await page.getByRole("tab", { name: "Мои настройки" }).waitFor();
      await page.getByRole("heading", { name: "Мои настройки" }).waitFor();
      await page.getByLabel("Макс. одновременных чатов").waitFor();
    });
    assert.equal(await page.evaluate(() => localStorage.getItem("parley:console:lang")), "ru");

    // The choice survives a reload (over the browser's German).
    await step(page, "languages-reload-ru", async () => {
      await page.reload();
      await page.getByRole("button", { name: "Выйти из аккаунта", exact: true }).waitFor();
    });
    assert.equal(await page.locator("html").getAttribute("lang"), "ru");

    // Back to English: the names the other tests use, exactly.
    await step(page, "languages-pick-en", async () => {
      await page.getByRole("combobox", { name: "Язык консоли" }).selectOption("en");
      await page.getByRole("button", { name: "Log out" }).waitFor();
    });
    assert.equal(await page.getByRole("button", { name: "Admin", exact: true }).count(), 1);
    assert.equal(await page.getByRole("button", { name: "Go online" }).count(), 1);
    assert.equal(await page.getByRole("heading", { name: "Conversations" }).count(), 1);
    assert.equal(await page.locator("html").getAttribute("lang"), "en");
  } finally {
    await ctx.close();
  }
});

test("the browser's language decides until the operator picks: Vietnamese, Chinese, and English for others", async () => {
  for (const [locale, username, lang] of [["vi-VN", "Tên đăng nhập", "vi"], ["zh-CN", "用户名", "zh-Hans"], ["ja-JP", "Username", "en"]]) {
    const ctx = await browser.newContext({ locale });
    const page = await ctx.newPage();
    try {
      await step(page, `languages-default-${locale}`, async () => {
        await page.goto(edge.base + "/console");
        await page.getByLabel(username, { exact: true }).waitFor();
      });
      assert.equal(await page.locator("html").getAttribute("lang"), lang, locale);
    } finally {
      await ctx.close();
    }
  }
});
