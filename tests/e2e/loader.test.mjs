// The loader (`public/widget.js`) in Chromium against a real `wrangler dev`: it draws the launcher
// itself (the channel's accent and corner, the browser's language else the channel's) while the
// WebAssembly app is held back (only the `.wasm` request is delayed, the page itself is the
// edge's); a click made before the
// app loaded opens the panel once it has (the composer focused); the app takes the launcher over
// without a layout shift, in the same box; nothing is written to cookies or storage until the
// visitor interacts (or the site calls `Parley.consent()`); under a strict Content-Security-Policy
// (`/demo/csp/...`: no inline script or style) nothing is blocked and a message round-trips.
import { test } from "node:test";
import assert from "node:assert/strict";
import { step } from "./harness.mjs";
import { useEdge, until } from "./fixtures.mjs";

const ACCENT = "#8a1c7c";
const ACCENT_RGB = "rgb(138, 28, 124)";
const { edge, browser } = useEdge({
  browser: true,
  extraSql: `UPDATE entry_points SET enabled = 0 WHERE id = 'ep_welcome';
UPDATE channels SET accent = '${ACCENT}' WHERE id = 'demo';`,
  vars: { PARLEY_TALLY_FLUSH_MS: "300" },
});


/**
 * A fresh browser context and page. With `hold`, the app's `.wasm` waits until `release()`.
 * An init script records layout shifts (without recent input), CSP violations and the
 * `ready` event (hooking the loader's last assignment, `Parley.invite`, as widget-api does).
 */
async function hostPage({ hold = false, locale } = {}) {
  const ctx = await browser.newContext(locale ? { locale } : {});
  const page = await ctx.newPage();
  const logs = [];
  page.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => logs.push(`pageerror: ${e}`));
  if (process.env.PARLEY_E2E_DEBUG) page.on("console", (m) => console.log(`[page ${m.type()}] ${m.text()}`));
  await ctx.addInitScript(() => {
    window.__shifts = [];
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) if (!e.hadRecentInput) window.__shifts.push(e.value);
    }).observe({ type: "layout-shift", buffered: true });
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__violations.push({ directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile }));
    window.__ready = 0;
    window.Parley = {};
    Object.defineProperty(window.Parley, "invite", {
      configurable: true,
      set(f) {
        Object.defineProperty(this, "invite", { value: f, writable: true, configurable: true });
        window.Parley.on("ready", () => window.__ready++);
      },
    });
  });
  let release = () => {};
  let wasmAsked = false;
  if (hold) {
    const gate = new Promise((r) => (release = r));
    await page.route("**/parley_widget_bg.wasm", async (route) => {
      wasmAsked = true;
      await gate;
      await route.continue().catch(() => {});
    });
  }
  return { ctx, page, logs, release, asked: () => wasmAsked };
}

const marks = (page) => page.evaluate(() => performance.getEntriesByType("mark").map((m) => m.name).filter((n) => n.startsWith("parley:")));
const mounted = async (page) => (await marks(page)).includes("parley:ready");
const launcherBox = (page) => page.evaluate(() => {
  const b = document.querySelector("parley-chat").shadowRoot.querySelector(".launcher");
  const r = b.getBoundingClientRect();
  return { x: r.x, y: r.y, w: r.width, h: r.height, bg: getComputedStyle(b).backgroundColor, mine: !!b.__loaders };
});
const storage = (page) => page.evaluate(() => ({
  local: Object.keys(localStorage),
  session: Object.keys(sessionStorage),
  cookie: document.cookie,
}));

/** The chat button's rows of Traffic (all hours of the last day), summed. */
async function buttonTraffic(cookie) {
  const now = Date.now();
  const r = await fetch(`${edge.base}/api/v1/console/reports/traffic.csv?from=${now - 86_400_000}&to=${now + 3_600_000}`, { headers: { cookie } });
  assert.equal(r.status, 200);
  const [head, ...lines] = (await r.text()).trim().split("\n");
  const cols = head.split(",");
  return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i], v])))
    .filter((r) => r.entrypoint_id === "btn_demo")
    .reduce((t, r) => ({ visits: t.visits + +r.visits, views: t.views + +r.views, clicks: t.clicks + +r.clicks, chats: t.chats + +r.chats }),
      { visits: 0, views: 0, clicks: 0, chats: 0 });
}

