// Accessibility, checked by axe-core (WCAG 2.0/2.1 A + AA and best practices; a serious or
// critical violation fails) in Chromium against a real `wrangler dev`, page by page:
// - the widget (scoped to its `parley-chat` element, shadow tree included, so the demo host
//   page's own markup does not count), at desktop size AND at 360x640: the closed launcher (as
//   the loader draws it, then once the app took over), the offline form (nobody online), the
//   pre-chat form, the open panel with messages both ways, the rating card after the chat ended,
//   an invite on screen; at 360x640 the open panel also fits the screen;
// - the widget by keyboard only: Tab reaches the launcher (focus visible), Enter opens the panel
//   with focus in the composer, typing + Enter sends, Tab reaches every control of the panel,
//   Escape closes it and focus returns to the launcher; the transcript is a live region;
// - the console: login page, inbox (empty, then with a live conversation open, then closed with
//   its wrap-up form), every admin tab, Reports ("Invites & traffic", "All reports" with a table
//   and a chart), the transcript dialog, and a shared report's public page;
// - the console in each of its other languages (es, fr, de, vi, ru, zh: the browser's language
//   picks it): login page, inbox, every admin tab, Reports.
// Each check is its own subtest named after the page, so a run lists exactly what fails; the
// widget's are prefixed "widget:" (the widget's accessibility is widget/'s), the console's
// "console:". A failure prints rule id, impact, target and axe's summary.
import { test } from "node:test";
import assert from "node:assert/strict";
import { step, consoleLogin } from "./harness.mjs";
import { useEdge, C } from "./fixtures.mjs";
import { axeViolations, formatViolations } from "./axe.mjs";

const FORM = JSON.stringify([
  { key: "name", label: "Your name", required: true },
  { key: "email", label: "Email", required: false },
]);
// An invite no page matches by itself; `Parley.invite("A11y help")` shows it at once.
const INVITE = JSON.stringify({
  when: { if: "page_url", glob: "*/never-matches*" }, always_show: true, max_per_visitor: 0,
  display_timeout_ms: 120000, greetings: [{ language: "en", text: "Questions? We are here to help." }],
});
const SQL = `
UPDATE entry_points SET enabled = 0 WHERE id = 'ep_welcome';
UPDATE channels SET prechat_form = '${FORM}' WHERE id = 'demo';
INSERT INTO entry_points (id, account_id, channel_id, kind, name, enabled, invite, position, created_at, updated_at)
VALUES ('ep_a11y', 'acc_demo', 'demo', 'invite', 'A11y help', 1, '${INVITE}', 2, 0, 0);
`;
const DESKTOP = { width: 1280, height: 720 };
const PHONE = { width: 360, height: 640 };
const WIDGET = "parley-chat";

const { edge, browser } = useEdge({ online: [], extraSql: SQL, browser: true });
let console_;

/** A subtest that fails on any serious or critical axe violation in `selector` (or the page). */
async function clean(t, page, name, selector = null) {
  await t.test(name, async () => {
    let found = await step(page, `a11y ${name}`, () => axeViolations(page, selector));
    if (found.length) {
      // A state caught mid-way (a panel still filling in under a loaded machine) is not what
      // anyone reads: once the page is quiet, a violation that is still there fails the test.
      const first = formatViolations(found);
      await page.waitForLoadState("networkidle").catch(() => {});
      await settle(page);
      found = await step(page, `a11y ${name} (again)`, () => axeViolations(page, selector));
      if (!found.length) t.diagnostic(`${name}: gone once the page was quiet:\n${first}`);
    }
    assert.equal(found.length, 0, `${name}: serious/critical accessibility violations:\n${formatViolations(found)}`);
  });
}

/**
 * The page at rest: nothing `aria-busy` (a part still loading is drawn at 75 % opacity on
 * purpose), every finite animation or CSS transition finished (the console's buttons change
 * colour in .12 s, longer on a loaded machine), then two animation frames so the layout after a
 * viewport change has been drawn.
 */
