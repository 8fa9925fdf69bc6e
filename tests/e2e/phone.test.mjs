// Issue 17 point 5, phones: with the on-screen keyboard open the composer stays visible. A
// phone's keyboard shrinks the visual viewport (what the visitor sees) and leaves the layout
// viewport — where `position: fixed` places the panel — as it was, so a panel pinned to the
// layout viewport's bottom has its composer under the keyboard. The widget follows
// `window.visualViewport` while the panel is open (`widget/src/viewport.rs`).
//
// Chromium's mobile emulation (a 390×844 phone, touch) has no on-screen keyboard, and none of
// its device-metrics overrides shrinks the visual viewport alone (they resize both viewports);
// the page scale does — a pinch-zoom, which shrinks and moves the visual viewport inside the
// layout viewport exactly as the keyboard does (plus its width). So the test zooms in, checks
// that `visualViewport.height` did shrink below the layout viewport, scrolls the visual
// viewport down as the keyboard makes the browser do, and asserts each time that the composer
// lies inside the visual viewport and works (typing and sending by touch). A desktop keeps the
// panel where it always was. Against a real `wrangler dev` and headless Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import { step } from "./harness.mjs";
import { useEdge, until } from "./fixtures.mjs";

// The demo's auto-invite would cover the panel after 8 s: off here.
const { edge, browser } = useEdge({ browser: true, extraSql: `UPDATE entry_points SET enabled = 0 WHERE id = 'ep_welcome';` });

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 };

/** The visual viewport, the layout viewport's height and the composer's and panel's boxes (layout viewport CSS px). */
function geometry(page) {
  return page.evaluate(() => {
    const root = document.querySelector("parley-chat")?.shadowRoot;
    const box = (el) => {
      if (!el) return null;
      const r = el.getBoundingClientRect();
      return { top: r.top, left: r.left, bottom: r.bottom, right: r.right, width: r.width, height: r.height };
    };
    const vv = window.visualViewport;
    return {
      vv: { top: vv.offsetTop, left: vv.offsetLeft, width: vv.width, height: vv.height, scale: vv.scale },
      layoutHeight: window.innerHeight,
      composer: box(root?.querySelector("form.compose")),
      panel: box(root?.querySelector(".panel")),
    };
  });
}

/** Whether box `b` lies inside the visual viewport (half a pixel of rounding allowed). */
function inside(b, vv) {
  const e = 0.5;
  return b !== null && b.width > 0 && b.height > 0 && b.top >= vv.top - e && b.left >= vv.left - e
    && b.bottom <= vv.top + vv.height + e && b.right <= vv.left + vv.width + e;
}

/** Waits until the composer is inside the visual viewport (the widget follows it on its events); resolves the geometry. */
async function composerInside(page, label) {
  let g;
  try {
    await until(async () => inside((g = await geometry(page)).composer, g.vv), label, 5_000);
  } catch (e) {
    throw new Error(`${label}: the composer is not inside the visual viewport: ${JSON.stringify(g)}`, { cause: e });
  }
  return g;
}

/**
 * Taps the middle of `locator` where it shows in the visual viewport: a touch point from the
 * visual viewport's corner (under the emulated page scale Chromium takes touch points in CSS
 * px from there; Playwright's own taps aim at the layout viewport and miss).
 */
async function tapOnScreen(page, locator) {
  const { x, y } = await locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const v = window.visualViewport;
    return { x: r.left + r.width / 2 - v.offsetLeft, y: r.top + r.height / 2 - v.offsetTop };
  });
  await page.touchscreen.tap(x, y);
}

