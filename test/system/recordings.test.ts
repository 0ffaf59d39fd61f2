/**
 * Session recordings end to end (issue 11), on the local stack as `pnpm start` runs it: the
 * owner turns recording on for the demo site through the API; real Chromium browses the demo
 * (types into the trial form, clicks, three pages); the edge grants, buffers and writes the
 * recording to R2; its index row lands in Postgres through the queue and the aggregator; the
 * API finds it by a filter and serves its events; nothing typed is in them; the owner finds it
 * in the dashboard and plays it to the end without an error.
 */
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "../../scripts/lib/db.ts";
import { type PgBridge, startPgBridge, targetFromConnectionString } from "../../scripts/lib/pg-bridge.ts";
import { launchChromium } from "./browser.ts";
import { ARTIFACTS, DATABASE_URL, type Stack, startStack } from "./stack.ts";

// The edge writes a session's buffer to R2 when its oldest chunk is a minute old (or the
// session ends); the index row follows within a flush or two.
const LAND_TIMEOUT_MS = 150_000;
const EMAIL = "recordings@example.test";
const PASSWORD = "correct horse battery staple";
// What the visitor types; none of it may reach storage.
const TYPED = {
  email: "alice.visitor@example.org",
  password: "hunter2-very-secret",
  company: "Zyxwvut Widgets",
  card: "4111111111111111",
};

interface RecordingItem {
  id: string;
  sessionId: string;
  durationMs: number;
  pages: string[];
  clicks: number;
  device: string;
}