const settle = async (page) => {
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'), null, { timeout: 15_000 }).catch(() => {});
  await quiet(page);
};
const quiet = (page) => page.evaluate(async () => {
  const running = document.getAnimations().filter((a) => a.effect?.getComputedTiming().endTime !== Infinity);
  await Promise.all(running.map((a) => a.finished.catch(() => {})));
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
});

/** The widget's checks at desktop size and at 360x640 (plus "fits the screen" when `panel`). */
async function widgetClean(t, page, state, { panel = false } = {}) {
  await clean(t, page, `widget: ${state} (desktop)`, WIDGET);
  await page.setViewportSize(PHONE);
  await settle(page);
  try {
    await clean(t, page, `widget: ${state} (360x640)`, WIDGET);
    if (panel) {
      await t.test(`widget: ${state} (360x640) fits the screen`, async () => {
        const box = await page.getByRole("dialog", { name: "Chat" }).boundingBox();
        assert.ok(box, "the panel is drawn");
        assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= PHONE.width + 0.5 && box.y + box.height <= PHONE.height + 0.5,
          `the panel ${JSON.stringify(box)} is inside 360x640`);
      });
    }
  } finally {
    await page.setViewportSize(DESKTOP);
    await settle(page);
  }
}

/** A visitor on the demo host page (`/demo/a11y`); resolves once the launcher is drawn. */
async function visitor() {
  const ctx = await browser.newContext({ locale: "en-US", viewport: DESKTOP });
  const page = await ctx.newPage();
  await page.goto(edge.base + "/demo/a11y");
  await page.getByRole("button", { name: "Open chat" }).waitFor();
  return { ctx, page };
}

/** Waits until the widget app has mounted (the loader's `parley:ready` mark). */
const appReady = (page) =>
  page.waitForFunction(() => performance.getEntriesByName("parley:ready").length > 0, null, { timeout: 15_000 });

/** The focused element, through open shadow roots: a short description and where it is. */
const focused = (page) =>
  page.evaluate(() => {
    let a = document.activeElement;
    while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
    if (!a || a === document.body) return null;
    const inWidget = a.getRootNode() instanceof ShadowRoot;
    const name = a.getAttribute("aria-label") ?? a.labels?.[0]?.textContent.trim() ?? a.textContent.trim().slice(0, 40);
    const s = getComputedStyle(a);
    return {
      tag: a.tagName.toLowerCase(), name, inWidget, cls: a.className?.baseVal ?? a.className,
      inPanel: Boolean(a.closest('[role="dialog"]')),
      ring: a.matches(":focus-visible") && ((s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none"),
    };
  });

/** Waits until focus is in the widget's composer (its text box "Message"). */
const composerFocused = (page) =>
  page.waitForFunction(() => {
    let a = document.activeElement;
    while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
    return a?.getAttribute("aria-label") === "Message";
  }, null, { timeout: 10_000 });

/** Presses Tab until `pred(focused)` holds; resolves the focused element (fails after `max`). */
async function tabTo(page, pred, label, max = 30) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const f = await focused(page);
    if (f && pred(f)) return f;
  }
  throw new Error(`Tab never reached ${label}`);
}

test("widget with nobody online: the closed launcher and the offline form", async (t) => {
  const { ctx, page } = await visitor();
  await widgetClean(t, page, "closed launcher as the loader draws it");
  await appReady(page);
  await widgetClean(t, page, "closed launcher, app mounted");
  await step(page, "a11y-offline-form", async () => {
    await page.getByRole("button", { name: "Open chat" }).click();
    await page.getByRole("textbox", { name: "Your message" }).waitFor();
  });
  await widgetClean(t, page, "offline form", { panel: true });
  await ctx.close();
});

test("console: login page and the empty inbox", async (t) => {
  const ctx = await browser.newContext({ viewport: DESKTOP });
  const page = await ctx.newPage();
  await page.goto(edge.base + "/console");
  await page.getByLabel("Username").waitFor();
  await clean(t, page, "console: login page");
  await consoleLogin(page, edge.base);
  await step(page, "a11y-go-online", async () => {
    await page.getByRole("button", { name: "Go online" }).click();
    await page.getByText("You are online").waitFor();
    await page.getByRole("checkbox", { name: "Demo channel" }).check();
    await page.getByRole("checkbox", { name: "Demo channel" }).and(page.locator(":checked")).waitFor();
  });
  await clean(t, page, "console: inbox, online, no conversation");
  console_ = { ctx, page };
});

