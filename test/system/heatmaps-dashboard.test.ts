/**
 * The Heatmaps page in real Chromium on the local stack, for a site of the test's own, over
 * data the test puts where the pipeline would leave it: heat counts and pageviews through the
 * aggregators' own Postgres sink (`postgresStatsSink`, so the rows are whatever a flush
 * writes), and page snapshots of the demo home page, taken by rrweb-snapshot 2.2.2 in Chromium
 * at a desktop and a phone width, into the local R2 under `snapshotPrefix`. The owner opens the
 * page from the site's navigation and works every control: each toggle draws something else
 * (checked on the heat canvas at the elements' boxes in the rebuilt page), the scroll map
 * shows half the pageviews reaching the half, the phone snapshot keeps the heat on the button
 * in its own layout, a page with no snapshot says so and still lists its elements, and a flag
 * ticked to split heatmaps in its editor (a fourth one refused there) gives the Visitors picker
 * its variants, each showing the heat seeded for its visitors.
 * test/system/heatmaps.test.ts is the same page fed by a real visitor through the tracker.
 * Screenshots go to test/system/artifacts/.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import type { HeatDelta } from "@sightline/core/aggregate";
import { elementCell, elementCellCentre, pageCell } from "@sightline/core/heatmap";
import { postgresStatsSink } from "@sightline/db";
import { snapshotKey, snapshotPrefix } from "@sightline/shared/heatmap";
import { newId } from "@sightline/shared/ids";
import type { HeatDevice } from "@sightline/shared/wire";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "../../scripts/lib/db.ts";
import { childEnv, INGEST_CONFIG, NODE_BIN, ROOT, WRANGLER_JS } from "../../scripts/lib/paths.ts";
import { apiFetch, launchChromium, watchProblems } from "./browser.ts";
import { ARTIFACTS, type ScratchDatabase, type Stack, scratchDatabase, startStack } from "./stack.ts";

const EMAIL = "heatmaps@example.test";
const PASSWORD = "correct horse battery staple";
const SNAPSHOT_LIB = join(
  ROOT,
  "node_modules",
  ".pnpm",
  "rrweb-snapshot@2.2.2",
  "node_modules",
  "rrweb-snapshot",
  "dist",
  "rrweb-snapshot.umd.min.cjs",
);
const VIEWPORTS: Record<"desktop" | "mobile", { width: number; height: number }> = {
  desktop: { width: 1280, height: 800 },
  mobile: { width: 390, height: 844 },
};
/** Where the resting pointer was (desktop page pixels): right of the demo's centred column. */
const REST = { x: 1_100, y: 500 };
/** Where inside the elements the seeded clicks landed: the cell at their middle. */
const SEEDED_CELL = elementCell(0.5, 0.5);
/** A click that found no stable selector, top left. */
const STRAY = { x: 60, y: 90 };
/**
 * What the page must show, however the data came: the demo button clicked 5 times with one rage
 * click, the heading dead-clicked twice, and 4 pageviews of which 2 reached half the page.
 */
const EXPECTED = {
  cta: { clicks: 5, rage: 1, dead: 0 },
  title: { clicks: 2, rage: 0, dead: 2 },
  pageviews: 4,
  reachedHalf: 0.5,
};

const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const today = () => new Date().toISOString().slice(0, 10);

