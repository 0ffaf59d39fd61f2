/**
 * The operator's Pipeline panel on the real stack, in real Chromium: the demo site listed as OK
 * with the database up; events browsed on the demo pages showing up as pageviews waiting or a
 * fresh flush; a flush that cannot land (a stats table renamed away) shown as Failing with its
 * failed attempts and next try, then recovering; and a dead letter parked in the ingest
 * worker's local R2 replayed by the button and counted. Screenshots at 1280 and 375 px go to
 * test/system/artifacts/.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { uuidv7 } from "@sightline/shared/ids";
import { sql } from "drizzle-orm";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "../../scripts/lib/db.ts";
import { childEnv, INGEST_CONFIG, NODE_BIN, ROOT, WRANGLER_JS } from "../../scripts/lib/paths.ts";
import { launchChromium, watchProblems } from "./browser.ts";
import { ARTIFACTS, type ScratchDatabase, type Stack, scratchDatabase, startStack } from "./stack.ts";

const EMAIL = "operator@example.test";
const PASSWORD = "correct horse battery staple";
const WIDE = { width: 1280, height: 860 };
const NARROW = { width: 375, height: 812 };
// Flushes run every ~2 s; a failing one retries after 4, 8, 16 then 30 s (LIMITS.aggregate).
const FLUSH_TIMEOUT_MS = 75_000;

const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

describe("pipeline panel: flushes, failures and dead letters as the operator sees them", () => {
  let scratch: ScratchDatabase | undefined;
  let data: ReturnType<typeof openDb> | undefined;
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let renamed = false;
  let siteId = "";
  const problems: string[] = [];
  const started = Date.now();

  beforeAll(async () => {
    scratch = await scratchDatabase("sl_pipe");
    stack = await startStack("pipeline", { databaseUrl: scratch.url });
    data = openDb(scratch.url, scratch.bridgePort);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: WIDE });
    page = await context.newPage();
    watchProblems(page, problems, stack.apiUrl);
  });

  afterAll(async () => {
    if (renamed) await data?.db.execute(sql.raw("alter table site_stats_hourly_off rename to site_stats_hourly"));
    await browser?.close();
    await stack?.stop();
    await data?.close();
    await scratch?.drop();
  });

  function need(): { stack: Stack; page: Page } {
    if (!stack || !page) throw new Error("stack not started");
    return { stack, page };
  }

  const demoCard = (p: Page): Locator => p.locator("#pipeline-sites > li", { hasText: "Demo site" });

  async function refresh(p: Page): Promise<void> {
    await p.click("#refresh");
    await p.waitForSelector("#refresh:not([disabled])");
  }

  /** Refreshes the panel until `done` holds for the demo site's card. */
  async function until(p: Page, what: string, done: (card: Locator) => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + FLUSH_TIMEOUT_MS;
    while (Date.now() < deadline) {
      await refresh(p);
      if (await done(demoCard(p))) return;
      await sleep(1_500);
    }
    const text = await demoCard(p).textContent();
    throw new Error(`${what} not seen in ${FLUSH_TIMEOUT_MS / 1000} s; the card says:\n${text}`);
  }

  async function browseDemo(paths: string[]): Promise<void> {
    const { stack } = need();
    if (!browser) throw new Error("no browser");
    const context = await browser.newContext();
    const demo = await context.newPage();
    for (const path of paths) {
      await demo.goto(`${stack.demoUrl}${path}`);
      await demo.waitForFunction(() => "sightline" in window, undefined, { timeout: 15_000 });
    }
    // Closing the page fires pagehide, which beacons whatever is still queued.
    await context.close();
  }

  async function noHorizontalScroll(p: Page): Promise<void> {
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `page wider than the ${p.viewportSize()?.width} px viewport`).toBeLessThanOrEqual(0);
  }

  it("opens from the navigation and lists the demo site as OK with the database up", async () => {
    const { stack, page } = need();
    if (!stack.setupUrl) throw new Error("no setup link printed");
    // Only the admin scope reads it: no session, no answer.
    expect((await fetch(`${stack.apiUrl}/v1/health/pipeline`)).status).toBe(401);

    await page.goto(stack.setupUrl);
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create owner account" }).click();
    await page.waitForURL(`${stack.apiUrl}/sites`);

    await page.getByRole("navigation", { name: "Product" }).getByRole("link", { name: "Pipeline" }).click();
    await page.waitForURL(`${stack.apiUrl}/pipeline`);
    expect(await page.title()).toBe("Pipeline · Sightline");
    expect(await page.getByRole("link", { name: "Pipeline" }).getAttribute("aria-current")).toBe("page");
    // Focus moves to the new view's heading, as after a page load, once the view has rendered
    // (it waits for its first read of the pipeline, slower on a busy machine).
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe("Pipeline");
    for (const name of ["Database", "Sites", "Dead letters"]) {
      await page.getByRole("heading", { level: 2, name }).waitFor();
    }

    const database = page.locator("#database-state");
    await expect.poll(() => database.getAttribute("data-state")).toBe("up");
    expect(await database.textContent()).toMatch(/Up.*The API reaches the database\./);

    const card = demoCard(page);
    await card.waitFor();
    siteId = (await card.getAttribute("data-site-id")) ?? "";
    expect(siteId).toMatch(/^site_/);
    expect(await card.getAttribute("data-status")).toBe("ok");
    // The state is in words, for screen readers too, not only in colour.
    expect(await card.locator('[data-testid="state"]').textContent()).toMatch(/OK$/);
    expect(await card.locator(".visually-hidden").textContent()).toBe("Status: ");
    expect(await card.locator('[data-testid="last-flush"]').textContent()).toBe("None since the aggregator started");
    expect(await card.locator('[data-testid="pending-pageviews"]').textContent()).toBe("0");
    expect(await card.locator('[data-testid="failures"]').count()).toBe(0);
    expect(await page.locator("#dead-letter-count").textContent()).toBe("No dead letters are parked.");
  });

  it("shows pageviews waiting or a fresh flush once events reach the ingest worker", async () => {
    const { page } = need();
    await browseDemo(["/", "/pricing.html"]);
    let pending = 0;
    await until(page, "pageviews waiting or a flush", async (card) => {
      pending = Number(await card.locator('[data-testid="pending-pageviews"]').textContent());
      return pending > 0 || (await card.locator('[data-testid="last-flush"] time').count()) > 0;
    });
    // Whichever was caught first, the flush lands and the card says when.
    await until(
      page,
      "a landed flush",
      async (card) => (await card.locator('[data-testid="last-flush"] time').count()) > 0,
    );
    const card = demoCard(page);
    const time = card.locator('[data-testid="last-flush"] time');
    const at = Date.parse((await time.getAttribute("datetime")) ?? "");
    expect(at).toBeGreaterThanOrEqual(started);
    expect(at).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(await time.textContent()).toMatch(/^(now|\d+ seconds? ago|1 minute ago)$/);
    // The absolute time is one hover away.
    expect(await time.getAttribute("title")).toBeTruthy();
    expect(await card.getAttribute("data-status")).toBe("ok");

    if (!data) throw new Error("no database");
    const landed = await data.db.execute(
      sql`select coalesce(sum(pageviews), 0)::int as n from site_stats_hourly where site_id = ${siteId}`,
    );
    expect(landed.rows[0]?.n).toBeGreaterThanOrEqual(1);
    await noHorizontalScroll(page);
    await shot(page, "pipeline-1280");
  });

  it("shows a flush that cannot land as Failing, with its failed attempts and next try, then recovers", async () => {
    const { page } = need();
    if (!data) throw new Error("no database");
    // The flush's transaction writes site_stats_hourly; without it every flush fails.
    await data.db.execute(sql.raw("alter table site_stats_hourly rename to site_stats_hourly_off"));
    renamed = true;
    await browseDemo(["/"]);

    await until(page, "Failing", async (card) => (await card.getAttribute("data-status")) === "failing");
    const card = demoCard(page);
    expect(await card.locator('[data-testid="state"]').textContent()).toMatch(/Failing$/);
    expect(await card.locator(".state-description").textContent()).toMatch(/Flushes to the database fail/);
    expect(Number(await card.locator('[data-testid="failures"]').textContent())).toBeGreaterThanOrEqual(1);
    expect(Number(await card.locator('[data-testid="pending-pageviews"]').textContent())).toBeGreaterThanOrEqual(1);
    const next = card.locator('[data-testid="next-try"] time');
    expect(Date.parse((await next.getAttribute("datetime")) ?? "")).toBeGreaterThan(started);
    expect(await next.textContent()).toMatch(/^(now|in \d+ seconds?|\d+ seconds? ago)$/);
    // Postgres itself is up: only the flush fails.
    expect(await page.locator("#database-state").getAttribute("data-state")).toBe("up");
    await shot(page, "pipeline-failing-1280");

    await page.setViewportSize(NARROW);
    await page.reload();
    await demoCard(page).waitFor();
    expect(await demoCard(page).getAttribute("data-status")).toBe("failing");
    await noHorizontalScroll(page);
    await shot(page, "pipeline-failing-375");
    await page.setViewportSize(WIDE);

    await data.db.execute(sql.raw("alter table site_stats_hourly_off rename to site_stats_hourly"));
    renamed = false;
    await until(
      page,
      "recovery",
      async (card) =>
        (await card.getAttribute("data-status")) === "ok" &&
        (await card.locator('[data-testid="pending-pageviews"]').textContent()) === "0",
    );
    expect(await demoCard(page).locator('[data-testid="failures"]').count()).toBe(0);
  });

  it("replays a parked dead letter with the button, says what it replayed, and the event is counted", async () => {
    const { stack, page } = need();
    if (!data) throw new Error("no database");
    const path = `/replayed-${Date.now().toString(36)}`;
    await park(stack, siteId, path);

    await refresh(page);
    const count = page.locator("#dead-letter-count");
    await expect.poll(() => count.getAttribute("data-objects")).toBe("1");
    expect(await count.textContent()).toMatch(/in 1 parked batch wait/);
    const result = page.locator("#replay-result");
    expect(await result.getAttribute("aria-live")).toBe("polite");
    expect(await result.getAttribute("role")).toBe("status");

    // By keyboard: the button is reachable and acts on Enter.
    const replay = page.getByRole("button", { name: "Replay dead letters" });
    await replay.focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => result.textContent(), { timeout: 15_000 }).toBe("Replayed 1 message from 1 parked batch.");
    expect(await result.getAttribute("data-replayed")).toBe("1");
    await expect.poll(() => count.textContent()).toBe("No dead letters are parked.");
    await shot(page, "pipeline-replayed-1280");

    // Nothing left: a second replay says so.
    await replay.click();
    await expect.poll(() => result.textContent(), { timeout: 15_000 }).toBe("Nothing was parked: 0 messages replayed.");

    // The replayed message went back on the ingest queue and its pageview landed.
    const deadline = Date.now() + FLUSH_TIMEOUT_MS;
    let n = 0;
    while (Date.now() < deadline) {
      const r = await data.db.execute(
        sql`select coalesce(sum(pageviews), 0)::int as n from page_stats_hourly where site_id = ${siteId} and path = ${path}`,
      );
      n = Number(r.rows[0]?.n ?? 0);
      if (n > 0) break;
      await sleep(1_500);
    }
    expect(n).toBe(1);

    await page.setViewportSize(NARROW);
    await page.reload();
    await demoCard(page).waitFor();
    await noHorizontalScroll(page);
    await shot(page, "pipeline-375");
    await page.setViewportSize(WIDE);
    expect(problems, "errors in the page, the console or 5xx answers").toEqual([]);
  });

  it("starts maintenance from the panel: the dashboard shows the maintenance page, tracking goes on, the page ends it", async () => {
    const { stack, page } = need();
    const before = problems.length;
    // Under /app/ the demo serves its home page, whose tracker counts this path.
    const path = `/app/during-maintenance-${Date.now().toString(36)}`;
    await page.goto(`${stack.apiUrl}/pipeline`);
    await expect.poll(() => page.locator("#maintenance-state").textContent()).toMatch(/^Off/);
    await page.getByLabel("Note on the maintenance page (optional)").fill("Upgrading the database");
    await page.getByRole("button", { name: "Start maintenance" }).click();
    await page.locator("#maintenance-page").waitFor();
    expect(await page.locator("#maintenance-message").textContent()).toBe("Upgrading the database");
    await shot(page, "maintenance-page-1280");

    const sites = await apiStatus(page, "/v1/sites");
    expect(sites).toEqual({ status: 503, code: "MAINTENANCE", retryAfter: "120" });
    expect(await health(stack.apiUrl)).toMatchObject({ on: true });
    expect(await health(`http://localhost:${stack.ingestPort}`)).toMatchObject({ on: true });

    // The demo site's tracker is accepted and its pageview lands while the API is closed.
    await browseDemo([path]);
    await expect.poll(() => pageviewsOf(path), { timeout: FLUSH_TIMEOUT_MS, interval: 1_500 }).toBe(1);

    await page.getByRole("button", { name: "End maintenance" }).click();
    await page.locator("#pipeline-sites").waitFor();
    expect(await apiStatus(page, "/v1/sites")).toMatchObject({ status: 200 });
    expect(await health(`http://localhost:${stack.ingestPort}`)).toMatchObject({ on: false });
    expect(problems.slice(before).filter((p) => !p.startsWith("503 "))).toEqual([]);
  });

  it("is flipped by `pnpm maintenance` when the dashboard cannot be used", async () => {
    const { stack, page } = need();
    const command = (...args: string[]) =>
      promisify(execFile)("pnpm", ["maintenance", ...args], {
        cwd: ROOT,
        env: childEnv({ SIGHTLINE_STATE_DIR: stack.stateDir }),
      }).then((r) => r.stdout.trim().split("\n").at(-1));
    expect(await command("on", "--message", "Back at noon")).toBe("Sightline: maintenance on");
    expect(await command("status")).toMatch(/^Sightline: maintenance on since .* \(command\)$/);
    // API isolates read the switch at most every LIMITS.api.maintenanceCacheMs.
    await expect.poll(async () => (await apiStatus(page, "/v1/sites")).status, { timeout: 15_000 }).toBe(503);
    await page.reload();
    await page.locator("#maintenance-page").waitFor();
    expect(await page.locator("#maintenance-message").textContent()).toBe("Back at noon");

    expect(await command("off")).toBe("Sightline: maintenance off");
    await expect.poll(async () => (await apiStatus(page, "/v1/sites")).status, { timeout: 15_000 }).toBe(200);
    await page.getByRole("button", { name: "Try again" }).click();
    await page.locator("#pipeline-sites").waitFor();
  });

  it("puts one site in maintenance from its settings: its pages say so, others answer, its page ends it", async () => {
    const { stack, page } = need();
    await page.goto(`${stack.apiUrl}/sites/${siteId}/settings`);
    await expect.poll(() => page.locator("#maintenance-state").textContent()).toMatch(/^Off: this site/);
    await page.getByLabel("Note on the maintenance page (optional)").fill("Moving this site's data");
    await page.getByRole("button", { name: "Start maintenance" }).click();
    await page.locator("#maintenance-page").waitFor();
    expect(await page.locator("#maintenance-page h1").textContent()).toBe("This site is under maintenance");
    expect(await page.locator("#maintenance-message").textContent()).toBe("Moving this site's data");
    await shot(page, "maintenance-site-1280");
    expect(await apiStatus(page, `/v1/sites/${siteId}`)).toEqual({
      status: 503,
      code: "MAINTENANCE",
      retryAfter: "120",
    });
    expect(await apiStatus(page, "/v1/sites")).toMatchObject({ status: 200 });

    await page.getByRole("button", { name: "End maintenance" }).click();
    await page.locator("#site-settings").waitFor();
    expect(await apiStatus(page, `/v1/sites/${siteId}`)).toMatchObject({ status: 200 });
  });

  async function pageviewsOf(path: string): Promise<number> {
    if (!data) throw new Error("no database");
    const r = await data.db.execute(
      sql`select coalesce(sum(pageviews), 0)::int as n from page_stats_hourly where site_id = ${siteId} and path = ${path}`,
    );
    return Number(r.rows[0]?.n ?? 0);
  }
});

