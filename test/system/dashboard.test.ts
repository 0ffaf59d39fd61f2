/**
 * The dashboard as its first user meets it: `scripts/start.ts` on a database of its own (so
 * no owner exists yet), real Chromium on the UI the API worker serves. Setup from the printed
 * link, logout, a wrong password, login, a site made in the dashboard, the demo pages browsed
 * with that site's snippet (`?site=<key>`), and the overview counting those pageviews. Saves
 * screenshots to test/system/artifacts/.
 */

import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { schema } from "@sightline/db";
import { LIMITS } from "@sightline/shared/limits";
import { sql } from "drizzle-orm";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "../../scripts/lib/db.ts";
import { launchChromium, watchProblems } from "./browser.ts";
import { ARTIFACTS, type ScratchDatabase, type Stack, scratchDatabase, startStack } from "./stack.ts";

const EMAIL = "owner@example.test";
const PASSWORD = "correct horse battery staple";
// Flushes run every ~2 s after the queue delivers; allow for a slow machine.
const COUNT_TIMEOUT_MS = 60_000;
const WIDE = { width: 1280, height: 860 };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NARROW = { width: 375, height: 812 };

/** What an error shown to a person must never look like. */
const RAW = /[{}]|"code"|requestId|\bat \S+ \(|Error:|stack/;

const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

describe("dashboard: setup, login, sites and the overview in a real browser", () => {
  // A database of this file's own: setup only happens where no owner exists.
  let scratch: ScratchDatabase | undefined;
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  const problems: string[] = [];
  let siteId = "";
  let siteKey = "";

  beforeAll(async () => {
    scratch = await scratchDatabase("sl_dash");
    stack = await startStack("dashboard", { databaseUrl: scratch.url });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: WIDE });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.apiUrl });
    page = await context.newPage();
    watchProblems(page, problems, stack.apiUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await scratch?.drop();
  });

  function need(): { stack: Stack; page: Page; context: BrowserContext } {
    if (!stack || !page || !context) throw new Error("stack not started");
    return { stack, page, context };
  }

  async function alertText(p: Page): Promise<string> {
    const alert = p.locator('[role="alert"]:visible').first();
    await alert.waitFor({ timeout: 15_000 });
    return ((await alert.textContent()) ?? "").trim();
  }

  async function noHorizontalScroll(p: Page): Promise<void> {
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `page wider than the ${p.viewportSize()?.width} px viewport`).toBeLessThanOrEqual(0);
  }

  it("prints a setup link, and the API worker serves the UI beside the API", async () => {
    const { stack } = need();
    expect(stack.setupUrl).toMatch(new RegExp(`^${stack.apiUrl}/setup#token=[A-Za-z0-9_-]{43}$`));

    // Any UI path gets the app shell; the API's own paths stay the API's.
    const shell = await fetch(`${stack.apiUrl}/sites/site_whatever/settings`, { headers: { Accept: "text/html" } });
    expect(shell.status).toBe(200);
    expect(shell.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
    const html = await shell.text();
    const asset = /\/assets\/app\.[A-Za-z0-9]+\.js/.exec(html)?.[0];
    expect(asset, html).toBeDefined();
    const js = await fetch(`${stack.apiUrl}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toMatch(/javascript/);
    expect(js.headers.get("cache-control")).toMatch(/immutable/);

    const me = await fetch(`${stack.apiUrl}/v1/me`);
    expect(me.status).toBe(401);
    expect(((await me.json()) as { error: { code: string } }).error.code).toBe("UNAUTHENTICATED");
    expect((await fetch(`${stack.apiUrl}/health`)).headers.get("content-type")).toMatch(/json/);

    // The demo pages take another site's key, and only a well-formed one.
    const demoPage = await (await fetch(`${stack.demoUrl}/pricing.html?site=other_site_key_1`)).text();
    expect(demoPage).toContain(`src="http://localhost:${stack.ingestPort}/s/other_site_key_1.js"`);
    expect(demoPage).toContain('href="/?site=other_site_key_1"');
    expect((await fetch(`${stack.demoUrl}/?site=%3Cscript%3E`)).status).toBe(400);
  });

  it("creates the owner from the setup link, logs out, refuses a wrong password in words, logs in", async () => {
    const { stack, page } = need();
    if (!stack.setupUrl) throw new Error("no setup link printed");
    const token = stack.setupUrl.split("#token=")[1];

    // Before setup, the dashboard sends a visitor to the setup page.
    await page.goto(`${stack.apiUrl}/`);
    await page.waitForURL(`${stack.apiUrl}/setup`);

    await page.goto(stack.setupUrl);
    await expect.poll(() => page.inputValue("#setup-token")).toBe(token);
    // The token leaves the address bar once read.
    expect(page.url()).toBe(`${stack.apiUrl}/setup`);
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill("too short");
    await page.getByRole("button", { name: "Create owner account" }).click();
    // The browser's own check stops a short password before it is sent.
    expect(await page.$eval("#setup-password", (el) => (el as HTMLInputElement).validity.valid)).toBe(false);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create owner account" }).click();
    await page.waitForURL(`${stack.apiUrl}/sites`);
    // Setup adopted the demo site the start script made before any account existed.
    await page.locator("#site-list").getByText("Demo site").waitFor();
    await expect.poll(() => page.locator(".topbar-account").textContent()).toBe(EMAIL);

    await page.click("#logout");
    await page.waitForURL(`${stack.apiUrl}/login`);
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill("not the password at all");
    await page.getByRole("button", { name: "Log in" }).click();
    const message = await alertText(page);
    expect(message.length).toBeGreaterThan(5);
    expect(message).not.toMatch(RAW);
    expect(await page.locator("body").textContent()).not.toMatch(/"error"|requestId/);
    await shot(page, "dashboard-login-1280");

    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(`${stack.apiUrl}/sites`);
  });

  it("adds a site for the demo origin and shows its snippet, key and settings", async () => {
    const { stack, page } = need();
    await page.getByLabel("Name").fill("Docs site");
    await page.getByLabel("Allowed origins").fill("not-an-origin");
    await page.getByRole("button", { name: "Add site" }).click();
    expect(await alertText(page)).toMatch(/start it with https:\/\//);
    // A well-formed origin past LIMITS.api.maxOriginLength: the form's own reader takes it, the
    // API's schema (which the form runs before sending) does not, and nothing is sent.
    const long = `https://${"a".repeat(60).concat(".").repeat(5)}example`;
    const sent: string[] = [];
    const watch = (r: { method(): string; url(): string }) => {
      if (r.method() === "POST" && r.url().endsWith("/v1/sites")) sent.push(r.url());
    };
    page.on("request", watch);
    await page.getByLabel("Allowed origins").fill(long);
    await page.getByRole("button", { name: "Add site" }).click();
    await expect
      .poll(() => alertText(page))
      .toBe(`Allowed origins (entry 1): at most ${LIMITS.api.maxOriginLength} characters.`);
    page.off("request", watch);
    expect(sent).toEqual([]);

    await page.getByLabel("Allowed origins").fill(stack.demoUrl);
    await page.getByRole("button", { name: "Add site" }).click();
    await page.waitForURL(/\/sites\/[^/]+\/settings$/);
    siteId = decodeURIComponent(new URL(page.url()).pathname.split("/")[2] ?? "");
    siteKey = ((await page.locator('[data-testid="site-key"]').textContent()) ?? "").trim();
    expect(siteKey).toMatch(/^[A-Za-z0-9_-]{8,}$/);
    const snippet = await page.locator("#snippet").textContent();
    expect(snippet).toBe(`<script async src="http://localhost:${stack.ingestPort}/s/${siteKey}.js"></script>`);

    await page.click("#copy-snippet");
    await page.getByText("Copied").waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(snippet);

    // Settings round-trip through the API.
    await page.getByLabel("Daily event quota").fill("50000");
    await page.getByLabel("Retention (days)").fill("90");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByText("Changes saved.").waitFor();
    await page.reload();
    await expect.poll(() => page.inputValue("#settings-quota")).toBe("50000");
    expect(await page.inputValue("#settings-retention")).toBe("90");
    expect(await page.inputValue("#settings-origins")).toBe(stack.demoUrl);
    await shot(page, "dashboard-settings-1280");

    await page.getByRole("link", { name: "Sites", exact: true }).click();
    await page.waitForURL(`${stack.apiUrl}/sites`);
    await page.locator("#site-list").getByText("Docs site").waitFor();
    await page.locator("#site-list").getByText("Demo site").waitFor();
    await shot(page, "dashboard-sites-1280");
  });

  it("counts the demo pages browsed with the new site's snippet in the overview", async () => {
    const { stack, page, context } = need();
    await page.getByRole("link", { name: "Docs site", exact: true }).click();
    await page.waitForURL(`${stack.apiUrl}/sites/${siteId}`);
    await page.locator(".chart-empty").waitFor();
    expect(await page.locator('[data-testid="total-pageviews"]').textContent()).toBe("0");
    expect(await page.locator(".sidenav").getByRole("link", { name: "Flags" }).count()).toBe(1);
    expect(await page.locator(".sidenav").getByRole("link", { name: "Recordings" }).count()).toBe(1);
    expect(await page.locator(".sidenav").getByRole("link", { name: "Heatmaps" }).count()).toBe(1);

    const demo = await context.newPage();
    const failed: string[] = [];
    demo.on("response", (r) => {
      if (r.url().includes(`:${stack.ingestPort}/`) && r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    const tracker = () => demo.waitForFunction(() => "sightline" in window, undefined, { timeout: 15_000 });
    await demo.goto(`${stack.demoUrl}/?site=${siteKey}`);
    await tracker();
    await demo.click("#to-pricing");
    await demo.waitForURL(`${stack.demoUrl}/pricing.html?site=${siteKey}`);
    await tracker();
    await demo.click("#open-settings");
    await demo.waitForURL(`${stack.demoUrl}/app/settings?site=${siteKey}`);
    await expect.poll(() => demo.textContent("#page-title")).toBe("Settings");
    // Closing the tab fires pagehide, which beacons whatever is still queued.
    await demo.close();
    expect(failed, "tracker requests refused").toEqual([]);

    const total = page.locator('[data-testid="total-pageviews"]');
    const deadline = Date.now() + COUNT_TIMEOUT_MS;
    let seen = "0";
    while (Date.now() < deadline) {
      await page.click("#refresh");
      await page.waitForSelector("#refresh:not([disabled])");
      seen = (await total.textContent()) ?? "";
      if (seen === "3") break;
      await sleep(1_500);
    }
    expect(seen, `pageviews on the overview; last errors:\n${lastErrors(stack)}`).toBe("3");
    expect(Number(await page.locator('[data-testid="total-sessions"]').textContent())).toBeGreaterThanOrEqual(1);
    // One browser from one address: one visitor a UTC day (two, should the visit span midnight).
    expect(Number(await page.locator('[data-testid="total-visitors"]').textContent())).toBeOneOf([1, 2]);
    const pages = page.locator("#table-pages tbody");
    for (const path of ["/", "/pricing.html", "/app/settings"]) {
      await pages.locator("td.label", { hasText: new RegExp(`^${path.replace(".", "\\.")}$`) }).waitFor();
    }
    await page.locator(".chart canvas").first().waitFor();

    await page.getByRole("button", { name: "Last 24 hours" }).click();
    await page.waitForURL(`${stack.apiUrl}/sites/${siteId}?range=24h`);
    await page.waitForSelector("#refresh:not([disabled])");
    await expect
      .poll(() => page.getByRole("button", { name: "Last 24 hours" }).getAttribute("aria-pressed"))
      .toBe("true");
    await expect.poll(() => total.textContent(), { timeout: 15_000 }).toBe("3");
    await shot(page, "dashboard-overview-1280");
    await noHorizontalScroll(page);
  });

  it("fits a 375 px screen and stays keyboard reachable", async () => {
    const { page } = need();
    await page.setViewportSize(NARROW);
    await page.reload();
    await expect
      .poll(() => page.locator('[data-testid="total-pageviews"]').textContent(), { timeout: 15_000 })
      .toBe("3");
    await page.locator(".chart canvas").first().waitFor();
    await noHorizontalScroll(page);
    await shot(page, "dashboard-overview-375");

    await page.getByRole("link", { name: "Settings", exact: true }).click();
    await page.locator("#snippet").waitFor();
    await noHorizontalScroll(page);
    await page.setViewportSize(WIDE);
    await page.reload();
    await page.locator("#snippet").waitFor();

    // The first Tab lands on the skip link, which moves focus into the main region.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("main");
    // Every control has a name a screen reader can read.
    const unlabelled = await page.evaluate(() =>
      Array.from(document.querySelectorAll("input, textarea, select"))
        .filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute("aria-label"))
        .map((el) => el.outerHTML),
    );
    expect(unlabelled).toEqual([]);
  });

  it("counts days in the site's time zone: presets, a picked range, visitors, campaigns and quota days", async () => {
    const { stack, page } = need();
    if (!scratch) throw new Error("no scratch database");

    // The site's time zone and hash routes, saved through the settings form.
    await page.goto(`${stack.apiUrl}/sites/${siteId}/settings`);
    await page.getByLabel("Time zone").selectOption("Asia/Tokyo");
    const hashRoutes = page.getByLabel("Count hash routes (#/…) as pages");
    expect(await hashRoutes.isChecked()).toBe(true);
    await hashRoutes.uncheck();
    const heatmaps = page.getByLabel("Collect heatmaps");
    expect(await heatmaps.isChecked()).toBe(true);
    await heatmaps.uncheck();
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByText("Changes saved.").waitFor();
    await page.reload();
    await expect.poll(() => page.inputValue("#settings-time-zone")).toBe("Asia/Tokyo");
    expect(await page.isChecked("#settings-hash-routes")).toBe(false);
    expect(await page.isChecked("#settings-heatmaps")).toBe(false);

    // Rows about ten days back, placed by Tokyo's clock (UTC+9, no daylight saving).
    const TOKYO = 9 * HOUR;
    const tokyoDay = (t: number) => new Date(t + TOKYO).toISOString().slice(0, 10);
    const utcDay = (t: number) => new Date(t).toISOString().slice(0, 10);
    const d1 = tokyoDay(Date.now() - 10 * DAY);
    const start = Date.parse(`${d1}T00:00:00Z`) - TOKYO;
    const d2 = tokyoDay(start + 36 * HOUR);
    const at = (t: number) => new Date(t);
    const data = openDb(scratch.url, scratch.bridgePort);
    try {
      await data.db.insert(schema.siteStatsHourly).values([
        // 23:00 in Tokyo the evening before d1, and 00:00 the day after d2: both outside.
        { siteId, hour: at(start - HOUR), pageviews: 100, sessions: 50, visitors: 40 },
        { siteId, hour: at(start + 48 * HOUR), pageviews: 1000, sessions: 500, visitors: 400 },
        // 00:00 on d1 in Tokyo, which is 15:00 UTC on the day before; and noon on d2.
        { siteId, hour: at(start), pageviews: 7, sessions: 3, visitors: 2 },
        { siteId, hour: at(start + 36 * HOUR), pageviews: 5, sessions: 2, visitors: 2 },
      ]);
      const campaign = (dimension: "utm_source" | "utm_medium" | "utm_campaign", value: string, hour: number) => ({
        siteId,
        hour: at(hour),
        dimension,
        value,
        pageviews: 5,
        sessions: 2,
      });
      await data.db
        .insert(schema.dimensionStatsHourly)
        .values([
          campaign("utm_source", "newsletter", start + 36 * HOUR),
          campaign("utm_medium", "email", start + 36 * HOUR),
          campaign("utm_campaign", "spring-launch", start + 36 * HOUR),
          campaign("utm_source", "outside-the-range", start - HOUR),
          { ...campaign("utm_source", "", start + 36 * HOUR), dimension: "flag", value: "new-checkout=b" },
        ]);
      await data.db.insert(schema.quotaDays).values([
        { siteId, day: utcDay(start), reachedAt: at(start + 2 * HOUR) },
        { siteId, day: utcDay(start + 36 * HOUR), reachedAt: at(start + 40 * HOUR) },
        { siteId, day: utcDay(start - 5 * DAY), reachedAt: at(start - 5 * DAY) },
      ]);
    } finally {
      await data.close();
    }

    await page.goto(`${stack.apiUrl}/sites/${siteId}`);
    await page.locator(".overview:not([aria-busy])").waitFor();
    const total = (name: string) => page.locator(`[data-testid="total-${name}"]`).textContent();

    // "Today" is Tokyo's today: from its midnight, 24 hours, counted as Postgres has it.
    const clicked = Date.now();
    const request = page.waitForRequest(
      (r) => r.url().includes("/stats/timeseries") && r.url().includes("interval=hour"),
    );
    await page.getByRole("button", { name: "Today", exact: true }).click();
    const asked = new URL((await request).url()).searchParams;
    const from = Date.parse(asked.get("from") ?? "");
    const to = Date.parse(asked.get("to") ?? "");
    expect((from + TOKYO) % DAY, `from ${asked.get("from")} is a Tokyo midnight`).toBe(0);
    expect(to - from).toBe(DAY);
    expect(from).toBeLessThanOrEqual(Date.now());
    expect(to).toBeGreaterThan(clicked);
    await page.waitForURL(`${stack.apiUrl}/sites/${siteId}?range=today`);
    const inPostgres = openDb(scratch.url, scratch.bridgePort);
    let today = "";
    try {
      const [row] = await inPostgres.db
        .select({ n: sql<number>`coalesce(sum(${schema.siteStatsHourly.pageviews}), 0)::int` })
        .from(schema.siteStatsHourly)
        .where(
          sql`${schema.siteStatsHourly.siteId} = ${siteId} and ${schema.siteStatsHourly.hour} >= ${new Date(from)} and ${schema.siteStatsHourly.hour} < ${new Date(to)}`,
        );
      today = String(row?.n ?? "none");
    } finally {
      await inPostgres.close();
    }
    await expect.poll(() => total("pageviews"), { timeout: 15_000 }).toBe(today);

    // Two days picked by hand: Tokyo's days, so the 15:00 UTC row counts and the rows just
    // outside do not.
    await page.fill("#range-from", d1);
    await page.fill("#range-to", d2);
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL(`${stack.apiUrl}/sites/${siteId}?from=${d1}&to=${d2}`);
    const picked = async () => {
      await expect.poll(() => total("pageviews"), { timeout: 15_000 }).toBe("12");
      expect(await total("sessions")).toBe("5");
      expect(await total("visitors")).toBe("4");
      expect(await page.locator('.segment[data-range][aria-pressed="true"]').count()).toBe(0);
      expect([await page.inputValue("#range-from"), await page.inputValue("#range-to")]).toEqual([d1, d2]);
      const quota = page.locator("#quota-notice");
      await quota.waitFor();
      expect(await quota.getAttribute("data-days")).toBe(`${utcDay(start)} ${utcDay(start + 36 * HOUR)}`);
      expect(await quota.textContent()).toMatch(
        /^Daily event quota reached on .+ — events past it were not counted\.$/,
      );
      const campaigns = page.locator("#table-campaigns");
      await campaigns.locator("td.label", { hasText: /^newsletter$/ }).waitFor();
      expect(await campaigns.locator("td.label").allTextContents()).toEqual(["newsletter"]);
      expect(await campaigns.locator("th").first().textContent()).toBe("Source");
      // Pageviews per variant of a flag, in the same range.
      const variants = page.locator("#table-flag-variants");
      await variants.locator("td.label", { hasText: /^new-checkout: b$/ }).waitFor();
      expect(await variants.locator("tbody tr td").allTextContents()).toEqual(["new-checkout: b", "5", "2"]);
    };
    await picked();
    await shot(page, "dashboard-overview-range-1280");

    const campaigns = page.locator("#table-campaigns");
    await campaigns.getByRole("button", { name: "Medium" }).click();
    await campaigns.locator("td.label", { hasText: /^email$/ }).waitFor();
    expect(await campaigns.locator("th").first().textContent()).toBe("Medium");
    await campaigns.getByRole("button", { name: "Campaign" }).click();
    await campaigns.locator("td.label", { hasText: /^spring-launch$/ }).waitFor();
    expect(await campaigns.locator("tbody tr").count()).toBe(1);

    // The picked range is in the address, so it survives a reload.
    await page.reload();
    await picked();

    // The days before it have no quota notice and no campaigns.
    const before = tokyoDay(start - 3 * DAY);
    await page.fill("#range-from", before);
    await page.fill("#range-to", before);
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL(`${stack.apiUrl}/sites/${siteId}?from=${before}&to=${before}`);
    await expect.poll(() => total("pageviews"), { timeout: 15_000 }).toBe("0");
    await page.locator("#quota-notice").waitFor({ state: "hidden" });
    await campaigns.getByText("No visits tagged with utm_source in this range.").waitFor();
    // No flag variants served in those days: the card is not shown.
    await page.locator("#table-flag-variants").waitFor({ state: "hidden" });

    // A range the other way round is refused in words, and nothing changes.
    await page.fill("#range-from", d2);
    await page.fill("#range-to", d1);
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => page.locator("#range-error").textContent()).toBe("The start date is after the end date.");
    expect(page.url()).toBe(`${stack.apiUrl}/sites/${siteId}?from=${before}&to=${before}`);
    await page.getByRole("button", { name: "Last 7 days" }).click();
    await page.waitForURL(`${stack.apiUrl}/sites/${siteId}`);
    await page.locator("#range-error").waitFor({ state: "hidden" });
    await noHorizontalScroll(page);

    // The hash-routes setting reached the edge: the loader hands it to the tracker (once the
    // ingest isolate's 30 s site cache has turned over).
    const deadline = Date.now() + 60_000;
    let loader = "";
    while (Date.now() < deadline) {
      loader = await (
        await fetch(`http://localhost:${stack.ingestPort}/s/${siteKey}.js`, { cache: "no-store" })
      ).text();
      if (loader.includes('"hashRoutes":false')) break;
      await sleep(2_000);
    }
    expect(loader).toContain('"hashRoutes":false');
    // And heatmaps off: the tracker is told to send no clicks or scroll depth.
    expect(loader).toContain('"heatmaps":false');
  });

  it("deletes a site after confirmation, and a lost session leads to login and back", async () => {
    const { stack, page, context } = need();
    await page.goto(`${stack.apiUrl}/sites`);
    await page.getByLabel("Name").fill("Throwaway");
    await page.getByLabel("Allowed origins").fill("https://throwaway.example");
    await page.getByRole("button", { name: "Add site" }).click();
    await page.waitForURL(/\/settings$/);
    await page.click("#delete-site");
    const confirm = page.getByRole("button", { name: "Delete permanently" });
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByLabel("Type “Throwaway” to confirm").fill("Throwaway");
    await confirm.click();
    await page.waitForURL(`${stack.apiUrl}/sites`);
    await page.getByText("Throwaway was deleted.").waitFor();
    expect(await page.locator("#site-list").getByText("Throwaway").count()).toBe(0);

    // The session cookie disappears: the next API call answers 401 and the UI asks to log in.
    await page.goto(`${stack.apiUrl}/sites/${siteId}`);
    await page.locator('[data-testid="total-pageviews"]', { hasText: "3" }).waitFor();
    await context.clearCookies();
    await page.click("#refresh");
    await page.waitForURL(`${stack.apiUrl}/login?next=${encodeURIComponent(`/sites/${siteId}`)}`);
    await page.getByText("Your session ended").waitFor();
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(`${stack.apiUrl}/sites/${siteId}`);

    expect(problems, "errors in the page, the console or 5xx answers").toEqual([]);
  });

  it("once an owner exists, a restart prints the dashboard address and no setup link", async () => {
    const first = need().stack;
    expect(await first.stop()).toBe(143);
    stack = undefined;
    if (!scratch) throw new Error("no scratch database");
    stack = await startStack("dashboard-restart", { databaseUrl: scratch.url });
    expect(stack.setupUrl).toBeNull();
    expect(stack.output()).toContain(`dashboard ${stack.apiUrl}/`);
    expect(stack.output()).not.toContain("#token=");
    const setup = await fetch(`${stack.apiUrl}/v1/setup`);
    expect(await setup.json()).toEqual({ needed: false });
  });
});

function lastErrors(stack: Stack): string {
  return stack
    .output()
    .split("\n")
    .filter((l) => /error|failed/i.test(l))
    .slice(-8)
    .join("\n");
}
