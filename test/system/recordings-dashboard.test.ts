/**
 * The Recordings page and player in real Chromium on the local stack, for a site of the test's
 * own (sample rate 0, so the edge records nothing into it). The recording is real:
 * @rrweb/record (the recorder's own 2.1.6) runs on two demo pages while the test clicks and
 * types; its events go into the ingest worker's local R2, which the API reads, as two gzipped
 * parts under `recordingPrefix`, and the index row (with a decoy beside it) straight into Postgres, as the
 * edge would leave them. The owner finds it by a filter, opens it, plays it to the end at 8×
 * without a console error, and changes every recording setting of the site (opt-in consent
 * reaching the loader's config too). Screenshots go to
 * test/system/artifacts/.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { schema } from "@sightline/db";
import { recordingPartKey, recordingPrefix } from "@sightline/shared/recording";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "../../scripts/lib/db.ts";
import { childEnv, INGEST_CONFIG, NODE_BIN, ROOT, WRANGLER_JS } from "../../scripts/lib/paths.ts";
import { apiFetch, launchChromium, watchProblems } from "./browser.ts";
import { ARTIFACTS, type ScratchDatabase, type Stack, scratchDatabase, startStack } from "./stack.ts";

const EMAIL = "player@example.test";
const PASSWORD = "correct horse battery staple";
const WIDE = { width: 1280, height: 860 };
const NARROW = { width: 375, height: 812 };
const RECORDER = join(
  ROOT,
  "node_modules",
  ".pnpm",
  "@rrweb+record@2.1.6",
  "node_modules",
  "@rrweb",
  "record",
  "dist",
  "record.umd.min.cjs",
);
const TYPED = "zq-typed-secret-8814";
/** Between the two pages the visitor reads for 5 minutes: the idle stretch "Skip inactivity" skips. */
const IDLE_MS = 300_000;

const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

interface RrwebEvent {
  type: number;
  timestamp: number;
  data: unknown;
}