// Issue 17 (page cost): on a page that does not use the API, of a channel without invites, for a
// visitor with nothing stored, the app is not loaded until the visitor shows an intent (pointer,
// touch or focus on the launcher); the page view and the button's view are counted by the edge
// from the loader's one look request. (First in the file: Traffic starts empty.)
test("the app waits for the visitor's first intent; the page view is counted from the look", async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const app = [];
  page.on("request", (r) => { if (r.url().includes("/pkg/widget/")) app.push(r.url()); });
  const idle = () => page.evaluate(() => new Promise((r) => requestIdleCallback(() => r(), { timeout: 3000 })));
  const cookie = await edge.login();
  await step(page, "no-app-before-intent", async () => {
    await page.goto(edge.base + "/demo/shop", { waitUntil: "load" });
    await page.locator("parley-chat .launcher").waitFor();
    // The loader used to load the app at the first idle time after `load`: two idle callbacks on.
    await idle();
    await idle();
    assert.deepEqual(app, [], "no request for the app before an intent");
    assert.equal(await mounted(page), false);
    assert.deepEqual(await storage(page), { local: [], session: [], cookie: "" });
  });
  await step(page, "the-look-counted-the-visit-and-the-view", async () => {
    let t;
    await until(async () => (t = await buttonTraffic(cookie)).visits >= 1, "the page view in Traffic");
    assert.deepEqual(t, { visits: 1, views: 1, clicks: 0, chats: 0 });
  });
  await step(page, "the-pointer-on-the-launcher-loads-the-app", async () => {
    await page.locator("parley-chat .launcher").hover();
    await until(() => mounted(page), "the app mounted after the pointer came");
    assert.ok(app.some((u) => u.endsWith(".wasm")), app.join(" "));
    await page.locator("parley-chat .launcher").click();
    await page.getByRole("dialog", { name: "Chat" }).waitFor();
    await until(() => page.evaluate(() => document.querySelector("parley-chat").shadowRoot.activeElement?.tagName === "TEXTAREA"),
      "the composer focused");
    let t;
    await until(async () => (t = await buttonTraffic(cookie)).clicks >= 1, "the click in Traffic");
    assert.deepEqual(t, { visits: 1, views: 1, clicks: 1, chats: 0 }, "the app reports no visit or view of its own");
  });
  await step(page, "a-visitor-with-stored-keys-gets-the-app-when-idle", async () => {
    assert.ok((await storage(page)).local.length > 0, "the click allowed storage");
    app.length = 0;
    await page.reload({ waitUntil: "load" });
    await until(() => mounted(page), "the app mounted without an intent");
    assert.ok(app.some((u) => u.endsWith(".wasm")));
  });
  await ctx.close();
});