test("phone: with the visual viewport shrunk and moved (on-screen keyboard), the composer stays inside it and sends", async () => {
  const ctx = await browser.newContext(PHONE);
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  try {
    await page.goto(edge.base + "/");
    await page.locator("parley-chat .launcher").waitFor();
    await step(page, "phone-open", async () => {
      await page.getByRole("button", { name: "Open chat" }).tap();
      await page.getByRole("textbox", { name: "Message" }).waitFor();
    });

    // Full screen before the keyboard: the visual viewport is the layout viewport.
    const full = await composerInside(page, "before the keyboard");
    assert.equal(full.vv.height, full.layoutHeight, "nothing shrunk yet");

    // The keyboard: the visual viewport shrinks, the layout viewport stays.
    await step(page, "phone-keyboard", async () => {
      await cdp.send("Emulation.setPageScaleFactor", { pageScaleFactor: 1.6 });
      await until(async () => (await geometry(page)).vv.height < full.layoutHeight * 0.7, "the visual viewport to shrink");
      const g = await composerInside(page, "keyboard open");
      assert.equal(g.layoutHeight, full.layoutHeight, "the layout viewport did not change");
      assert.ok(g.vv.height < g.layoutHeight * 0.7, `visualViewport.height shrank: ${JSON.stringify(g.vv)}`);
      assert.ok(g.composer.top > g.vv.top + g.vv.height / 2, "the composer is at the bottom of what the visitor sees");
      // Through custom properties on the root only, as --accent (strict CSP: no other inline style).
      assert.equal(await page.evaluate(() => document.querySelector("parley-chat").shadowRoot.querySelectorAll("[style]:not(.parley), style").length), 0);
    });

    // The browser scrolls the visual viewport down inside the layout viewport (as it does to
    // show the focused field above the keyboard): the panel moves with it.
    await step(page, "phone-scrolled", async () => {
      const before = (await geometry(page)).vv.top;
      await page.mouse.move(100, 200);
      await page.mouse.wheel(0, 250);
      await until(async () => (await geometry(page)).vv.top > before + 50, "the visual viewport to scroll down");
      const g = await composerInside(page, "visual viewport scrolled");
      assert.ok(g.vv.top > 0, `visualViewport.offsetTop moved: ${JSON.stringify(g.vv)}`);
    });

    // Usable: typing and sending by touch where the visitor sees the composer, the message
    // acknowledged, the composer still in view.
    await step(page, "phone-send", async () => {
      const box = page.getByRole("textbox", { name: "Message" });
      await tapOnScreen(page, box);
      assert.equal(await box.evaluate((el) => el.getRootNode().activeElement === el), true, "the tap focused the composer");
      await page.keyboard.type("Typed on a phone");
      await tapOnScreen(page, page.getByRole("button", { name: "Send message" }));
      const log = page.getByRole("log", { name: "Messages" });
      await log.getByText("Typed on a phone").waitFor();
      await log.getByText("Sending…").waitFor({ state: "detached" });
      assert.equal(await box.inputValue(), "", "the composer was emptied by the send");
      await composerInside(page, "after sending");
    });

    // The keyboard goes: the panel fills the screen again.
    await step(page, "phone-keyboard-closed", async () => {
      await cdp.send("Emulation.setPageScaleFactor", { pageScaleFactor: 1 });
      await until(async () => {
        const g = await geometry(page);
        return g.vv.height === g.layoutHeight && g.panel?.height === g.layoutHeight && g.panel?.top === 0;
      }, "the panel to fill the screen again");
      await composerInside(page, "keyboard closed");
    });

    // Closed, the panel stops following (nothing left on it).
    await page.getByRole("button", { name: "Minimize chat" }).tap();
    await page.getByRole("button", { name: "Open chat" }).waitFor();
    const followed = await page.evaluate(() => document.querySelector("parley-chat").shadowRoot.querySelector("[data-vv]") !== null);
    assert.equal(followed, false, "no element follows the visual viewport once the panel is closed");
  } finally {
    await ctx.close();
  }
});

test("desktop: the panel stays where it always was (20 px from the right, 88 px from the bottom, 360×520)", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  try {
    await page.goto(edge.base + "/");
    await page.locator("parley-chat .launcher").waitFor();
    await page.getByRole("button", { name: "Open chat" }).click();
    await page.getByRole("textbox", { name: "Message" }).waitFor();
    const g = await composerInside(page, "desktop");
    // The fixed-position area is the visual viewport here (no zoom, scrollbars excluded).
    assert.deepEqual(
      { right: g.vv.width - g.panel.right, bottom: g.vv.height - g.panel.bottom, width: g.panel.width, height: g.panel.height },
      { right: 20, bottom: 88, width: 360, height: 520 },
      JSON.stringify(g),
    );
  } finally {
    await ctx.close();
  }
});
