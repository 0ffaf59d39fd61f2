/**
 * A new user's first run: `scripts/start.ts` without DATABASE_URL, so on the embedded
 * PostgreSQL, with a `.sightline` directory of its own (SIGHTLINE_DIR). For two minutes event
 * batches go to /v1/collect as the demo page's origin while the dashboard API is read every
 * few seconds, several requests at once, as the overview does. Every read must answer 200 from
 * Postgres (never the stale copy), /ready must stay 200, and the counts in Postgres must grow
 * to what the ingest worker accepted. The former default, PGlite, served one connection at a
 * time and broke under exactly this within two minutes.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { uuidv7 } from "@sightline/shared/ids";
import type { CollectBatch } from "@sightline/shared/wire";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "../../scripts/lib/db.ts";
import { type PgBridge, startPgBridge, targetFromConnectionString } from "../../scripts/lib/pg-bridge.ts";
import { DESKTOP_UA } from "./browser.ts";
import { descendants, isAlive, type Stack, startStack } from "./stack.ts";

const SOAK_MS = 120_000;
const SEND_EVERY_MS = 500;
const READ_EVERY_MS = 3_000;
const EVENTS_PER_BATCH = 10;
// After the last batch: the queue delivers within a second or so and flushes run every 2 s.
const SETTLE_TIMEOUT_MS = 30_000;
const EMAIL = "owner@example.test";
const PASSWORD = "correct horse battery staple";

describe("the embedded PostgreSQL default under a running stack", () => {
  const dataRoot = mkdtempSync(join(tmpdir(), "sightline-embedded-"));
  // As root the server runs as the user postgres, who must reach the data below this.
  chmodSync(dataRoot, 0o755);
  let stack: Stack | undefined;
  let bridge: PgBridge | undefined;
  let db: ReturnType<typeof openDb> | undefined;
  let token = "";
  let siteId = "";

  beforeAll(async () => {
    stack = await startStack("embedded-default", { databaseUrl: null, sightlineDir: dataRoot });
    // A bridge of the test's own, so reading the results does not go through the stack's.
    bridge = await startPgBridge({ port: 0, target: targetFromConnectionString(stack.databaseUrl) });
    db = openDb(stack.databaseUrl, bridge.port);

    // The owner from the printed setup link, then a read token, as a dashboard user would.
    const setupToken = /#token=([A-Za-z0-9_-]+)/.exec(stack.setupUrl ?? "")?.[1];
    if (!setupToken) throw new Error("no setup link in the start output");
    const setup = await fetch(`${stack.apiUrl}/v1/setup`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ setupToken, email: EMAIL, password: PASSWORD }),
    });
    expect(setup.status).toBe(201);
    const cookie = /__Host-sl_session=[^;]+/.exec(setup.headers.get("set-cookie") ?? "")?.[0];
    if (!cookie) throw new Error("no session cookie from setup");
    const created = await fetch(`${stack.apiUrl}/v1/tokens`, {
      method: "POST",
      // As a browser sends it: the API refuses cookie writes from another origin (CSRF).
      headers: { "Content-Type": "application/json", Cookie: cookie, Origin: stack.apiUrl },
      body: JSON.stringify({ name: "soak", scopes: ["read"] }),
    });
    expect(created.status).toBe(201);
    token = ((await created.json()) as { token: string }).token;
    const sites = await fetch(`${stack.apiUrl}/v1/sites`, { headers: { Authorization: `Bearer ${token}` } });
    expect(sites.status).toBe(200);
    const items = ((await sites.json()) as { items: Array<{ id: string; key: string }> }).items;
    siteId = items.find((s) => s.key === stack?.siteKey)?.id ?? "";
    expect(siteId, "the demo site, adopted by the owner").not.toBe("");
  });

  afterAll(async () => {
    await db?.close();
    await bridge?.close();
    await stack?.stop();
    rmSync(dataRoot, { recursive: true, force: true });
  });

  function need(): { stack: Stack; db: ReturnType<typeof openDb> } {
    if (!stack || !db) throw new Error("stack not started");
    return { stack, db };
  }

  async function pageviewsInPostgres(): Promise<number> {
    const result = await need().db.db.execute(sql`
      select coalesce(sum(p.pageviews), 0)::int as n
      from page_stats_hourly p join sites s on s.id = p.site_id
      where s.key = ${need().stack.siteKey}`);
    return Number(result.rows[0]?.n ?? 0);
  }

  it("runs on it: the start script says so and keeps its data in SIGHTLINE_DIR", () => {
    const { stack } = need();
    expect(stack.output()).toContain(`postgres: embedded PostgreSQL in ${join(dataRoot, "postgres")}`);
    expect(stack.databaseUrl).toMatch(/^postgresql:\/\/postgres@127\.0\.0\.1:\d+\/sightline$/);
  });

  it(
    "takes two minutes of events and dashboard reads: every read 200 and fresh, counts growing",
    async () => {
      const { stack } = need();
      const auth = { Authorization: `Bearer ${token}` };
      const from = new Date(Date.now() - 24 * 3_600_000).toISOString();
      const to = new Date(Date.now() + 3_600_000).toISOString();
      const range = `from=${from}&to=${to}`;
      const reads = [
        { path: "/ready", headers: {} },
        { path: "/v1/setup", headers: {} },
        { path: `/v1/sites/${siteId}/stats/timeseries?${range}&interval=hour`, headers: auth },
        { path: `/v1/sites/${siteId}/stats/pages?${range}`, headers: auth },
        { path: `/v1/sites/${siteId}/stats/referrers?${range}`, headers: auth },
        { path: `/v1/sites/${siteId}/stats/devices?${range}`, headers: auth },
      ];
      const badReads: string[] = [];
      const badSends: string[] = [];
      let readRounds = 0;
      let accepted = 0;
      let batches = 0;
      const started = Date.now();
      const soaking = () => Date.now() - started < SOAK_MS;

      const send = async () => {
        while (soaking()) {
          const tick = Date.now();
          const sessionId = uuidv7();
          const batch: CollectBatch = {
            v: 1,
            siteKey: stack.siteKey,
            sessionId,
            sentAt: tick,
            events: Array.from({ length: EVENTS_PER_BATCH }, (_, i) => {
              const ts = tick - (EVENTS_PER_BATCH - i) * 20;
              return { type: "pageview" as const, id: uuidv7(ts), ts, url: `${stack.demoUrl}/soak/${i % 5}` };
            }),
          };
          try {
            const res = await fetch(`http://127.0.0.1:${stack.ingestPort}/v1/collect`, {
              method: "POST",
              headers: {
                "Content-Type": "text/plain;charset=UTF-8",
                Origin: stack.demoUrl,
                // Node's own User-Agent reads as a bot, which counts only in the device row.
                "User-Agent": DESKTOP_UA,
              },
              body: JSON.stringify(batch),
            });
            const body = await res.text();
            if (res.status !== 202) badSends.push(`${res.status} ${body.slice(0, 200)}`);
            else accepted += (JSON.parse(body) as { accepted: number }).accepted;
          } catch (err) {
            badSends.push(`collect: ${(err as Error).message}`);
          }
          batches++;
          await sleep(Math.max(0, SEND_EVERY_MS - (Date.now() - tick)));
        }
      };

      const read = async () => {
        while (soaking()) {
          const tick = Date.now();
          // All at once, as the overview loads its panels: several connections to Postgres.
          await Promise.all(
            reads.map(async ({ path, headers }) => {
              try {
                const res = await fetch(`${stack.apiUrl}${path}`, { headers });
                await res.arrayBuffer();
                const stale = res.headers.get("x-sightline-stale");
                if (res.status !== 200 || stale === "true") {
                  badReads.push(`${Math.round((tick - started) / 1000)} s: ${res.status} stale=${stale} ${path}`);
                }
              } catch (err) {
                badReads.push(`${path}: ${(err as Error).message}`);
              }
            }),
          );
          readRounds++;
          await sleep(Math.max(0, READ_EVERY_MS - (Date.now() - tick)));
        }
      };

      const samples: number[] = [];
      const sample = async () => {
        while (soaking()) {
          await sleep(30_000);
          samples.push(await pageviewsInPostgres());
        }
      };

      await Promise.all([send(), read(), sample()]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(SOAK_MS);

      expect(badReads, "dashboard reads that failed or came from the stale copy").toEqual([]);
      expect(badSends, "collect requests that were refused").toEqual([]);
      expect(readRounds).toBeGreaterThan(SOAK_MS / READ_EVERY_MS / 2);
      expect(accepted).toBe(batches * EVENTS_PER_BATCH);

      // The counts grew while the soak ran, and every accepted event lands once.
      expect(samples.length).toBeGreaterThanOrEqual(3);
      for (let i = 1; i < samples.length; i++) expect(samples[i]).toBeGreaterThan(samples[i - 1] ?? 0);
      await expect.poll(pageviewsInPostgres, { timeout: SETTLE_TIMEOUT_MS, interval: 1_000 }).toBe(accepted);

      // The dashboard reads the same total, fresh, and the database is still ready.
      const series = await fetch(`${stack.apiUrl}/v1/sites/${siteId}/stats/timeseries?${range}&interval=hour`, {
        headers: auth,
      });
      expect(series.status).toBe(200);
      expect(series.headers.get("x-sightline-stale")).toBeNull();
      expect(((await series.json()) as { totals: { pageviews: number } }).totals.pageviews).toBe(accepted);
      expect((await fetch(`${stack.apiUrl}/ready`)).status).toBe(200);

      const broken = stack
        .output()
        .split("\n")
        .filter((l) => /socket has been ended|not reachable|flush failed|too many clients/i.test(l));
      expect(broken, "database trouble in the stack's log").toEqual([]);
    },
    SOAK_MS + SETTLE_TIMEOUT_MS + 60_000,
  );

  it("stops everything it started, the embedded server included, on SIGTERM", async () => {
    const { stack } = need();
    const processes = descendants(stack.pid);
    expect(processes.some((p) => /\/postgres -D /.test(p))).toBe(true);
    await db?.close();
    db = undefined;
    await bridge?.close();
    bridge = undefined;
    expect(await stack.stop()).toBe(143);
    const alive = () => processes.filter((p) => isAlive(Number(p.split(" ")[0])));
    await expect.poll(alive, { timeout: 20_000, interval: 250 }).toEqual([]);
  });
});