test("the loader's launcher: accent and language before the app, a click before load is not lost, takeover without shift", async () => {
  // What the test before this one left in Traffic (flushed: it waited for its counts).
  const earlier = await buttonTraffic(await edge.login());
  const { ctx, page, logs, release, asked } = await hostPage({ hold: true });
  const vp = page.viewportSize();
  let before;
  await step(page, "launcher-drawn-while-the-app-is-held", async () => {
    await page.goto(edge.base + "/demo/shop");
    const launcher = page.locator("parley-chat .launcher");
    await launcher.waitFor();
    assert.equal(await mounted(page), false, "the app is held back");
    assert.ok((await marks(page)).includes("parley:launcher"));
    assert.equal(await launcher.getAttribute("aria-label"), "Open chat");
    assert.equal(await launcher.getAttribute("aria-expanded"), "false");
    assert.equal(await page.locator("parley-chat .parley").getAttribute("lang"), "en");
    before = await launcherBox(page);
    assert.deepEqual({ ...before, mine: undefined }, { x: vp.width - 76, y: vp.height - 76, w: 56, h: 56, bg: ACCENT_RGB, mine: undefined },
      "56px at 20px from the bottom right, the channel's accent");
    // Nothing written by the loader, and no inline style anywhere (strict CSP would block it).
    assert.deepEqual(await storage(page), { local: [], session: [], cookie: "" });
    assert.equal(await page.evaluate(() => document.querySelector("parley-chat").shadowRoot.querySelectorAll("[style]:not(.parley), style").length), 0);
  });

  await step(page, "click-before-load-opens-after-load", async () => {
    await page.evaluate(() => { document.querySelector("parley-chat").shadowRoot.querySelector(".launcher").__loaders = 1; });
    await page.locator("parley-chat .launcher").click();
    await until(async () => asked(), "the wasm asked for at the click");
    assert.equal(await mounted(page), false);
    release();
    await page.getByRole("dialog", { name: "Chat" }).waitFor();
    await until(() => page.evaluate(() => document.querySelector("parley-chat").shadowRoot.activeElement?.tagName === "TEXTAREA"),
      "the composer focused");
  });

  await step(page, "takeover-same-box-no-shift", async () => {
    assert.equal(await page.locator("parley-chat .launcher").count(), 1, "one launcher");
    const after = await launcherBox(page);
    assert.deepEqual({ ...after, mine: undefined }, { ...before, mine: undefined }, "same box and colour after the takeover");
    assert.deepEqual(await page.evaluate(() => window.__shifts), [], "no layout shift");
    assert.equal(after.mine, true, "the app took the loader's launcher over (not a new one)");
    assert.deepEqual(logs.filter((l) => l.startsWith("error") || l.startsWith("pageerror")), []);
  });

  // Issue 18 (counts that add up): the click made before the app loaded is a click of the chat
  // button, with its decision time (the loader's launcher mark → the click), so the chat it
  // starts never makes Traffic show more chats than clicks.
  await step(page, "the-early-click-counts-as-a-click", async () => {
    await page.getByRole("textbox", { name: "Message" }).fill("Clicked before the app loaded");
    await page.keyboard.press("Enter");
    await page.getByRole("log", { name: "Messages" }).getByText("Clicked before the app loaded").waitFor();
    const cookie = await edge.login();
    let conv;
    await until(async () => {
      const r = await fetch(edge.base + "/api/v1/console/conversations", { headers: { cookie } });
      conv = (await r.json()).conversations.find((c) => c.last_message_preview.startsWith("Clicked before"));
      return conv;
    }, "the conversation listed");
    assert.equal(conv.request_type, "button");
    assert.ok(conv.decision_ms > 0 && conv.decision_ms < 60_000, `decision time ${conv.decision_ms}`);
    const now = Date.now();
    const traffic = async () => {
      const r = await fetch(`${edge.base}/api/v1/console/reports/traffic.csv?from=${now - 86_400_000}&to=${now + 3_600_000}`, { headers: { cookie } });
      assert.equal(r.status, 200);
      const [head, ...lines] = (await r.text()).trim().split("\n");
      return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [head.split(",")[i], v])));
    };
    await until(async () => {
      const b = await buttonTraffic(cookie);
      return b.clicks === earlier.clicks + 1 && b.chats === earlier.chats + 1;
    }, "one more click and one more chat of the chat button");
    for (const r of await traffic()) assert.ok(+r.clicks >= +r.chats, `clicks >= chats: ${JSON.stringify(r)}`);
  });
  await ctx.close();
});

// The loader calls the app's `mount` and the app's own listener takes the launcher over two
// tasks later: a click in between (a slow machine, the visitor clicking as the app arrives) is
// handed over too. The init script clicks in exactly that gap: in `mount`'s task, at the
// loader's `parley:ready` mark.
test("a click as the app mounts (before its listener) opens the panel", async () => {
  const { ctx, page } = await hostPage();
  await ctx.addInitScript(() => {
    const mark = performance.mark.bind(performance);
    performance.mark = (name, ...rest) => {
      const r = mark(name, ...rest);
      if (name === "parley:ready") document.querySelector("parley-chat").shadowRoot.querySelector(".launcher").click();
      return r;
    };
  });
  await page.goto(edge.base + "/demo/shop");
  await page.locator("parley-chat .launcher").hover();
  await page.getByRole("dialog", { name: "Chat" }).waitFor();
  assert.equal(await page.locator("parley-chat .launcher").getAttribute("aria-expanded"), "true");
  await page.getByRole("textbox", { name: "Message" }).waitFor();
  await ctx.close();
});