/** What the API answers the signed-in page for a path: status, error code, Retry-After. */
async function apiStatus(page: Page, path: string) {
  return page.evaluate(async (path) => {
    const res = await fetch(path);
    const body = (await res.json().catch(() => null)) as { error?: { code: string } } | null;
    return {
      status: res.status,
      ...(body?.error ? { code: body.error.code } : {}),
      ...(res.headers.get("retry-after") ? { retryAfter: res.headers.get("retry-after") } : {}),
    };
  }, path);
}

async function health(base: string): Promise<{ on: boolean }> {
  return ((await (await fetch(`${base}/health`)).json()) as { maintenance: { on: boolean } }).maintenance;
}

/**
 * Parks one dead letter as the DLQ consumer would (queue/dead-letters.ts): one batch object in
 * the ingest worker's local R2, written with wrangler into the state `wrangler dev` reads.
 * wrangler cannot set custom metadata, so the panel counts the batch but not its messages.
 */
async function park(stack: Stack, siteId: string, path: string): Promise<void> {
  const now = Date.now();
  const message = {
    v: 1,
    siteId,
    shards: 1,
    sessionId: randomUUID(),
    receivedAt: now,
    device: "desktop",
    events: [{ id: uuidv7(), ts: now, path }],
  };
  const batch = {
    queue: "sightline-ingest-dlq",
    parkedAt: now,
    messages: [{ id: "dlq-test-1", timestamp: now, attempts: 6, body: message }],
  };
  const dir = mkdtempSync(join(tmpdir(), "sightline-dlq-"));
  try {
    const file = join(dir, "batch.json");
    writeFileSync(file, JSON.stringify(batch));
    await promisify(execFile)(
      NODE_BIN,
      [
        WRANGLER_JS,
        "r2",
        "object",
        "put",
        `sightline-dead-letters/ingest/${new Date(now).toISOString()}-dlq-test-1.json`,
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
