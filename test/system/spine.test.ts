/**
 * The product's spine end to end: `scripts/start.ts` brings the stack up on real Postgres,
 * real Chromium browses the demo site (two page loads, then a client-side navigation) and
 * closes the tab, and the aggregated pageviews land in page_stats_hourly.
 */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "../../scripts/lib/db.ts";
import { type PgBridge, startPgBridge, targetFromConnectionString } from "../../scripts/lib/pg-bridge.ts";
import { launchChromium } from "./browser.ts";
import { ARTIFACTS, descendants, isAlive, type Stack, startStack } from "./stack.ts";

const PATHS = ["/", "/pricing.html", "/app/settings"];
// Flushes run every ~2 s after the queue delivers (batch timeout 1 s); allow for slow machines.
const LAND_TIMEOUT_MS = 60_000;

type Row = { path: string; pageviews: number; sessions: number };

describe("spine: browser -> ingest -> queue -> aggregator -> Postgres", () => {
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  let db: ReturnType<typeof openDb> | undefined;
  let bridge: PgBridge | undefined;
  let stackProcesses: string[] = [];

  beforeAll(async () => {
    stack = await startStack("spine");
    // A bridge of the test's own: reading the results must not depend on the stack under test,
    // which the last test stops.
    bridge = await startPgBridge({ port: 0, target: targetFromConnectionString(stack.databaseUrl) });
    db = openDb(stack.databaseUrl, bridge.port);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (db && stack) {
      // Leave the shared test database as we found it.
      const site = sql`(select id from sites where key = ${stack.siteKey})`;
      await db.db.execute(sql`delete from page_stats_hourly where site_id = ${site}`);
      await db.db.execute(sql`delete from flush_log where site_id = ${site}`);
      await db.db.execute(sql`delete from sites where key = ${stack.siteKey}`);
    }
    await db?.close();
    await bridge?.close();
  });

  async function statsFor(siteKey: string): Promise<Row[]> {
    if (!db) throw new Error("no database");
    const result = await db.db.execute(sql`
      select s.path, sum(s.pageviews)::int as pageviews, sum(s.sessions)::int as sessions
      from page_stats_hourly s join sites on sites.id = s.site_id
      where sites.key = ${siteKey}
      group by s.path`);
    return (result.rows as Row[]).sort((a, b) => a.path.localeCompare(b.path));
  }

  async function trackerLoaded(page: Page): Promise<void> {
    await page.waitForFunction(() => "sightline" in window, undefined, { timeout: 15_000 });
  }

  it("counts two page loads and a client-side navigation, once each", async () => {
    if (!stack || !browser) throw new Error("stack not started");
    const demo = `http://localhost:${stack.demoPort}`;
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    const page = await context.newPage();
    const failed: string[] = [];
    page.on("requestfailed", (r) => failed.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
    page.on("response", (r) => {
      if (r.url().includes(`:${stack?.ingestPort}/`) && r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });

    await page.goto(`${demo}/`);
    await trackerLoaded(page);

    await page.click("#to-pricing");
    await page.waitForURL(`${demo}/pricing.html`);
    await trackerLoaded(page);

    await page.click("#open-settings");
    await page.waitForURL(`${demo}/app/settings`);
    await expect.poll(() => page.textContent("#page-title")).toBe("Settings");
    await page.screenshot({ path: join(ARTIFACTS, "spine-settings.png"), fullPage: true });

    // Closing the tab fires pagehide, which beacons whatever is still queued.
    await page.close();
    await context.close();

    const deadline = Date.now() + LAND_TIMEOUT_MS;
    let rows: Row[] = [];
    while (Date.now() < deadline) {
      rows = await statsFor(stack.siteKey);
      if (PATHS.every((p) => rows.some((r) => r.path === p))) break;
      await sleep(1_000);
    }
    // One more flush period, so a double count would have landed too.
    await sleep(5_000);
    rows = await statsFor(stack.siteKey);

    expect(failed, "requests from the page that failed").toEqual([]);
    // On failure, say what the stack logged: a flush error explains most empty tables.
    const errors = stack
      .output()
      .split("\n")
      .filter((l) => /error|failed/i.test(l))
      .slice(-5)
      .join("\n");
    expect(rows, `page_stats_hourly for ${stack.siteKey}; last errors logged:\n${errors}`).toEqual([
      { path: "/", pageviews: 1, sessions: 1 },
      { path: "/app/settings", pageviews: 1, sessions: 1 },
      { path: "/pricing.html", pageviews: 1, sessions: 1 },
    ]);
  });

  it("stops everything it started on SIGTERM", async () => {
    if (!stack) throw new Error("stack not started");
    stackProcesses = descendants(stack.pid);
    expect(stackProcesses.some((p) => p.includes("workerd"))).toBe(true);
    const code = await stack.stop();
    expect(code).toBe(143);
    // Helpers such as tsx's esbuild service notice their parent is gone a moment later.
    const alive = () => stackProcesses.filter((p) => isAlive(Number(p.split(" ")[0])));
    await expect.poll(alive, { timeout: 10_000, interval: 250 }).toEqual([]);
  });
});
