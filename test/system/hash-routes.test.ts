/**
 * Hash-routed single-page apps: real Chromium on the demo's todo app (demo/app.html), whose
 * filters change only the fragment (`#/`, `#/active`, `#/completed`) and which has a plain
 * anchor (`#footer`). With the site's hashRoutes on (the default) each route is a page of its
 * own in page_stats_hourly; on a site with hashRoutes off, the same clicks are one page load.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "../../scripts/lib/db.ts";
import { INGEST_CONFIG } from "../../scripts/lib/paths.ts";
import { type PgBridge, startPgBridge, targetFromConnectionString } from "../../scripts/lib/pg-bridge.ts";
import { ensureSite } from "../../scripts/lib/sites.ts";
import { launchChromium } from "./browser.ts";
import { descendants, type Stack, startStack, uniqueSiteKey } from "./stack.ts";

// Flushes run every ~2 s after the queue delivers (batch timeout 1 s); allow for slow machines.
const LAND_TIMEOUT_MS = 60_000;

type Row = { path: string; pageviews: number };

/**
 * The ingest worker's `--persist-to` directory, read from its command line: the stack keeps
 * its state directory to itself, and a second site's edge record has to go into that KV.
 */
function ingestStateDir(stack: Stack): string {
  for (const line of descendants(stack.pid)) {
    const pid = line.split(" ")[0];
    let args: string[];
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    const i = args.indexOf("--persist-to");
    const dir = i === -1 ? undefined : args[i + 1];
    if (args.includes("dev") && dir && basename(dir) === "ingest") return dir;
  }
  throw new Error("no `wrangler dev` of the ingest worker under the stack");
}

describe("hash routes: route changes in the fragment are pageviews", () => {
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  let db: ReturnType<typeof openDb> | undefined;
  let bridge: PgBridge | undefined;
  const offKey = uniqueSiteKey("hashoff");

  beforeAll(async () => {
    stack = await startStack("hash-routes");
    bridge = await startPgBridge({ port: 0, target: targetFromConnectionString(stack.databaseUrl) });
    db = openDb(stack.databaseUrl, bridge.port);
    // A second site, as the dashboard would make it with hash routes turned off.
    await ensureSite(
      db.db,
      {
        siteKey: offKey,
        name: "Demo site without hash routes",
        origins: [stack.demoUrl, `http://127.0.0.1:${stack.demoPort}`],
        hashRoutes: false,
      },
      { persistTo: ingestStateDir(stack), config: INGEST_CONFIG },
    );
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (db && stack) {
      // Leave the shared test database as we found it.
      for (const key of [stack.siteKey, offKey]) {
        const site = sql`(select id from sites where key = ${key})`;
        for (const table of ["page_stats_hourly", "site_stats_hourly", "dimension_stats_hourly", "flush_log"]) {
          await db.db.execute(sql`delete from ${sql.identifier(table)} where site_id = ${site}`);
        }
        await db.db.execute(sql`delete from sites where key = ${key}`);
      }
    }
    await db?.close();
    await bridge?.close();
  });

  async function statsFor(siteKey: string): Promise<Row[]> {
    if (!db) throw new Error("no database");
    const result = await db.db.execute(sql`
      select s.path, sum(s.pageviews)::int as pageviews
      from page_stats_hourly s join sites on sites.id = s.site_id
      where sites.key = ${siteKey}
      group by s.path`);
    return (result.rows as Row[]).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Waits until the rows hold `expected`'s paths, then one flush period more, so a double count would land too. */
  async function settledStats(siteKey: string, expected: Row[]): Promise<Row[]> {
    const deadline = Date.now() + LAND_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const rows = await statsFor(siteKey);
      if (expected.every((e) => rows.some((r) => r.path === e.path))) break;
      await sleep(1_000);
    }
    await sleep(5_000);
    return statsFor(siteKey);
  }

  const atHash = (page: Page, hash: string) =>
    page.waitForFunction((h) => location.hash === h, hash, { timeout: 10_000 });

  /**
   * Lands on the app, clicks the three filters and the plain anchor, then goes back twice:
   * from the anchor to the route it was on (no new page), then to the route before it.
   */
  async function browse(query: string): Promise<string[]> {
    if (!stack || !browser) throw new Error("stack not started");
    // Headless Chromium says so in its User-Agent, and bots count only in the device breakdown:
    // a person's browser, the same one without "Headless".
    const userAgent = `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${browser.version()} Safari/537.36`;
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, userAgent });
    const page = await context.newPage();
    const failed: string[] = [];
    page.on("requestfailed", (r) => failed.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
    page.on("pageerror", (err) => failed.push(`page error: ${err.message}`));
    page.on("response", (r) => {
      if (r.url().includes(`:${stack?.ingestPort}/`) && r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });

    await page.goto(`${stack.demoUrl}/app.html${query}`);
    await page.waitForFunction(() => "sightline" in window, undefined, { timeout: 15_000 });
    for (const [link, hash, title] of [
      ["#to-all", "#/", "All"],
      ["#to-active", "#/active", "Active"],
      ["#to-completed", "#/completed", "Completed"],
    ] as const) {
      await page.click(link);
      await atHash(page, hash);
      expect(await page.textContent("#view-title")).toBe(title);
    }
    await page.click("#to-footer");
    await atHash(page, "#footer");
    // The anchor leaves the route's view in place.
    expect(await page.textContent("#view-title")).toBe("Completed");
    await page.evaluate(() => history.back());
    await atHash(page, "#/completed");
    await page.evaluate(() => history.back());
    await atHash(page, "#/active");
    expect(await page.textContent("#view-title")).toBe("Active");

    // Closing the tab fires pagehide, which beacons whatever is still queued.
    await page.close();
    await context.close();
    return failed;
  }

  function lastErrors(): string {
    return (stack?.output() ?? "")
      .split("\n")
      .filter((l) => /error|failed/i.test(l))
      .slice(-5)
      .join("\n");
  }

  it("counts each route as its own page, once per visit, and the anchor not at all", async () => {
    if (!stack) throw new Error("stack not started");
    const failed = await browse("");
    expect(failed, "requests from the page that failed").toEqual([]);
    // The landing view, three filter clicks and one step back to another route: 5 pageviews.
    const expected: Row[] = [
      { path: "/app.html", pageviews: 1 },
      { path: "/app.html#/", pageviews: 1 },
      { path: "/app.html#/active", pageviews: 2 },
      { path: "/app.html#/completed", pageviews: 1 },
    ];
    const rows = await settledStats(stack.siteKey, expected);
    expect(rows, `page_stats_hourly for ${stack.siteKey}; last errors logged:\n${lastErrors()}`).toEqual(expected);
  });

  it("counts only the page load on a site with hashRoutes off", async () => {
    if (!stack) throw new Error("stack not started");
    const loader = await fetch(`http://127.0.0.1:${stack.ingestPort}/s/${offKey}.js`);
    expect(await loader.text()).toContain('"hashRoutes":false');
    const failed = await browse(`?site=${offKey}`);
    expect(failed, "requests from the page that failed").toEqual([]);
    const expected: Row[] = [{ path: "/app.html", pageviews: 1 }];
    const rows = await settledStats(offKey, expected);
    expect(rows, `page_stats_hourly for ${offKey}; last errors logged:\n${lastErrors()}`).toEqual(expected);
  });
});
