/**
 * The retention Cron Trigger against a real Postgres: each site's rows before its cutoff go,
 * newer rows and other sites' rows stay, a run stops at its statement bound. Every time is
 * relative to a controlled scheduledTime, NOW, never to the clock or another calendar date.
 */
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import type { HeatDelta } from "@sightline/core/aggregate";
import { postgresStatsSink, schema } from "@sightline/db";
import { newId } from "@sightline/shared/ids";
import { eq, sql } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index.ts";
import { runRetention } from "../src/scheduled.ts";
import { withDb } from "./helpers.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/**
 * 37 minutes into an hour (the cutoff must truncate to the hour), long before any row of the
 * other test files. They share the database and a run deletes every site's rows past its
 * retention: a run at the clock's now would also take their rows once those are a year old
 * (stats.test.ts writes fixed hours of 2026), and the bounded run would spend its statements
 * on them.
 */
const NOW = Date.UTC(2001, 4, 6, 14, 37);
const NOW_HOUR = NOW - 37 * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const day = (ms: number) => iso(ms).slice(0, 10);

async function newSite(retentionDays: number): Promise<string> {
  const id = newId("site");
  await withDb((d) => d.insert(schema.sites).values({ id, key: id.slice(-16), name: "Retention", retentionDays }));
  return id;
}

/** One row in each hourly table per hour, and quota days. */
async function seed(siteId: string, hours: number[], days: number[] = []) {
  await withDb(async (d) => {
    await d.insert(schema.pageStatsHourly).values(
      hours.flatMap((h) => [
        { siteId, hour: new Date(h), path: "/", pageviews: 1, sessions: 1 },
        { siteId, hour: new Date(h), path: "/docs", pageviews: 1, sessions: 1 },
      ]),
    );
    await d.insert(schema.siteStatsHourly).values(hours.map((h) => ({ siteId, hour: new Date(h), pageviews: 2 })));
    await d.insert(schema.dimensionStatsHourly).values(
      hours.flatMap((h) => [
        { siteId, hour: new Date(h), dimension: "referrer" as const, value: "(direct)", pageviews: 1 },
        { siteId, hour: new Date(h), dimension: "country" as const, value: "DE", pageviews: 1 },
      ]),
    );
    if (days.length > 0) {
      await d.insert(schema.quotaDays).values(days.map((t) => ({ siteId, day: day(t), reachedAt: new Date(t) })));
    }
  });
}

/** What is left of a site, as sorted ISO hours (one per row) and days. */
async function remaining(siteId: string) {
  return withDb(async (d) => {
    const hours = async (rows: Promise<{ hour: Date }[]>) => (await rows).map((r) => r.hour.toISOString()).sort();
    const page = await hours(d.select().from(schema.pageStatsHourly).where(eq(schema.pageStatsHourly.siteId, siteId)));
    const site = await hours(d.select().from(schema.siteStatsHourly).where(eq(schema.siteStatsHourly.siteId, siteId)));
    const dim = await hours(
      d.select().from(schema.dimensionStatsHourly).where(eq(schema.dimensionStatsHourly.siteId, siteId)),
    );
    const quota = (await d.select().from(schema.quotaDays).where(eq(schema.quotaDays.siteId, siteId)))
      .map((r) => r.day)
      .sort();
    return { page, site, dim, quota };
  });
}

const twice = (hours: number[]) => hours.flatMap((h) => [iso(h), iso(h)]).sort();
const once = (hours: number[]) => hours.map(iso).sort();

function captureLines(method: "log" | "error"): string[] {
  const lines: string[] = [];
  vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
  return lines;
}