test("widget and console: pre-chat form, messages both ways, rating card; the live conversation", async (t) => {
  const { ctx, page } = await visitor();
  const op = console_.page;
  const log = page.getByRole("log", { name: "Messages" });
  await step(page, "a11y-prechat", async () => {
    await page.getByRole("button", { name: "Open chat" }).click();
    await page.getByRole("textbox", { name: "Message" }).fill("Do you have tents for four people?");
    await page.getByRole("button", { name: "Send message" }).click();
    await page.getByRole("form", { name: "Before we start" }).waitFor();
  });
  await widgetClean(t, page, "pre-chat form", { panel: true });

  await step(page, "a11y-messages", async () => {
    const form = page.getByRole("form", { name: "Before we start" });
    await form.getByLabel("Your name").fill("Ada");
    await form.getByRole("button", { name: "Start chat" }).click();
    await log.getByText("Do you have tents for four people?").waitFor();
    await op.getByRole("button", { name: /Open conversation: Do you have tents/ }).click();
    await op.getByRole("textbox", { name: "Reply" }).fill("Yes: the Ridge 4 and the Basecamp 4.");
    await op.getByRole("button", { name: "Send reply" }).click();
    await log.getByText("Yes: the Ridge 4 and the Basecamp 4.").waitFor();
  });
  await widgetClean(t, page, "open panel with messages both ways", { panel: true });
  await t.test("widget: the transcript is a live region", async () => {
    const attrs = await log.evaluate((el) => ({ role: el.getAttribute("role"), live: el.getAttribute("aria-live") }));
    assert.ok(attrs.role === "log" || ["polite", "assertive"].includes(attrs.live), JSON.stringify(attrs));
  });
  await clean(t, op, "console: inbox with a live conversation open");

  await step(page, "a11y-rating", async () => {
    await op.getByRole("button", { name: "End chat" }).click();
    await page.getByRole("form", { name: "Rate this chat" }).waitFor();
    await op.getByText("This conversation is closed.").waitFor();
  });
  await widgetClean(t, page, "rating card after the chat ended", { panel: true });
  await clean(t, op, "console: closed conversation with its wrap-up form");
  await ctx.close();
});

test("widget: an invite on screen", async (t) => {
  const { ctx, page } = await visitor();
  await step(page, "a11y-invite", async () => {
    await page.evaluate(() => window.Parley.invite("A11y help"));
    await page.getByRole("dialog", { name: "Chat invitation" }).getByText("Questions? We are here to help.").waitFor();
  });
  await widgetClean(t, page, "invite on screen");
  await ctx.close();
});

