/**
 * Heatmaps end to end on the local stack, for a site of the test's own: a visitor in real
 * Chromium on the demo home page (the site's real snippet, core and interactions chunk) clicks
 * its button five times, three of them fast, and scrolls half way; the edge asks this first
 * visitor for the page's snapshot, which the snapshot chunk takes and uploads. Then the owner
 * opens the Heatmaps page: the button is the most clicked element with one rage click, the heat
 * layer is hot on the button in the rebuilt page, and the scroll map shows everyone reached 50%
 * and no one 55%. Screenshots go to test/system/artifacts/.
 */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiFetch, launchChromium, watchProblems } from "./browser.ts";
import { ARTIFACTS, type ScratchDatabase, type Stack, scratchDatabase, startStack } from "./stack.ts";

const EMAIL = "heat@example.test";
const PASSWORD = "correct horse battery staple";
/** Half the demo page below the fold when it opens, and its button above it (clicking does not scroll). */
const VISITOR = { width: 1280, height: 640 };
const LAND_TIMEOUT_MS = 60_000;

const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

interface HeatmapAnswer {
  total?: number;
  items?: { selector: string; count: number }[];
  reach?: { depth: number; share: number }[];
}

describe("heatmaps: a real visitor's clicks and scroll, drawn over the page's snapshot", () => {
  let scratch: ScratchDatabase | undefined;
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let siteId = "";
  let siteKey = "";
  const problems: string[] = [];

  beforeAll(async () => {
    scratch = await scratchDatabase("sl_heat");
    stack = await startStack("heatmaps", { databaseUrl: scratch.url });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    watchProblems(page, problems);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await scratch?.drop();
  });

  function need() {
    if (!stack || !page || !browser) throw new Error("stack not started");
    return { stack, page, browser };
  }

  /** The body of an API call from the signed-in page. */
  const call = async <T>(path: string, init: { method?: string; json?: unknown } = {}) =>
    (await apiFetch<T>(need().page, path, init)).body;

  it("sets up the owner and a site with heatmaps on (the default)", async () => {
    const { stack, page } = need();
    if (!stack.setupUrl) throw new Error("no setup link printed");
    await page.goto(stack.setupUrl);
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create owner account" }).click();
    await page.waitForURL(`${stack.apiUrl}/sites`);
    const site = await call<{ id: string; key: string; heatmaps: boolean }>("/v1/sites", {
      method: "POST",
      json: { name: "Heat test", origins: [stack.demoUrl] },
    });
    expect(site.heatmaps).toBe(true);
    siteId = site.id;
    siteKey = site.key;
  });

  it("captures a visitor's clicks, rage click, scroll depth and the page's snapshot", async () => {
    const { stack, browser } = need();
    const context = await browser.newContext({ viewport: VISITOR });
    const visitor = await context.newPage();
    const refused: string[] = [];
    visitor.on("response", (r) => {
      if (r.url().includes(`:${stack.ingestPort}/`) && r.status() >= 400) refused.push(`${r.status()} ${r.url()}`);
    });
    const snapshotStored = visitor.waitForResponse(
      (r) => r.url().endsWith("/v1/snapshot") && r.request().method() === "POST",
      { timeout: 30_000 },
    );
    await visitor.goto(`${stack.demoUrl}/?site=${siteKey}`);
    await visitor.waitForFunction(() => "sightline" in window, undefined, { timeout: 15_000 });
    expect((await snapshotStored).status()).toBe(201);

    // Two slow clicks, then three fast ones: one rage click.
    const cta = visitor.locator("#cta");
    await cta.click();
    await sleep(1_200);
    await cta.click();
    await sleep(1_200);
    await cta.click({ clickCount: 1, delay: 0 });
    await cta.click({ clickCount: 1, delay: 0 });
    await cta.click({ clickCount: 1, delay: 0 });

    // Half way down: the deepest point seen is 52% of the page.
    const height = await visitor.evaluate(() => document.documentElement.scrollHeight);
    expect(VISITOR.height / height).toBeLessThan(0.5);
    await visitor.evaluate((y) => window.scrollTo(0, y), Math.ceil(height * 0.52) - VISITOR.height);
    await sleep(300);
    const depth = await visitor.evaluate(
      () => (window.scrollY + window.innerHeight) / document.documentElement.scrollHeight,
    );
    expect(depth).toBeGreaterThanOrEqual(0.5);
    expect(depth).toBeLessThan(0.55);
    // Closing the tab fires pagehide: the depth and the queue go by beacon.
    await visitor.close();
    await context.close();
    expect(refused, "tracker requests refused").toEqual([]);

    const deadline = Date.now() + LAND_TIMEOUT_MS;
    let clicks: HeatmapAnswer = {};
    let scroll: HeatmapAnswer = {};
    while (Date.now() < deadline) {
      clicks = await call<HeatmapAnswer>(`/v1/sites/${siteId}/heatmaps?path=/&device=desktop&type=click`);
      scroll = await call<HeatmapAnswer>(`/v1/sites/${siteId}/heatmaps?path=/&device=desktop&type=scroll`);
      if (clicks.total === 5 && (scroll.reach?.[0]?.share ?? 0) > 0) break;
      await sleep(1_000);
    }
    expect(clicks.items?.[0]).toMatchObject({ selector: "#cta", count: 5 });
    const rage = await call<HeatmapAnswer>(`/v1/sites/${siteId}/heatmaps?path=/&device=desktop&type=rage`);
    expect(rage.items).toEqual([expect.objectContaining({ selector: "#cta", count: 1 })]);
    expect(scroll.reach?.find((r) => r.depth === 0.5)?.share).toBe(1);
    expect(scroll.reach?.find((r) => r.depth === 0.55)?.share).toBe(0);
  });

  it("shows the button hot over the rebuilt page, one rage click, and the scroll map at 50%", async () => {
    const { stack, page } = need();
    await page.goto(`${stack.apiUrl}/sites/${siteId}`);
    await page.locator(".sidenav").getByRole("link", { name: "Heatmaps" }).click();
    await page.waitForURL(`${stack.apiUrl}/sites/${siteId}/heatmaps`);
    await page.locator("#heat-stage").waitFor();
    const row = page.locator('#heatmap-elements tr[data-selector="#cta"]');
    await expect.poll(() => row.locator("td").allTextContents()).toEqual(["#cta", "5", "1", "0"]);
    expect(Number(await page.getAttribute("#heat-host", "data-points"))).toBeGreaterThan(0);

    // The rebuilt page has the button; the heat layer is coloured over it and not far from it.
    const frame = page.frameLocator("#heat-stage iframe");
    expect(await frame.locator("#cta").textContent()).toBeTruthy();
    const alpha = await page.evaluate(() => {
      const iframe = document.querySelector<HTMLIFrameElement>("#heat-stage iframe");
      const canvas = document.querySelector<HTMLCanvasElement>("#heat-canvas");
      const button = iframe?.contentDocument?.querySelector("#cta")?.getBoundingClientRect();
      const ctx = canvas?.getContext("2d");
      if (!button || !ctx) return null;
      const at = (x: number, y: number) => ctx.getImageData(Math.round(x), Math.round(y), 1, 1).data[3] ?? 0;
      return { on: at(button.left + button.width / 2, button.top + button.height / 2), off: at(5, 5) };
    });
    expect(alpha?.on).toBeGreaterThan(100);
    expect(alpha?.off).toBe(0);
    await shot(page, "heatmaps-clicks");

    await page.locator("#heatmap-type").getByRole("button", { name: "Rage clicks" }).click();
    await expect.poll(() => page.getAttribute("#heat-host", "data-type")).toBe("rage");
    expect(await page.locator("#heatmap-summary").textContent()).toContain("1 rage click,");

    await page.locator("#heatmap-type").getByRole("button", { name: "Scroll" }).click();
    await expect.poll(() => page.getAttribute("#heat-host", "data-type")).toBe("scroll");
    await expect.poll(() => page.locator('.heat-band[data-depth="0.5"]').textContent()).toBe("100% reached 50%");
    expect(await page.locator('.heat-band[data-depth="0.6"]').textContent()).toBe("0% reached 60%");
    await shot(page, "heatmaps-scroll");

    // Device classes apart: no clicks on the phone-sized heatmap, and no snapshot of it yet.
    await page.getByLabel("Device").selectOption("mobile");
    await page.locator("#heatmap-no-snapshot").waitFor();
    expect(problems).toEqual([]);
  });
});