describe("recordings in the dashboard: find one by a filter and play it to the end", () => {
  let scratch: ScratchDatabase | undefined;
  let data: ReturnType<typeof openDb> | undefined;
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let siteId = "";
  const recordingId = randomUUID();
  const decoyId = randomUUID();
  /** Where the recording's idle stretch (the visitor reading for IDLE_MS) begins, from its start. */
  let idleAtMs = 0;
  const problems: string[] = [];

  beforeAll(async () => {
    scratch = await scratchDatabase("sl_rec");
    stack = await startStack("recordings-dashboard", { databaseUrl: scratch.url });
    data = openDb(scratch.url, scratch.bridgePort);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: WIDE })).newPage();
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

  it("sets up the owner and a site that records nothing yet", async () => {
    const { stack, page } = need();
    if (!stack.setupUrl) throw new Error("no setup link printed");
    await page.goto(stack.setupUrl);
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create owner account" }).click();
    await page.waitForURL(`${stack.apiUrl}/sites`);
    // A site of the test's own: the demo site may record the demo pages for real.
    const site = await call<{ id: string }>("/v1/sites", {
      method: "POST",
      json: { name: "Player test", origins: [stack.demoUrl] },
    });
    siteId = site.id;
    expect(siteId).toMatch(/^site_/);

    await page.goto(`${stack.apiUrl}/sites/${siteId}`);
    await page.locator(".sidenav").getByRole("link", { name: "Recordings" }).click();
    await page.waitForURL(`${stack.apiUrl}/sites/${siteId}/recordings`);
    await page.locator("#recordings-empty").waitFor();
    expect(await page.locator("#recordings-empty").textContent()).toContain("Recording is off");
    // The player's code is not part of what the dashboard loads until a recording is opened.
    const scripts = await page.evaluate(() =>
      performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname),
    );
    expect(scripts.some((p) => /\/assets\/player\./.test(p))).toBe(false);
  });

  it("records two demo pages with @rrweb/record and stores them as the edge would", async () => {
    const { stack, browser, data } = need();
    const visitor = await (await browser.newContext({ viewport: { width: 1024, height: 700 } })).newPage();
    const capture = async (path: string, act: (p: Page) => Promise<void>): Promise<RrwebEvent[]> => {
      await visitor.goto(`${stack.demoUrl}${path}`);
      await visitor.addScriptTag({ path: RECORDER });
      await visitor.evaluate(() => {
        const w = window as unknown as {
          rrwebRecord: { record: (o: object) => () => void };
          __events: unknown[];
          __stop: () => void;
        };
        w.__events = [];
        w.__stop = w.rrwebRecord.record({
          emit: (e: unknown) => w.__events.push(e),
          maskAllInputs: true,
          blockSelector: "[data-sl-block]",
        });
      });
      await act(visitor);
      await visitor.waitForTimeout(400);
      return visitor.evaluate(() => {
        const w = window as unknown as { __events: RrwebEvent[]; __stop: () => void };
        w.__stop();
        return w.__events;
      });
    };
    const first = await capture("/pricing.html", async (p) => {
      await p.waitForTimeout(300);
      await p.click("#trial-email");
      await p.keyboard.type(TYPED, { delay: 15 });
      await p.mouse.click(40, 40);
      await p.waitForTimeout(300);
    });
    const second = await capture("/docs.html", async (p) => {
      await p.waitForTimeout(300);
      await p.mouse.move(200, 200);
      await p.mouse.click(220, 240);
      await p.waitForTimeout(600);
    });
    await visitor.close();
    expect(first.some((e) => e.type === 2)).toBe(true);
    expect(second.some((e) => e.type === 2)).toBe(true);
    // The second page opens after the visitor read the first for IDLE_MS, without input.
    const lastOfFirst = first.at(-1)?.timestamp ?? 0;
    const shift = lastOfFirst + IDLE_MS - (second[0]?.timestamp ?? 0);
    for (const e of second) e.timestamp += shift;
    const all = [...first, ...second];
    // Masked at the source: nothing typed is in what is stored.
    expect(JSON.stringify(all)).not.toContain(TYPED.slice(0, 8));

    const startedAt = all[0]?.timestamp ?? Date.now();
    idleAtMs = lastOfFirst - startedAt;
    const endedAt = all.at(-1)?.timestamp ?? startedAt;
    const sessionId = randomUUID();
    const prefix = recordingPrefix(siteId, startedAt, sessionId);
    await putObjects(stack, [
      [recordingPartKey(prefix, 0), JSON.stringify(first)],
      [recordingPartKey(prefix, 1), JSON.stringify(second)],
    ]);
    const row = {
      siteId,
      startedAt: new Date(startedAt),
      endedAt: new Date(endedAt),
      durationMs: endedAt - startedAt,
      activeMs: 1_500,
      clicks: 2,
      bytes: 4_000,
      chunks: 2,
    };
    await data.db.insert(schema.recordings).values([
      {
        ...row,
        id: recordingId,
        sessionId,
        firstPage: "/pricing.html",
        pages: ["/pricing.html", "/docs.html"],
        device: "desktop",
        country: "DE",
        referrer: "https://news.example/launch",
        r2Prefix: prefix,
        flags: ["new-checkout=b", "banner=on"],
      },
      {
        ...row,
        id: decoyId,
        sessionId: randomUUID(),
        startedAt: new Date(startedAt - 60_000),
        firstPage: "/",
        pages: ["/"],
        device: "mobile",
        country: "FR",
        rageClicks: 1,
        r2Prefix: recordingPrefix(siteId, startedAt - 60_000, randomUUID()),
      },
    ]);
  });

  it("lists both, and finds the recording by its page and device", async () => {
    const { stack, page } = need();
    await page.goto(`${stack.apiUrl}/sites/${siteId}/recordings`);
    await page.locator(`tr[data-recording-id="${decoyId}"]`).waitFor();
    expect(await page.locator("#recording-list tbody tr").count()).toBe(2);
    await shot(page, "recordings-list-1280");

    await page.getByLabel("Visited page").fill("/docs*");
    await page.getByLabel("Device").selectOption("desktop");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/device=desktop/);
    await page.locator(`tr[data-recording-id="${recordingId}"]`).waitFor();
    expect(await page.locator("#recording-list tbody tr").count()).toBe(1);
    await shot(page, "recordings-filtered-1280");

    // The flag variant the session was served.
    await page.click("#filters-clear");
    await page.locator(`tr[data-recording-id="${decoyId}"]`).waitFor();
    await page.getByLabel("Flag variant").fill("new-checkout");
    await page.getByRole("button", { name: "Apply filters" }).click();
    // Not a variant: the field says so and nothing is asked.
    expect(await page.getByLabel("Flag variant").evaluate((el: HTMLInputElement) => el.validationMessage)).toBe(
      "A flag key and one of its variants, as new-checkout=b.",
    );
    expect(page.url()).not.toContain("flag=");
    await page.getByLabel("Flag variant").fill("new-checkout=b");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/flag=new-checkout%3Db/);
    await expect.poll(() => page.locator("#recording-list tbody tr").count()).toBe(1);
    await page.locator(`tr[data-recording-id="${recordingId}"]`).waitFor();

    // A filter nothing matches says so; Clear brings the list back.
    await page.getByLabel("With rage clicks").check();
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.locator("#recordings-empty").waitFor();
    await page.click("#filters-clear");
    await page.locator(`tr[data-recording-id="${decoyId}"]`).waitFor();
  });

  it("opens the recording, plays it to the end at 8×, and skips the idle stretch only with skip inactivity on", async () => {
    const { stack, page } = need();
    await page.goto(`${stack.apiUrl}/sites/${siteId}/recordings?page=%2Fdocs*`);
    await page.locator(`tr[data-recording-id="${recordingId}"] a`).click();
    await page.waitForURL(`${stack.apiUrl}/sites/${siteId}/recordings/${recordingId}`);
    await page.waitForSelector('#player[data-state="paused"], [role="alert"]:visible');
    expect(problems, "errors in the page, the console or 5xx answers").toEqual([]);
    expect(await page.locator('[role="alert"]:visible').count()).toBe(0);
    expect(await page.locator("#player-stage iframe").count()).toBe(1);
    const loaded = await page.evaluate(() =>
      performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname),
    );
    expect(loaded.some((p) => /\/assets\/player\.[A-Za-z0-9]+\.js$/.test(p))).toBe(true);

    expect(await page.getByTestId("recording-device").textContent()).toBe("Desktop");
    expect(await page.getByTestId("recording-country").textContent()).toBe("Germany");
    // Each flag variant the session was served opens the sessions served the same one.
    const flags = page.locator("#recording-flags a");
    expect(await flags.allTextContents()).toEqual(["new-checkout=b", "banner=on"]);
    expect(await flags.first().getAttribute("href")).toBe(`/sites/${siteId}/recordings?flag=new-checkout%3Db`);
    const pages = await page.locator("#player-pages li").allTextContents();
    expect(pages.map((t) => t.trim().split(/\s+/).at(-1))).toEqual(["/pricing.html", "/docs.html"]);
    expect(await page.locator(".player-mark-page").count()).toBe(2);
    expect(await page.locator(".player-mark-click").count()).toBeGreaterThanOrEqual(2);
    await shot(page, "recording-player-start-1280");

    await page.selectOption("#player-speed", "8");
    expect(await page.isChecked("#player-skip")).toBe(true);
    await page.click("#player-play");
    expect(await page.getAttribute("#player", "data-state")).toBe("playing");
    await page.waitForSelector('#player[data-state="ended"]', { timeout: 60_000 });
    expect(await page.textContent("#player-play")).toBe("Play again");
    // The replayed page is the demo's docs page at the end.
    const text = await page.frameLocator("#player-stage iframe").locator("body").textContent();
    expect(text).toContain("Docs");
    await shot(page, "recording-player-end-1280");

    // The 5 idle minutes went by as a skip, shown while it lasted.
    expect(Number(await page.getAttribute("#player", "data-skips"))).toBeGreaterThanOrEqual(1);
    expect(await page.isHidden("#player-skipping")).toBe(true);

    // Without skip inactivity the same stretch plays at the chosen speed: well into it, no skip began.
    await page.uncheck("#player-skip");
    const skips = await page.getAttribute("#player", "data-skips");
    await page.locator("#player-timeline").evaluate(
      (el, at) => {
        const input = el as HTMLInputElement;
        input.value = String(at);
        input.dispatchEvent(new Event("input"));
      },
      Math.max(0, idleAtMs - 500),
    );
    await page.click("#player-play");
    await expect
      .poll(async () => Number(await page.getAttribute("#player", "data-position")), { timeout: 30_000 })
      .toBeGreaterThan(idleAtMs + 5_000);
    expect(await page.getAttribute("#player", "data-skips")).toBe(skips);
    expect(await page.isHidden("#player-skipping")).toBe(true);
    await page.click("#player-play");
    expect(await page.getAttribute("#player", "data-state")).toBe("paused");

    // The page list seeks: its first page is the start.
    await page.locator("#player-pages li button").first().click();
    await expect.poll(() => page.getAttribute("#player", "data-position")).toBe("0");

    await page.setViewportSize(NARROW);
    await shot(page, "recording-player-375");
    await page.setViewportSize(WIDE);
    expect(problems, "errors in the page, the console or 5xx answers").toEqual([]);
  });

  it("changes every recording setting of the site from its settings page", async () => {
    const { stack, page } = need();
    await page.goto(`${stack.apiUrl}/sites/${siteId}/settings`);
    await page.locator("#recording-settings").waitFor();
    // Out of range: the browser's own check stops it before it is sent.
    await page.getByLabel("Sessions recorded (%)").fill("150");
    await page.getByRole("button", { name: "Save recording settings" }).click();
    expect(await page.$eval('[name="recordingSampleRate"]', (el) => (el as HTMLInputElement).validity.valid)).toBe(
      false,
    );
    expect(await call<Record<string, unknown>>(`/v1/sites/${siteId}`)).toMatchObject({
      recordingSampleRate: 0,
      recordingConsent: "opt-out",
    });
    const optIn = page.getByLabel("Record only after the visitor consents (opt-in)");
    expect(await optIn.isChecked()).toBe(false);

    await page.getByLabel("Sessions recorded (%)").fill("12.5");
    await page.getByLabel("Recordings per day").fill("1234");
    await page.getByLabel("Keep recordings (days)").fill("14");
    await page.getByLabel("Mask all text in recordings").check();
    await optIn.check();
    await page.getByRole("button", { name: "Save recording settings" }).click();
    await page.locator("#recording-settings").getByText("Recording settings saved.").waitFor();
    const site = await call<Record<string, unknown> & { key: string }>(`/v1/sites/${siteId}`);
    expect(site).toMatchObject({
      recordingSampleRate: 0.125,
      recordingDailyQuota: 1234,
      recordingRetentionDays: 14,
      maskAllText: true,
      recordingConsent: "opt-in",
    });
    await shot(page, "recording-settings-1280");
    // The edge tells the tracker to wait for consent (once the ingest isolate's 30 s site cache
    // has turned over, should it hold the site).
    const deadline = Date.now() + 60_000;
    let loader = "";
    while (Date.now() < deadline) {
      const res = await fetch(`http://localhost:${stack.ingestPort}/s/${site.key}.js`, { cache: "no-store" });
      loader = await res.text();
      if (loader.includes('"consentRequired":true')) break;
      await new Promise((r) => setTimeout(r, 2_000));
    }
    expect(loader).toContain('"consentRequired":true');

    // And back: each control changes its own setting.
    await page.reload();
    expect(await page.inputValue('[name="recordingSampleRate"]')).toBe("12.5");
    expect(await optIn.isChecked()).toBe(true);
    await page.getByLabel("Sessions recorded (%)").fill("0");
    await page.getByLabel("Mask all text in recordings").uncheck();
    await optIn.uncheck();
    await page.getByRole("button", { name: "Save recording settings" }).click();
    await page.locator("#recording-settings").getByText("Recording settings saved.").waitFor();
    expect(await call<Record<string, unknown>>(`/v1/sites/${siteId}`)).toMatchObject({
      recordingSampleRate: 0,
      recordingDailyQuota: 1234,
      recordingRetentionDays: 14,
      maskAllText: false,
      recordingConsent: "opt-out",
    });
    expect(problems, "errors in the page, the console or 5xx answers").toEqual([]);
  });

  it("deletes the decoy from its player page", async () => {
    const { stack, page } = need();
    await page.goto(`${stack.apiUrl}/sites/${siteId}/recordings/${decoyId}`);
    await page.click("#delete-recording");
    await page.getByRole("button", { name: "Delete permanently" }).click();
    await page.waitForURL(`${stack.apiUrl}/sites/${siteId}/recordings`);
    await page.locator(`tr[data-recording-id="${recordingId}"]`).waitFor();
    expect(await page.locator(`tr[data-recording-id="${decoyId}"]`).count()).toBe(0);
  });
});

/**
 * Objects put with wrangler into the ingest worker's local R2, where the edge writes parts: the
 * API reads the same bucket (`pnpm start` links its R2 state to the ingest worker's).
 */
async function putObjects(stack: Stack, objects: [string, string][]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "sightline-rec-"));
  try {
    for (const [key, text] of objects) {
      const file = join(dir, "part.json.gz");
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
          "application/gzip",
        ],
        { cwd: ROOT, env: childEnv() },
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