describe("session recordings end to end: recorded in Chromium, found by a filter, masked, played", () => {
  // A database of this file's own: the owner is set up from the printed link.
  const scratch = `sl_rec_${Date.now().toString(36)}`;
  const scratchUrl = (() => {
    const u = new URL(DATABASE_URL);
    u.pathname = `/${scratch}`;
    return u.toString();
  })();
  let bridge: PgBridge | undefined;
  let admin: ReturnType<typeof openDb> | undefined;
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  let token = "";
  let siteId = "";

  function need(): Stack {
    if (!stack) throw new Error("stack not started");
    return stack;
  }

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${need().apiUrl}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...init.headers },
      signal: AbortSignal.timeout(30_000),
    });

  beforeAll(async () => {
    bridge = await startPgBridge({ port: 0, target: targetFromConnectionString(DATABASE_URL) });
    admin = openDb(DATABASE_URL, bridge.port);
    await admin.db.execute(sql.raw(`create database ${scratch}`));
    stack = await startStack("recordings", { databaseUrl: scratchUrl });
    const setupToken = /#token=([A-Za-z0-9_-]+)/.exec(stack.setupUrl ?? "")?.[1];
    if (!setupToken) throw new Error("no setup link in the start output");
    const setup = await fetch(`${stack.apiUrl}/v1/setup`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ setupToken, email: EMAIL, password: PASSWORD }),
    });
    expect(setup.status).toBe(201);
    const cookie = /__Host-sl_session=[^;]+/.exec(setup.headers.get("set-cookie") ?? "")?.[0] ?? "";
    const made = await fetch(`${stack.apiUrl}/v1/tokens`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Cookie: cookie, Origin: stack.apiUrl },
      body: JSON.stringify({ name: "recordings test", scopes: ["read", "write"] }),
    });
    expect(made.status).toBe(201);
    token = ((await made.json()) as { token: string }).token;
    const sites = (await (await api("/v1/sites")).json()) as { items: Array<{ id: string; key: string }> };
    siteId = sites.items.find((s) => s.key === stack?.siteKey)?.id ?? "";
    expect(siteId).not.toBe("");
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await admin?.db.execute(sql.raw(`drop database if exists ${scratch} with (force)`));
    await admin?.close();
    await bridge?.close();
  });

  it("records a sampled visit through the edge, R2 and the index; the API and the dashboard find it, nothing typed is stored, it plays to the end", async () => {
    const stack = need();
    if (!browser) throw new Error("no browser");
    const on = await api(`/v1/sites/${siteId}`, {
      method: "PATCH",
      body: JSON.stringify({ recordingSampleRate: 1 }),
    });
    expect(on.status).toBe(200);
    expect(await on.json()).toMatchObject({ recordingSampleRate: 1 });

    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    const problems: string[] = [];
    const recorderLoads: string[] = [];
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
    page.on("request", (r) => {
      if (r.url().includes("/t/recorder.")) recorderLoads.push(r.url());
    });
    page.on("response", (r) => {
      if (r.url().includes(`:${stack.ingestPort}/`) && r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
    });

    // A visitor reads before moving on: the first chunk is on its way before the next page.
    const firstChunk = page.waitForResponse((r) => r.url().endsWith("/v1/record") && r.status() === 202, {
      timeout: 30_000,
    });
    await page.goto(`${stack.demoUrl}/`);
    await page.waitForFunction(() => "sightline" in window, undefined, { timeout: 15_000 });
    await page.click("#cta");
    await firstChunk;
    await page.click("#to-pricing");
    await page.waitForSelector("#trial-email");
    await page.fill("#trial-email", TYPED.email);
    await page.fill("#trial-password", TYPED.password);
    await page.fill("#trial-company", TYPED.company);
    await page.fill("#trial-card", TYPED.card);
    await page.click("#trial-submit");
    await page.waitForSelector("#trial-done", { state: "visible" });
    await page.click("#nav-docs");
    await page.waitForURL(/docs\.html/);
    await page.mouse.move(200, 300);
    await page.mouse.wheel(0, 400);
    // Closing the tab fires pagehide, which beacons the recorder's last chunk.
    await page.close({ runBeforeUnload: true });
    await context.close();
    expect(problems).toEqual([]);
    expect(recorderLoads.length, "the recorder chunk loads for a sampled session").toBeGreaterThan(0);

    let found: RecordingItem | undefined;
    await expect
      .poll(
        async () => {
          const res = await api(`/v1/sites/${siteId}/recordings?page=${encodeURIComponent("/pricing.html")}`);
          if (res.status !== 200) return `status ${res.status}`;
          const items = ((await res.json()) as { items: RecordingItem[] }).items;
          found = items.find((r) => r.pages.some((p) => p.startsWith("/docs")));
          return found ? "found" : `${items.length} items`;
        },
        { timeout: LAND_TIMEOUT_MS, interval: 2_000 },
      )
      .toBe("found");
    if (!found) throw new Error("unreachable");
    expect(found.pages.slice(0, 3)).toEqual(["/", "/pricing.html", "/docs.html"]);
    expect(found.clicks).toBeGreaterThanOrEqual(3);
    expect(found.durationMs).toBeGreaterThan(0);

    // The index row comes with the queue; the events are playable once the edge has written
    // the session's buffer to R2, at most LIMITS.recording.flushAgeMs after its last chunk.
    const id = found.id;
    let text = "";
    let parsed: Array<{ type: number; timestamp: number }> = [];
    await expect
      .poll(
        async () => {
          const res = await api(`/v1/sites/${siteId}/recordings/${id}/events`);
          if (res.status !== 200) return `status ${res.status}`;
          text = await res.text();
          parsed = JSON.parse(text);
          // rrweb: 4 is Meta, 2 a FullSnapshot; one of each per page load.
          return Math.min(parsed.filter((e) => e.type === 2).length, parsed.filter((e) => e.type === 4).length);
        },
        { timeout: LAND_TIMEOUT_MS, interval: 3_000 },
      )
      .toBeGreaterThanOrEqual(3);
    for (let i = 1; i < parsed.length; i++) {
      expect(parsed[i]?.timestamp ?? 0).toBeGreaterThanOrEqual(parsed[i - 1]?.timestamp ?? 0);
    }
    for (const secret of Object.values(TYPED)) expect(text).not.toContain(secret);

    // The owner finds it in the dashboard by the same filter and plays it to the end.
    const owner = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const dash = await owner.newPage();
    const dashProblems: string[] = [];
    dash.on("pageerror", (err) => dashProblems.push(`page error: ${err.message}`));
    dash.on("console", (msg) => {
      // The 401 of /v1/me before login is the browser's own log line.
      if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) {
        dashProblems.push(`console: ${msg.text()}`);
      }
    });
    dash.on("response", (res) => {
      if (res.url().startsWith(stack.apiUrl) && res.status() >= 500) dashProblems.push(`${res.status()} ${res.url()}`);
    });
    await dash.goto(`${stack.apiUrl}/login`);
    await dash.getByLabel("Email").fill(EMAIL);
    await dash.getByLabel("Password").fill(PASSWORD);
    await dash.getByRole("button", { name: "Log in" }).click();
    await dash.waitForURL(/\/sites/);
    await dash.goto(`${stack.apiUrl}/sites/${siteId}/recordings?page=${encodeURIComponent("/pricing.html")}`);
    await dash.locator(`tr[data-recording-id="${id}"] a`).click();
    await dash.waitForURL(`${stack.apiUrl}/sites/${siteId}/recordings/${id}`);
    await dash.waitForSelector('#player[data-state="paused"]', { timeout: 30_000 });
    expect(await dash.locator("#player-pages li").allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining("/pricing.html"), expect.stringContaining("/docs.html")]),
    );
    await dash.selectOption("#player-speed", "8");
    await dash.click("#player-play");
    await dash.waitForSelector('#player[data-state="ended"]', { timeout: 90_000 });
    await dash.screenshot({ path: join(ARTIFACTS, "recording-real-session-ended.png") });
    expect(dashProblems).toEqual([]);
    await owner.close();
  });
});