test("widget by keyboard only: launcher, composer, send, every control, Escape", async (t) => {
  const { ctx, page } = await visitor();
  const isLauncher = (f) => f.inWidget && f.tag === "button" && /^Open chat$/.test(f.name);
  let launcher;
  await t.test("widget: Tab reaches the launcher, its focus is visible", async () => {
    launcher = await tabTo(page, isLauncher, "the launcher");
    assert.ok(launcher.ring, `a visible focus ring on the launcher: ${JSON.stringify(launcher)}`);
  });
  await t.test("widget: Enter opens the panel with focus in the composer", async () => {
    if (!launcher) launcher = await tabTo(page, isLauncher, "the launcher");
    await page.keyboard.press("Enter");
    await page.getByRole("dialog", { name: "Chat" }).waitFor();
    await composerFocused(page);
  });
  await t.test("widget: typing + Enter sends (the pre-chat form by keyboard too)", async () => {
    await page.keyboard.type("Typed without a mouse");
    await page.keyboard.press("Enter");
    const form = page.getByRole("form", { name: "Before we start" });
    await form.waitFor();
    // Focus may already be in the name field; else Tab gets there.
    const isName = (f) => f.inWidget && f.tag === "input" && /^Your name/.test(f.name);
    const now = await focused(page);
    if (!(now && isName(now))) await tabTo(page, isName, "the name field", 15);
    await page.keyboard.type("Kai");
    await page.keyboard.press("Enter");
    await page.getByRole("log", { name: "Messages" }).getByText("Typed without a mouse").waitFor();
  });
  await t.test("widget: Tab reaches every control of the panel", async () => {
    const panel = page.getByRole("dialog", { name: "Chat" });
    const controls = await panel.evaluate((root) =>
      [...root.querySelectorAll("button, textarea, input, select, a[href], [tabindex]")]
        .filter((el) => !el.disabled && el.tabIndex >= 0 && el.getClientRects().length > 0)
        .map((el) => el.getAttribute("aria-label") ?? el.labels?.[0]?.textContent.trim() ?? el.textContent.trim().slice(0, 40)));
    const reached = new Set();
    // Until each listed control was reached (a control that appears meanwhile, such as "End chat"
    // once the conversation exists, must not end the loop early).
    for (let i = 0; i < 40 && controls.some((c) => !reached.has(c)); i++) {
      await page.keyboard.press("Tab");
      const f = await focused(page);
      if (f?.inPanel) reached.add(f.name);
    }
    const missed = controls.filter((c) => !reached.has(c));
    assert.deepEqual(missed, [], `controls Tab never reached (reached: ${JSON.stringify([...reached])})`);
  });
  await t.test("widget: Escape closes the panel, focus returns to the launcher", async () => {
    const isLauncher = (f) => f && f.inWidget && f.tag === "button" && f.cls.includes("launcher");
    await tabTo(page, (f) => f.inPanel, "a control in the panel", 40);
    // In the very task the key closes the panel, focus is back on the launcher (a later task
    // would leave a window in which the hidden panel keeps focus and swallows the next keys).
    const at_once = await page.evaluate(() => {
      let a = document.activeElement;
      while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
      a.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, composed: true }));
      let b = document.activeElement;
      while (b?.shadowRoot?.activeElement) b = b.shadowRoot.activeElement;
      return { tag: b.tagName.toLowerCase(), cls: String(b.className), inWidget: b.getRootNode() instanceof ShadowRoot };
    });
    assert.ok(isLauncher(at_once), `focus in the task of Escape: ${JSON.stringify(at_once)}`);
    await page.getByRole("dialog", { name: "Chat" }).waitFor({ state: "hidden" });
    // And by a real key press: open again from the launcher, Escape from the composer.
    await page.keyboard.press("Enter");
    await page.getByRole("dialog", { name: "Chat" }).waitFor();
    await composerFocused(page);
    await page.keyboard.press("Escape");
    await page.getByRole("dialog", { name: "Chat" }).waitFor({ state: "hidden" });
    const f = await focused(page);
    assert.ok(isLauncher(f), `focus after Escape: ${JSON.stringify(f)}`);
  });
  await ctx.close();
});

