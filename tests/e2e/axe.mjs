// axe-core (npm, pinned in package.json) in a Playwright page: inject it, run it on the whole
// document or on one element (open shadow roots included), keep the violations that matter.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/** The rule sets every check runs: WCAG 2.0 / 2.1 A and AA, plus axe's best practices. */
export const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];
/** Impacts that fail a check. */
export const FAILING = ["serious", "critical"];

/**
 * Runs axe in `page` on `selector` (its first match, shadow tree included) or the whole
 * document; resolves the serious and critical violations, each `{id, impact, help, helpUrl,
 * nodes: [{target, html, summary}]}`. The script is evaluated through the DevTools protocol,
 * so a page's Content-Security-Policy does not block it.
 */
export async function axeViolations(page, selector = null) {
  const loaded = await page.evaluate(() => typeof window.axe === "object");
  if (!loaded) await page.evaluate(`${AXE_SOURCE}\n;void 0`);
  const all = await page.evaluate(
    async ({ selector, tags }) => {
      // Colours mid-transition are not what anyone reads: let finite animations end first.
      const running = document.getAnimations().filter((a) => a.effect?.getComputedTiming().iterations !== Infinity);
      await Promise.race([Promise.all(running.map((a) => a.finished.catch(() => {}))), new Promise((r) => setTimeout(r, 2000))]);
      const context = selector ? document.querySelector(selector) : document;
      if (!context) throw new Error(`axe: nothing matches ${selector}`);
      const r = await window.axe.run(context, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
      return r.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        nodes: v.nodes.map((n) => ({ target: n.target, html: n.html.slice(0, 200), summary: n.failureSummary, impact: n.impact })),
      }));
    },
    { selector, tags: TAGS },
  );
  return all.filter((v) => FAILING.includes(v.impact));
}

/** A readable list of violations: rule id, impact, summary, then each target and why. */
export function formatViolations(violations) {
  return violations
    .map((v) => [
      `- ${v.id} [${v.impact}] ${v.help} (${v.helpUrl})`,
      ...v.nodes.map((n) => `    target ${JSON.stringify(n.target)}: ${n.html}\n      ${(n.summary ?? "").replaceAll("\n", "\n      ")}`),
    ].join("\n"))
    .join("\n");
}