describe("the Heatmaps page: every control over seeded heat and snapshots", () => {
  let scratch: ScratchDatabase | undefined;
  let data: ReturnType<typeof openDb> | undefined;
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let siteId = "";
  const problems: string[] = [];

  beforeAll(async () => {
    scratch = await scratchDatabase("sl_heatdash");
    stack = await startStack("heatmaps-dashboard", { databaseUrl: scratch.url });
    data = openDb(scratch.url, scratch.bridgePort);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    watchProblems(page, problems, stack.apiUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await data?.close();
    await scratch?.drop();
  });

  function need() {
    if (!stack || !page || !browser || !data) throw new Error("stack not started");
    return { stack, page, browser, data };
  }

  /** The body of an API call from the signed-in page. */
  const call = async <T>(path: string, init: { method?: string; json?: unknown } = {}) =>
    (await apiFetch<T>(need().page, path, init)).body;

  /** The heat layer's opacity where SEEDED_CELL is in an element of the rebuilt page, or at a page point. */
  async function heatAt(target: string | { x: number; y: number }): Promise<number> {
    const { page } = need();
    const alpha = await page.evaluate(
      ([target, fx, fy]) => {
        const iframe = document.querySelector<HTMLIFrameElement>("#heat-stage iframe");
        const ctx = document.querySelector<HTMLCanvasElement>("#heat-canvas")?.getContext("2d");
        if (!iframe || !ctx) return null;
        let at = typeof target === "string" ? null : target;
        if (typeof target === "string") {
          const box = iframe.contentDocument?.querySelector(target)?.getBoundingClientRect();
          if (box) at = { x: box.left + fx * box.width, y: box.top + fy * box.height };
        }
        return at ? (ctx.getImageData(Math.round(at.x), Math.round(at.y), 1, 1).data[3] ?? 0) : null;
      },
      [target, ...elementCellCentre(SEEDED_CELL)] as const,
    );
    if (alpha === null) throw new Error(`no heat stage or no ${JSON.stringify(target)} in the rebuilt page`);
    return alpha;
  }

  /** Clicks a toggle and waits for the page to draw it. */
  async function show(label: string, type: string) {
    const { page } = need();
    await page.locator("#heatmap-type").getByRole("button", { name: label, exact: true }).click();
    await expect.poll(() => page.getAttribute("#heat-host", "data-type")).toBe(type);
    expect(
      await page
        .locator("#heatmap-type")
        .getByRole("button", { name: label, exact: true })
        .getAttribute("aria-pressed"),
    ).toBe("true");
  }

  const elementRow = (selector: string) =>
    need().page.locator(`#heatmap-elements tr[data-selector="${selector}"]`).locator("td").allTextContents();

  it("sets up the owner and a site, and the Heatmaps page loads no heat code before it is opened", async () => {
    const { stack, page } = need();
    if (!stack.setupUrl) throw new Error("no setup link printed");
    await page.goto(stack.setupUrl);
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create owner account" }).click();
    await page.waitForURL(`${stack.apiUrl}/sites`);
    const site = await call<{ id: string }>("/v1/sites", {
      method: "POST",
      json: { name: "Heatmaps page", origins: [stack.demoUrl] },
    });
    siteId = site.id;
    expect(siteId).toMatch(/^site_/);
    await page.goto(`${stack.apiUrl}/sites/${siteId}`);
    await page.locator(".sidenav").getByRole("link", { name: "Heatmaps" }).waitFor();
    expect(await loadedScripts(page)).not.toContainEqual(expect.stringMatching(/\/assets\/layer\./));
  });

  // Swap this step for a real visitor (test/system/heatmaps.test.ts's capture step on the demo
  // home page with `?site=<key>`) and the assertions below stay as they are.
  it("seeds the heat counts, the pageviews and the page's snapshots", async () => {
    const { stack, browser, data } = need();
    await seedHeat(data.db, siteId);
    for (const device of ["desktop", "mobile"] as const) {
      const context = await browser.newContext({ viewport: VIEWPORTS[device] });
      const visitor = await context.newPage();
      // No site key of this test's site: the demo's own tracker sends nothing to it.
      await visitor.goto(`${stack.demoUrl}/`);
      await putObject(stack, snapshotKey(await snapshotPrefix(siteId, device, "/"), Date.now()), await take(visitor));
      await context.close();
    }
    const clicks = await call<{ items: { selector: string; count: number }[] }>(
      `/v1/sites/${siteId}/heatmaps?path=/&type=click`,
    );
    expect(clicks.items.map((i) => [i.selector, i.count])).toEqual([
      ["#cta", EXPECTED.cta.clicks],
      ["#page-title", EXPECTED.title.clicks],
    ]);
  });

  it("lists the most clicked elements with their rage and dead clicks, and draws the clicks on them", async () => {
    const { stack, page } = need();
    await page.locator(".sidenav").getByRole("link", { name: "Heatmaps" }).click();
    await page.waitForURL(`${stack.apiUrl}/sites/${siteId}/heatmaps`);
    await page.locator("#heat-stage iframe").waitFor();
    expect(await page.getByLabel("Page").inputValue()).toBe("/");
    expect(await page.getByLabel("Device").inputValue()).toBe("desktop");
    const { cta, title } = EXPECTED;
    await expect.poll(() => elementRow("#cta")).toEqual(["#cta", `${cta.clicks}`, `${cta.rage}`, `${cta.dead}`]);
    expect(await elementRow("#page-title")).toEqual([
      "#page-title",
      `${title.clicks}`,
      `${title.rage}`,
      `${title.dead}`,
    ]);
    // The rebuilt page is the demo page, scripts off.
    const frame = page.frameLocator("#heat-stage iframe");
    expect(await frame.locator("#cta").textContent()).toBe("Click me");
    expect(await page.getAttribute("#heat-stage iframe", "sandbox")).toBe("allow-same-origin");
    expect(await loadedScripts(page)).toContainEqual(expect.stringMatching(/\/assets\/layer\./));

    expect(await page.locator("#heatmap-summary").textContent()).toContain(`${cta.clicks + title.clicks + 1} clicks`);
    expect(await heatAt("#cta")).toBeGreaterThan(100);
    expect(await heatAt("#page-title")).toBeGreaterThan(0);
    expect(await heatAt(STRAY)).toBeGreaterThan(0);
    expect(await heatAt(REST)).toBe(0);
    expect(await page.locator("#heat-bands").isHidden()).toBe(true);
    await shot(page, "heatmaps-dashboard-clicks");
  });

  it("draws each kind on its own when its toggle is pressed", async () => {
    const { page } = need();
    await show("Rage clicks", "rage");
    expect(await page.locator("#heatmap-summary").textContent()).toMatch(/^1 rage click,/);
    expect(await heatAt("#cta")).toBeGreaterThan(0);
    expect(await heatAt("#page-title")).toBe(0);

    await show("Dead clicks", "dead");
    expect(await page.locator("#heatmap-summary").textContent()).toMatch(/^2 dead clicks,/);
    expect(await heatAt("#page-title")).toBeGreaterThan(100);
    expect(await heatAt("#cta")).toBe(0);
    await shot(page, "heatmaps-dashboard-dead");

    await show("Moves", "move");
    expect(await heatAt(REST)).toBeGreaterThan(100);
    expect(await heatAt("#cta")).toBe(0);
    await shot(page, "heatmaps-dashboard-moves");

    await show("Scroll", "scroll");
    expect(await page.locator("#heatmap-summary").textContent()).toMatch(
      new RegExp(`^${EXPECTED.pageviews} pageviews with a scroll depth,`),
    );
    expect(await page.locator("#heat-bands").isVisible()).toBe(true);
    const half = `${Math.round(EXPECTED.reachedHalf * 100)}% reached 50%`;
    expect(await page.locator('.heat-band[data-depth="0.5"]').textContent()).toBe(half);
    expect(await page.locator('.heat-band[data-depth="0"]').textContent()).toBe("100% reached 0%");
    expect(await page.locator('.heat-band[data-depth="0.3"]').textContent()).toBe("100% reached 30%");
    expect(await page.locator('.heat-band[data-depth="0.6"]').textContent()).toBe("25% reached 60%");
    // The band at the half sits at half the snapshot's height.
    const geometry = await page.evaluate(() => {
      const band = document.querySelector<HTMLElement>('.heat-band[data-depth="0.5"]');
      return { top: band?.offsetTop ?? 0, height: band?.parentElement?.parentElement?.offsetHeight ?? 0 };
    });
    expect(Math.abs(geometry.top - geometry.height / 2)).toBeLessThanOrEqual(1);
    expect(await heatAt("#cta")).toBe(0);
    await shot(page, "heatmaps-dashboard-scroll");

    await show("Clicks", "click");
    expect(await page.locator("#heat-bands").isHidden()).toBe(true);
    expect(await heatAt("#cta")).toBeGreaterThan(100);
  });

  it("keeps the clicks on the button in the phone-sized snapshot's own layout", async () => {
    const { page } = need();
    await page.getByLabel("Device").selectOption("mobile");
    await expect
      .poll(() => page.evaluate(() => document.querySelector<HTMLElement>("#heat-stage")?.style.width))
      .toBe(`${VIEWPORTS.mobile.width}px`);
    await page.locator("#heat-stage iframe").waitFor();
    await expect.poll(() => elementRow("#cta")).toEqual(["#cta", "3", "0", "0"]);
    await expect.poll(() => heatAt("#cta")).toBeGreaterThan(100);
    expect(await heatAt("#page-title")).toBe(0);
    await shot(page, "heatmaps-dashboard-mobile");
  });

  it("says when a page has no snapshot and still lists its elements", async () => {
    const { page } = need();
    await page.getByLabel("Device").selectOption("desktop");
    await page.locator("#heat-stage iframe").waitFor();
    await page.getByLabel("Page").selectOption("/pricing.html");
    await page.locator("#heatmap-no-snapshot").waitFor();
    expect(await page.locator("#heatmap-no-snapshot").textContent()).toContain("No snapshot of this page yet");
    expect(await elementRow("#trial-email")).toEqual(["#trial-email", "1", "0", "0"]);
    await shot(page, "heatmaps-dashboard-no-snapshot");

    // Tablet: nothing at all on this page yet.
    await page.getByLabel("Device").selectOption("tablet");
    await expect.poll(() => page.locator("#heatmap-elements td.empty").textContent()).toContain("No clicks");
    await page.locator("#heatmap-no-snapshot").waitFor();
  });

  it("ranks where visitors get frustrated, and each row opens that page's heatmap", async () => {
    const { stack, page } = need();
    await page.getByLabel("Device").selectOption("desktop");
    const rows = () =>
      page
        .locator("#frustration tbody tr")
        .evaluateAll((trs) => trs.map((tr) => Array.from(tr.children).map((td) => td.textContent)));
    const { cta, title } = EXPECTED;
    await expect.poll(rows).toEqual([
      ["/", "#page-title", `${title.rage}`, `${title.dead}`],
      ["/", "#cta", `${cta.rage}`, `${cta.dead}`],
    ]);
    // The button has more rage than dead clicks: its row opens the rage heatmap of its page.
    await page.locator('#frustration tr[data-selector="#cta"] a').click();
    await page.waitForURL(`${stack.apiUrl}/sites/${siteId}/heatmaps?path=%2F&device=desktop&type=rage`);
    await expect.poll(() => page.getAttribute("#heat-host", "data-type")).toBe("rage");
    expect(await page.locator("#heatmap-summary").textContent()).toMatch(/^1 rage click, last 30 days\./);
    await page.locator("#heat-stage iframe").waitFor();
    await expect.poll(() => heatAt("#cta")).toBeGreaterThan(0);
    await shot(page, "heatmaps-dashboard-frustration");
  });

  it("splits heatmaps by a flag's variants: ticked in the flag editor, picked under Visitors, kept in the address", async () => {
    const { stack, page, data } = need();
    const back = page.url();
    // The owner turns it on for a new on/off flag in the editor.
    await page.goto(`${stack.apiUrl}/sites/${siteId}/flags/_new`);
    await page.getByLabel("Key", { exact: true }).fill("new-checkout");
    expect(await page.getByLabel("Split heatmaps by variant").isEnabled()).toBe(true);
    await page.getByLabel("Split heatmaps by variant").check();
    await page.locator("#flag-save").click();
    await page.waitForURL(`${stack.apiUrl}/sites/${siteId}/flags/new-checkout`);
    expect(await page.getByLabel("Split heatmaps by variant").isChecked()).toBe(true);
    const saved = await call<{ heatmaps?: boolean }>(`/v1/sites/${siteId}/flags/new-checkout`);
    expect(saved.heatmaps).toBe(true);

    // Two more take the other places; a fourth flag's box is closed, with the reason.
    const onOff = { enabled: true, variants: { on: true, off: false }, defaultVariant: "off", offVariant: "off" };
    for (const key of ["hero", "pricing-copy"]) {
      await call(`/v1/sites/${siteId}/flags`, { method: "POST", json: { ...onOff, key, heatmaps: true } });
    }
    await call(`/v1/sites/${siteId}/flags`, { method: "POST", json: { ...onOff, key: "late" } });
    await page.goto(`${stack.apiUrl}/sites/${siteId}/flags/late`);
    const box = page.getByLabel("Split heatmaps by variant");
    await box.waitFor();
    expect(await box.isDisabled()).toBe(true);
    expect(await page.locator("#flag-heatmaps-hint").textContent()).toBe(
      "hero, new-checkout, pricing-copy split heatmaps already: at most 3 flags of a site do. Turn it off on one of them first.",
    );
    await shot(page, "heatmaps-dashboard-flag-full");

    // Heat of the visitors served each variant, as the aggregators flush it beside all visitors'.
    const variantHeat = (variant: string, clicks: number, rage: number): HeatDelta[] => [
      {
        day: today(),
        path: "/",
        device: "desktop",
        kind: "click",
        selector: "#cta",
        cell: SEEDED_CELL,
        count: clicks,
        variant,
      },
      ...(rage > 0
        ? [
            {
              day: today(),
              path: "/",
              device: "desktop" as const,
              kind: "rage" as const,
              selector: "#cta",
              cell: SEEDED_CELL,
              count: rage,
              variant,
            },
          ]
        : []),
    ];
    const flushed = await postgresStatsSink(data.db).apply({
      flushId: newId("flush"),
      siteId,
      shard: 0,
      rows: [],
      site: [],
      dimensions: [],
      heat: [...variantHeat("new-checkout=on", 2, 1), ...variantHeat("new-checkout=off", 3, 0)],
    });
    expect(flushed).toBe("applied");

    await page.goto(back);
    const visitors = page.getByLabel("Visitors", { exact: true });
    await visitors.waitFor();
    expect(await visitors.inputValue()).toBe("");
    await expect
      .poll(() => visitors.locator("option").allTextContents())
      .toEqual([
        "All visitors",
        "hero: on",
        "hero: off",
        "new-checkout: on",
        "new-checkout: off",
        "pricing-copy: on",
        "pricing-copy: off",
      ]);
    await visitors.selectOption({ label: "new-checkout: on" });
    await page.waitForURL(
      `${stack.apiUrl}/sites/${siteId}/heatmaps?path=%2F&device=desktop&type=rage&variant=new-checkout%3Don`,
    );
    await expect
      .poll(() => page.locator("#heatmap-summary").textContent())
      .toMatch(/^1 rage click of visitors served new-checkout: on, last 30 days\./);
    await expect.poll(() => elementRow("#cta")).toEqual(["#cta", "2", "1", "0"]);
    expect(await elementRow("#page-title")).toEqual([]);
    const frustration = () =>
      page
        .locator("#frustration tbody tr")
        .evaluateAll((trs) => trs.map((tr) => Array.from(tr.children).map((td) => td.textContent)));
    await expect.poll(frustration).toEqual([["/", "#cta", "1", "0"]]);
    await page.locator("#heat-stage iframe").waitFor();
    await expect.poll(() => heatAt("#cta")).toBeGreaterThan(0);
    await shot(page, "heatmaps-dashboard-variant");

    // The choice stays as the view changes, and survives a reload.
    await show("Clicks", "click");
    expect(page.url()).toContain("variant=new-checkout%3Don");
    expect(await page.locator("#heatmap-summary").textContent()).toMatch(
      /^2 clicks of visitors served new-checkout: on,/,
    );
    await visitors.selectOption({ label: "new-checkout: off" });
    await expect.poll(() => elementRow("#cta")).toEqual(["#cta", "3", "0", "0"]);
    await page.reload();
    await expect.poll(() => page.getByLabel("Visitors", { exact: true }).inputValue()).toBe("new-checkout=off");
    await expect.poll(() => elementRow("#cta")).toEqual(["#cta", "3", "0", "0"]);

    // All visitors again: the counts as before, and the address as the next step expects it.
    await show("Rage clicks", "rage");
    await page.getByLabel("Visitors", { exact: true }).selectOption({ label: "All visitors" });
    await page.waitForURL(back);
    await expect
      .poll(() => elementRow("#cta"))
      .toEqual(["#cta", `${EXPECTED.cta.clicks}`, `${EXPECTED.cta.rage}`, `${EXPECTED.cta.dead}`]);
  });

  it("shows the days picked (UTC), and refuses a range the API would", async () => {
    const { stack, page } = need();
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    // The ten days before today: the seeded heat (today) is outside them.
    await page.locator("#heatmap-from").fill(day(-10));
    await page.locator("#heatmap-to").fill(day(-1));
    await page.locator("#heatmap-range").getByRole("button", { name: "Apply" }).click();
    await page.waitForURL(
      `${stack.apiUrl}/sites/${siteId}/heatmaps?path=%2F&device=desktop&type=rage&from=${day(-10)}&to=${day(-1)}`,
    );
    await expect
      .poll(() => page.locator("#heatmap-summary").textContent())
      .toMatch(new RegExp(`^0 rage clicks, ${day(-10)} to ${day(-1)} \\(UTC\\)\\.`));
    await expect.poll(() => page.locator("#heatmap-elements td.empty").textContent()).toContain("No clicks");
    await expect
      .poll(() => page.locator("#frustration td.empty").textContent())
      .toBe("No rage or dead clicks in these days.");
    // Backwards: said, and nothing asked.
    await page.locator("#heatmap-from").fill(day(0));
    await page.locator("#heatmap-range").getByRole("button", { name: "Apply" }).click();
    expect(await page.locator("#heatmap-range-error").textContent()).toBe("The start date is after the end date.");
    expect(page.url()).toContain(`from=${day(-10)}`);
    // Through today: the seeded counts are back, and the range is kept as the view changes.
    await page.locator("#heatmap-to").fill(day(0));
    await page.locator("#heatmap-from").fill(day(-1));
    await page.locator("#heatmap-range").getByRole("button", { name: "Apply" }).click();
    await expect
      .poll(() => page.locator("#heatmap-summary").textContent())
      .toMatch(new RegExp(`^1 rage click, ${day(-1)} to ${day(0)} \\(UTC\\)\\.`));
    await show("Clicks", "click");
    expect(page.url()).toContain(`from=${day(-1)}&to=${day(0)}`);
    await expect
      .poll(() => elementRow("#cta"))
      .toEqual(["#cta", `${EXPECTED.cta.clicks}`, `${EXPECTED.cta.rage}`, "0"]);
    await shot(page, "heatmaps-dashboard-range");
    expect(problems).toEqual([]);
  });
});

/**
 * Heat as the aggregators flush it, today: the demo home page on desktop (the button clicked
 * 5 times near its middle with one rage click, the heading dead-clicked twice, a stray click,
 * three pointer rests, 4 scroll depths of which 2 reach the half) and on a phone (3 clicks on
 * the button); the pricing page with one click and no snapshot; pageviews for the page picker.
 */
async function seedHeat(db: ReturnType<typeof openDb>["db"], siteId: string): Promise<void> {
  const day = today();
  const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  const heat: HeatDelta[] = [];
  const add = (h: Partial<HeatDelta> & Pick<HeatDelta, "kind" | "cell" | "count">, device: HeatDevice = "desktop") =>
    heat.push({ day, path: "/", selector: "", device, ...h });
  const middle = SEEDED_CELL;
  add({ kind: "click", selector: "#cta", cell: middle, count: 3 });
  add({ kind: "click", selector: "#cta", cell: elementCell(0.3, 0.6), count: 2 });
  add({ kind: "rage", selector: "#cta", cell: middle, count: 1 });
  add({ kind: "click", selector: "#page-title", cell: middle, count: 2 });
  add({ kind: "dead", selector: "#page-title", cell: middle, count: 2 });
  const vw = VIEWPORTS.desktop.width;
  add({ kind: "click", cell: pageCell(STRAY.x, STRAY.y, vw), count: 1 });
  for (const dy of [-16, 0, 16]) add({ kind: "move", cell: pageCell(REST.x, REST.y + dy, vw), count: 2 });
  // Deepest points: 30%, 30%, 50%, 100%.
  add({ kind: "scroll", cell: 6, count: 2 });
  add({ kind: "scroll", cell: 10, count: 1 });
  add({ kind: "scroll", cell: 20, count: 1 });
  add({ kind: "click", selector: "#cta", cell: middle, count: 3 }, "mobile");
  add({ kind: "click", path: "/pricing.html", selector: "#trial-email", cell: middle, count: 1 });
  const result = await postgresStatsSink(db).apply({
    flushId: newId("flush"),
    siteId,
    shard: 0,
    rows: [
      { hour, path: "/", pageviews: EXPECTED.pageviews + 3, sessions: 5 },
      { hour, path: "/pricing.html", pageviews: 2, sessions: 2 },
    ],
    site: [{ hour, pageviews: EXPECTED.pageviews + 5, sessions: 5, visitors: 5 }],
    dimensions: [],
    heat,
  });
  expect(result).toBe("applied");
}

/** The page as the snapshot chunk takes it: rrweb-snapshot's DOM, the page's width and height. */
async function take(page: Page): Promise<string> {
  await page.addScriptTag({ path: SNAPSHOT_LIB });
  return page.evaluate(() => {
    const lib = (window as unknown as { rrwebSnapshot: { snapshot: (d: Document, o: object) => unknown } })
      .rrwebSnapshot;
    const node = lib.snapshot(document, { slimDOM: "all", inlineStylesheet: true, maskAllInputs: true });
    const root = document.documentElement;
    return JSON.stringify({ node, width: root.scrollWidth, height: root.scrollHeight });
  });
}

/** Gzips `text` into the local R2 (the ingest worker's, which the API reads through a link). */
async function putObject(stack: Stack, key: string, text: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "sightline-snapshot-"));
  try {
    const file = join(dir, "snapshot.json.gz");
    writeFileSync(file, gzipSync(text));
    await promisify(execFile)(
      NODE_BIN,
      [
        WRANGLER_JS,
        "r2",
        "object",
        "put",
        `sightline-recordings/${key}`,
        "--local",
        "--persist-to",
        join(stack.stateDir, "ingest"),
        "--config",
        INGEST_CONFIG,
        "--file",
        file,
        "--content-type",
        "application/json",
      ],
      { cwd: ROOT, env: childEnv() },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function loadedScripts(page: Page): Promise<string[]> {
  return page.evaluate(() => performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname));
}