test("console: admin tabs, reports, transcript dialog, shared report page", async (t) => {
  const { page } = console_;
  await page.getByRole("button", { name: "Admin" }).click();
  const tabs = await page.getByRole("tablist", { name: "Admin sections" }).getByRole("tab").allTextContents();
  assert.ok(tabs.length >= 9, JSON.stringify(tabs));
  for (const name of tabs) {
    await step(page, `a11y-admin-${name}`, async () => {
      await page.getByRole("tab", { name, exact: true }).click();
      await page.getByRole("tab", { name, exact: true }).and(page.locator('[aria-selected="true"]')).waitFor();
      // The tab's content has loaded once nothing says "Loading…" any more.
      await page.waitForFunction(() => !document.querySelector('[role="tabpanel"]')?.textContent.includes("Loading…"));
    });
    await clean(t, page, `console: admin, ${name}`);
  }

  await page.getByRole("button", { name: "Reports" }).click();
  await step(page, "a11y-reports-invites", async () => {
    await page.getByRole("tab", { name: "Invites & traffic" }).click();
    const section = page.getByRole("region", { name: "Invites and traffic" });
    await section.getByRole("button", { name: "Show" }).click();
    await page.waitForFunction(() => !document.querySelector(".rep-status")?.textContent.includes("Loading…"));
  });
  await clean(t, page, "console: reports, Invites & traffic");
  for (const slug of ["conversations", "by_date"]) {
    await step(page, `a11y-reports-${slug}`, async () => {
      await page.getByRole("tab", { name: "All reports" }).click();
      await page.getByLabel("Report", { exact: true }).selectOption(slug);
      await page.getByRole("button", { name: "Show", exact: true }).click();
      const view = page.locator(`section.rep-view[data-report="${slug}"]`);
      await view.locator("tbody tr").first().waitFor();
      if (slug === "by_date") await view.locator("figure.chart").waitFor();
    });
    await clean(t, page, `console: reports, All reports (${slug}: table${slug === "by_date" ? " and chart" : ""})`);
  }

  const cookie = await edge.login();
  const list = await edge.get(`${C}/conversations`, cookie);
  // The chat with messages both ways (closed by Dana above).
  const id = list.json.conversations.find((c) => c.status === "closed" && c.message_count >= 2).id;
  await step(page, "a11y-transcript", async () => {
    await page.evaluate((id) => { location.hash = `#/transcript/${id}`; }, id);
    await page.getByRole("dialog").getByText("Yes: the Ridge 4 and the Basecamp 4.").waitFor();
  });
  await clean(t, page, "console: transcript dialog");

  const now = Date.now();
  const made = await edge.post(`${C}/report-links`,
    { report: "conversations", query: `from=${now - 86_400_000}&to=${now + 3_600_000}&tz=UTC`, title: "A11y" }, cookie);
  assert.equal(made.status, 200, JSON.stringify(made.json));
  const ctx = await browser.newContext({ viewport: DESKTOP });
  const shared = await ctx.newPage();
  await step(shared, "a11y-shared-report", async () => {
    await shared.goto(edge.base + made.json.url);
    await shared.locator("table.rep-table tbody tr").first().waitFor();
  });
  await clean(t, shared, "console: shared report public page");
  await ctx.close();
  await console_.ctx.close();
});

test("console in every language: login page, inbox, admin tabs, reports", async (t) => {
  for (const locale of ["es-ES", "fr-FR", "de-DE", "vi-VN", "ru-RU", "zh-CN"]) {
    const ctx = await browser.newContext({ locale, viewport: DESKTOP });
    const page = await ctx.newPage();
    const lang = locale.slice(0, 2);
    try {
      await step(page, `a11y-${lang}-login`, async () => {
        await page.goto(edge.base + "/console");
        await page.locator("#login-username").waitFor();
      });
      assert.ok((await page.locator("html").getAttribute("lang")).startsWith(lang), `${locale}: the console speaks ${lang}`);
      await clean(t, page, `console (${lang}): login page`);
      await step(page, `a11y-${lang}-inbox`, async () => {
        await page.locator("#login-username").fill("demo");
        await page.locator("#login-password").fill("parley-demo");
        await page.locator("form.login button[type=submit]").click();
        await page.locator(".topbar").waitFor();
        await page.waitForLoadState("networkidle").catch(() => {});
      });
      await clean(t, page, `console (${lang}): inbox`);
      const topButtons = page.locator(".who button[aria-pressed]");
      await topButtons.nth(0).click();
      const tabs = page.getByRole("tablist").getByRole("tab");
      await tabs.first().waitFor();
      const count = await tabs.count();
      assert.ok(count >= 9, `${lang}: ${count} admin tabs`);
      for (let i = 0; i < count; i++) {
        const name = await tabs.nth(i).textContent();
        await step(page, `a11y-${lang}-admin-${i}`, async () => {
          await tabs.nth(i).click();
          await tabs.nth(i).and(page.locator('[aria-selected="true"]')).waitFor();
          await page.waitForLoadState("networkidle").catch(() => {});
        });
        await clean(t, page, `console (${lang}): admin, ${name}`);
      }
      await step(page, `a11y-${lang}-reports`, async () => {
        await topButtons.nth(1).click();
        await page.locator("#rep-panel").waitFor();
        await page.waitForLoadState("networkidle").catch(() => {});
      });
      await clean(t, page, `console (${lang}): reports`);
    } finally {
      await ctx.close();
    }
  }
});