describe("retention", () => {
  afterEach(() => vi.restoreAllMocks());

  it("deletes each site's statistics before its own cutoff and keeps the rest", async () => {
    const short = await newSite(30);
    const long = await newSite(90);
    const shortCutoff = NOW_HOUR - 30 * DAY;
    const longCutoff = NOW_HOUR - 90 * DAY;

    const shortGone = [shortCutoff - HOUR, shortCutoff - 40 * DAY];
    const shortKept = [shortCutoff, NOW_HOUR];
    await seed(short, [...shortGone, ...shortKept], [shortCutoff - DAY, shortCutoff, NOW]);
    // The other site holds rows past the first site's cutoff that its own retention keeps.
    const longGone = [longCutoff - HOUR];
    const longKept = [longCutoff, shortCutoff - HOUR, shortCutoff - 40 * DAY];
    await seed(long, [...longGone, ...longKept], [longCutoff - DAY, shortCutoff - DAY]);

    const flushGone = newId("flush", NOW - 7 * DAY - HOUR);
    const flushKept = newId("flush", NOW - 7 * DAY + HOUR);
    await withDb((d) =>
      d.insert(schema.flushLog).values([
        { flushId: flushGone, siteId: short, shard: 0, rows: 1, flushedAt: new Date(NOW - 7 * DAY - HOUR) },
        { flushId: flushKept, siteId: short, shard: 0, rows: 1, flushedAt: new Date(NOW - 7 * DAY + HOUR) },
      ]),
    );

    // Dashboard sessions: one expired before the run, one still valid.
    const account = newId("account");
    const [expired, valid] = [newId("session"), newId("session")];
    await withDb(async (d) => {
      await d.insert(schema.accounts).values({ id: account, email: `${account}@example.test`, passwordHash: "x" });
      await d.insert(schema.authSessions).values([
        { tokenHash: expired, accountId: account, expiresAt: new Date(NOW - HOUR) },
        { tokenHash: valid, accountId: account, expiresAt: new Date(NOW + HOUR) },
      ]);
    });

    const lines = captureLines("log");
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: new Date(NOW), cron: "17 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    vi.restoreAllMocks();

    expect(await remaining(short)).toEqual({
      page: twice(shortKept),
      site: once(shortKept),
      dim: twice(shortKept),
      // The day holding the cutoff hour stays while any of its hours do.
      quota: [day(shortCutoff), day(NOW)],
    });
    expect(await remaining(long)).toEqual({
      page: twice(longKept),
      site: once(longKept),
      dim: twice(longKept),
      quota: [day(shortCutoff - DAY)],
    });
    const flushes = await withDb((d) =>
      d.select({ id: schema.flushLog.flushId }).from(schema.flushLog).where(eq(schema.flushLog.siteId, short)),
    );
    expect(flushes.map((f) => f.id)).toEqual([flushKept]);
    const sessions = await withDb((d) =>
      d
        .select({ tokenHash: schema.authSessions.tokenHash })
        .from(schema.authSessions)
        .where(eq(schema.authSessions.accountId, account)),
    );
    expect(sessions.map((s) => s.tokenHash)).toEqual([valid]);

    const runs = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "retention run");
    expect(runs).toHaveLength(1);
    const run = runs[0];
    expect(run).toMatchObject({ level: "info", service: "api-retention", now: iso(NOW), stoppedAtBound: false });
    expect(run.sites).toBeGreaterThanOrEqual(2);
    // At least this test's rows; other test files share the database.
    expect(run.pageStatsHourly).toBeGreaterThanOrEqual(6);
    expect(run.siteStatsHourly).toBeGreaterThanOrEqual(3);
    expect(run.dimensionStatsHourly).toBeGreaterThanOrEqual(6);
    expect(run.quotaDays).toBeGreaterThanOrEqual(2);
    expect(run.flushLog).toBeGreaterThanOrEqual(1);
    expect(run.authSessions).toBeGreaterThanOrEqual(1);
    expect(run.batches).toBeGreaterThanOrEqual(6);
    expect(typeof run.ms).toBe("number");
  });

  it("stops at its statement bound and the next run finishes the job", async () => {
    const site = await newSite(1);
    const cutoff = NOW_HOUR - DAY;
    const old = Array.from({ length: 15 }, (_, i) => cutoff - (i + 1) * HOUR);
    await seed(site, [...old, cutoff]);
    const bounds = { batchRows: 4, maxStatements: 6 };

    const first = await runRetention(env, createExecutionContext(), new Date(NOW), bounds);
    // 30 page rows to delete, 4 at a time: six statements take 24 and the run stops there.
    expect(first).toMatchObject({ batches: 6, stoppedAtBound: true });
    expect(first?.deleted.pageStatsHourly).toBe(24);
    const between = await remaining(site);
    expect(between.page).toHaveLength(6 + 2);
    expect(between.site).toHaveLength(16);

    const second = await runRetention(env, createExecutionContext(), new Date(NOW), {
      ...bounds,
      maxStatements: 20,
    });
    expect(second?.stoppedAtBound).toBe(false);
    expect(await remaining(site)).toEqual({
      page: twice([cutoff]),
      site: once([cutoff]),
      dim: twice([cutoff]),
      quota: [],
    });
  });

  it("deletes heatmap days before the site's cutoff day, element and page rows alike, every variant's", async () => {
    const site = await newSite(30);
    const cutoffDay = day(NOW_HOUR - 30 * DAY);
    const days = [day(NOW_HOUR - 31 * DAY), cutoffDay, day(NOW)];
    const heat = days.flatMap((d): HeatDelta[] => [
      { day: d, path: "/", device: "desktop", kind: "click", selector: "#buy", cell: 9, count: 1 },
      { day: d, path: "/", device: "mobile", kind: "move", selector: "", cell: 70, count: 2 },
      { day: d, path: "/", device: "mobile", kind: "scroll", selector: "", cell: 20, count: 1 },
      // Heat of a flag variant expires with all visitors'.
      { day: d, path: "/", device: "desktop", kind: "click", selector: "#buy", cell: 9, count: 1, variant: "x=a" },
    ]);
    // Written by the aggregators' own sink, as flushes write them.
    await withDb((d) =>
      postgresStatsSink(d).apply({
        flushId: newId("flush", NOW),
        siteId: site,
        shard: 0,
        rows: [],
        site: [],
        dimensions: [],
        heat,
      }),
    );
    const heatDays = () =>
      withDb(async (d) => {
        const of = async (table: string) =>
          (
            await d.execute<{ day: string }>(
              sql`SELECT day::text AS day FROM ${sql.raw(table)} WHERE site_id = ${site} ORDER BY day`,
            )
          ).rows.map((r) => r.day);
        return { elements: await of("heatmap_elements"), cells: await of("heatmap_cells") };
      });
    expect(await heatDays()).toEqual({ elements: days.flatMap((d) => [d, d]), cells: days.flatMap((d) => [d, d]) });

    const result = await runRetention(env, createExecutionContext(), new Date(NOW));
    expect(result?.deleted.heatmapElements).toBeGreaterThanOrEqual(2);
    expect(result?.deleted.heatmapCells).toBeGreaterThanOrEqual(2);
    // The day holding the cutoff hour stays, as quota days do.
    const kept = days.slice(1).flatMap((d) => [d, d]);
    expect(await heatDays()).toEqual({ elements: kept, cells: kept });
  });

  it("logs and reports a failure when Postgres is down, and does not throw", async () => {
    const errors = captureLines("error");
    const sent: string[] = [];
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const url = new Request(input, init).url;
      if (url.startsWith("https://sentry.test/")) {
        sent.push(url);
        return new Response("{}", { status: 200 });
      }
      return realFetch(input, init);
    });
    const down = {
      ...env,
      DATABASE_URL: "postgresql://postgres@127.0.0.1:1/unreachable",
      SENTRY_DSN: "https://public@sentry.test/1",
    } as Env;
    const ctx = createExecutionContext();
    await expect(
      worker.scheduled(createScheduledController({ scheduledTime: new Date(NOW) }), down, ctx),
    ).resolves.toBeUndefined();
    await waitOnExecutionContext(ctx);

    const failed = errors.map((l) => JSON.parse(l)).filter((l) => l.msg === "retention failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ level: "error", service: "api-retention", now: iso(NOW) });
    expect(failed[0].errMessage).toBeTruthy();
    expect(sent.length).toBeGreaterThan(0);
  });
});