test("the launcher follows the browser's language, else the channel's", async () => {
  const { ctx, page, release } = await hostPage({ hold: true, locale: "de-AT" });
  await page.goto(edge.base + "/demo/shop");
  const launcher = page.locator("parley-chat .launcher");
  await launcher.waitFor();
  assert.equal(await launcher.getAttribute("aria-label"), "Chat öffnen");
  assert.equal(await page.locator("parley-chat .parley").getAttribute("lang"), "de");
  release();
  await ctx.close();
});

test("the look's corner, short accent and default language (a browser language Parley does not speak)", async () => {
  const { ctx, page, release } = await hostPage({ hold: true, locale: "ja-JP" });
  await page.route("**/api/v1/widget/look?*", (r) => r.fulfill({ json: { accent: "#123", position: "left", language: "fr" } }));
  await page.goto(edge.base + "/demo/shop");
  const launcher = page.locator("parley-chat .launcher");
  await launcher.waitFor();
  assert.equal(await launcher.getAttribute("aria-label"), "Ouvrir le chat");
  assert.equal(await page.locator("parley-chat .parley").getAttribute("lang"), "fr");
  const box = await launcherBox(page);
  assert.deepEqual([box.x, box.y, box.bg], [20, page.viewportSize().height - 76, "rgb(17, 34, 51)"]);
  release();
  await ctx.close();
});

test("consent-first: nothing stored until the visitor interacts or the site consents", async () => {
  {
    const { ctx, page } = await hostPage();
    await step(page, "nothing-stored-after-idle-load-and-ready", async () => {
      await page.goto(edge.base + "/demo/shop");
      await until(() => mounted(page), "the app loaded when idle");
      await until(() => page.evaluate(() => window.__ready > 0), "ready");
      await page.evaluate(() => new Promise((r) => requestIdleCallback(r)));
      assert.deepEqual(await storage(page), { local: [], session: [], cookie: "" });
      assert.deepEqual(await ctx.cookies(), []);
    });
    await step(page, "a-click-allows-storage", async () => {
      await page.getByRole("button", { name: "Open chat" }).click();
      await page.getByRole("dialog", { name: "Chat" }).waitFor();
      await until(async () => (await storage(page)).local.length > 0, "something stored after the click");
      const { local, session } = await storage(page);
      assert.ok([...local, ...session].every((k) => k.startsWith("parley:demo:")), [...local, ...session].join(", "));
    });
    await ctx.close();
  }
  {
    const { ctx, page } = await hostPage();
    await step(page, "parley-consent-allows-storage", async () => {
      await page.goto(edge.base + "/demo/shop");
      await until(() => page.evaluate(() => window.__ready > 0), "ready");
      assert.deepEqual(await storage(page), { local: [], session: [], cookie: "" });
      await page.evaluate(() => Parley.consent());
      await until(async () => (await storage(page)).local.length > 0, "something stored after Parley.consent()");
    });
    await ctx.close();
  }
});

test("under a strict Content-Security-Policy nothing is blocked and a message round-trips", async () => {
  const { ctx, page, logs } = await hostPage();
  await step(page, "strict-csp", async () => {
    const resp = await page.goto(edge.base + "/demo/csp/shop");
    assert.match(resp.headers()["content-security-policy"] ?? "", /style-src 'self'/);
    await page.getByRole("button", { name: "Open chat" }).click();
    await page.getByRole("dialog", { name: "Chat" }).waitFor();
    const bg = await page.evaluate(() => getComputedStyle(document.querySelector("parley-chat").shadowRoot.querySelector(".launcher")).backgroundColor);
    assert.equal(bg, ACCENT_RGB, "the stylesheet applies");
    await page.getByRole("textbox", { name: "Message" }).fill("Hello under CSP");
    await page.getByRole("button", { name: "Send message" }).click();
    const log = page.getByRole("log", { name: "Messages" });
    await log.getByText("Hello under CSP").waitFor();
    await log.getByText("Sending…").waitFor({ state: "detached" });
    // The demo page's own inline <style> (in its HTML) is blocked, as expected; nothing else is.
    const all = await page.evaluate(() => window.__violations);
    const page_ = (v) => v.blocked === "inline" && v.directive.startsWith("style-src") && v.source === page.url();
    assert.equal(all.filter(page_).length, 1, JSON.stringify(all));
    assert.deepEqual(all.filter((v) => !page_(v)), []);
    assert.equal(logs.filter((l) => /Content Security Policy/i.test(l)).length, 1, logs.join("\n"));
  });
  await ctx.close();
});
