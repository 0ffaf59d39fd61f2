import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { dayOf, dayString, type FlushBatch, hourOf, type StatsSink } from "@sightline/core/aggregate";
import { uuidv7 } from "@sightline/shared/ids";
import { LIMITS } from "@sightline/shared/limits";
import type { DeviceClass, IngestMessage } from "@sightline/shared/wire";
import { describe, expect, it } from "vitest";
import { SiteAggregator } from "../src/aggregator/site-aggregator.ts";
import {
  dimensionStatsOf,
  ingestMessageFor,
  markSiteDeleted,
  quotaDaysOf,
  siteStatsOf,
  statsOf,
  visitorsOf,
} from "./helpers.ts";

// Relative to now: the aggregator forgets session-hours older than its dedupe window, so a
// fixed date would start failing once it fell out of that window.
const HOUR = hourOf(Date.now()) - 3 * 3_600_000;

function setup() {
  const siteId = `site_${uuidv7().replaceAll("-", "")}`;
  const name = `${siteId}:0`;
  const stub = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(name));
  return { siteId, name, stub };
}

type TestEvent = { path: string; ts?: number; id?: string; ref?: string };

/** A message without device and country, as queued before they existed. */
function msg(siteId: string, sessionId: string, events: TestEvent[]): IngestMessage {
  return ingestMessageFor(
    siteId,
    events.map((e) => ({ ts: HOUR + 60_000, ...e })),
    sessionId,
  );
}

function clientMsg(
  siteId: string,
  sessionId: string,
  client: { device: DeviceClass; country: string },
  events: TestEvent[],
): IngestMessage {
  return ingestMessageFor(
    siteId,
    events.map((e) => ({ ts: HOUR + 60_000, ...e })),
    sessionId,
    client,
  );
}

/** A sink that fails, optionally after applying the flush (a reply lost after commit). */
function brokenSink(instance: SiteAggregator, opts: { applyFirst: boolean }) {
  const real = instance.sinkFactory;
  instance.sinkFactory = () => {
    const inner = real();
    const sink: StatsSink & { close(): Promise<void> } = {
      async apply(batch: FlushBatch) {
        if (opts.applyFirst) await inner.apply(batch);
        throw new Error("connection reset");
      },
      close: () => inner.close(),
    };
    return sink;
  };
  return () => {
    instance.sinkFactory = real;
  };
}

describe("SiteAggregator", () => {
  it("counts pageviews and distinct sessions per page per hour and flushes them to Postgres", async () => {
    const { siteId, name, stub } = setup();
    const s1 = uuidv7();
    const s2 = uuidv7();
    const r1 = await stub.ingest(name, [msg(siteId, s1, [{ path: "/" }, { path: "/" }, { path: "/docs" }])]);
    const r2 = await stub.ingest(name, [msg(siteId, s2, [{ path: "/" }, { path: "/", ts: HOUR + 3_600_000 }])]);
    expect(r1).toEqual({ counted: 3, duplicates: 0, overQuota: 0 });
    expect(r2).toEqual({ counted: 2, duplicates: 0, overQuota: 0 });

    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.pending()).toMatchObject({ rows: 0, pageviews: 0 });
    expect(await statsOf(siteId)).toEqual([
      { hour: HOUR, path: "/", pageviews: 3, sessions: 2 },
      { hour: HOUR + 3_600_000, path: "/", pageviews: 1, sessions: 0 },
      { hour: HOUR, path: "/docs", pageviews: 1, sessions: 1 },
    ]);
  });

  it("dedupes across statement chunks when one call carries many events", async () => {
    const { siteId, name, stub } = setup();
    const events = Array.from({ length: 120 }, (_, i) => ({ path: `/p${i % 3}` }));
    const first = msg(siteId, uuidv7(), events);
    const again = { ...first, events: first.events.slice(40, 110) };
    expect(await stub.ingest(name, [first, again])).toEqual({ counted: 120, duplicates: 70, overQuota: 0 });
    expect(await stub.pending()).toMatchObject({ rows: 3, pageviews: 120 });
  });

  it("never counts a redelivered event twice, before or after a flush", async () => {
    const { siteId, name, stub } = setup();
    const m = msg(siteId, uuidv7(), [{ path: "/p" }, { path: "/q" }]);
    await stub.ingest(name, [m]);
    expect(await stub.ingest(name, [m])).toEqual({ counted: 0, duplicates: 2, overQuota: 0 });
    await runDurableObjectAlarm(stub);
    expect(await stub.ingest(name, [m])).toEqual({ counted: 0, duplicates: 2, overQuota: 0 });
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    expect((await statsOf(siteId)).map((r) => r.pageviews)).toEqual([1, 1]);
  });

  it("forgets an event id after the dedupe window, by the time in the id, when its alarm runs", async () => {
    const { siteId, name, stub } = setup();
    const old = uuidv7(Date.now() - LIMITS.aggregate.dedupWindowMs - 60_000);
    const m = msg(siteId, uuidv7(), [
      { path: "/old", id: old },
      { path: "/new", id: uuidv7() },
    ]);
    expect(await stub.ingest(name, [m])).toEqual({ counted: 2, duplicates: 0, overQuota: 0 });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    // Pruned by the alarm: the old id counts again, the recent one is still known.
    expect(await stub.ingest(name, [m])).toEqual({ counted: 1, duplicates: 1, overQuota: 0 });
  });

  it("forgets old ids and sessions while Postgres is down, so storage holds only the window", async () => {
    const { siteId, name, stub } = setup();
    const oldTs = Date.now() - LIMITS.aggregate.dedupWindowMs - 3_600_000;
    const old = msg(siteId, uuidv7(), [{ path: "/old", id: uuidv7(oldTs), ts: oldTs }]);
    await stub.ingest(name, [old, msg(siteId, uuidv7(), [{ path: "/new" }])]);
    await runInDurableObject(stub, (instance: SiteAggregator) => brokenSink(instance, { applyFirst: false }));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.pending()).toMatchObject({ inFlight: true, failures: 1 });
    const left = await runInDurableObject(stub, (_i, state) => ({
      seen: state.storage.sql.exec("SELECT count(*) AS n FROM seen_events").one().n,
      sessions: state.storage.sql.exec("SELECT count(*) AS n FROM sessions").one().n,
    }));
    expect(left).toEqual({ seen: 1, sessions: 1 });
  });

  it("keeps the deltas when a flush fails, backs off, and lands them later exactly once", async () => {
    const { siteId, name, stub } = setup();
    await stub.ingest(name, [msg(siteId, uuidv7(), [{ path: "/" }, { path: "/" }])]);

    const restore = await runInDurableObject(stub, (instance: SiteAggregator) =>
      brokenSink(instance, { applyFirst: false }),
    );
    const before = Date.now();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.pending()).toMatchObject({ rows: 1, pageviews: 2, inFlight: true, failures: 1 });
    const alarmAt = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(alarmAt).toBeGreaterThanOrEqual(before + LIMITS.aggregate.flushIntervalMs * 2);
    expect(await statsOf(siteId)).toEqual([]);

    // Events that arrive during the outage wait beside the failed flush.
    await stub.ingest(name, [msg(siteId, uuidv7(), [{ path: "/" }])]);
    await runInDurableObject(stub, () => restore());
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.pending()).toMatchObject({ rows: 1, pageviews: 1, inFlight: false, failures: 0 });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await statsOf(siteId)).toEqual([{ hour: HOUR, path: "/", pageviews: 3, sessions: 2 }]);
  });

  it("keeps its backoff when events arrive while a failing flush is under way", async () => {
    const { siteId, name, stub } = setup();
    await stub.ingest(name, [msg(siteId, uuidv7(), [{ path: "/slow" }])]);
    // A flush that hangs until the test lets it fail, as a connection attempt to a database
    // that is down does. Plain flags: a promise made in the object cannot be settled from here.
    const gate = { started: false, released: false };
    const restore = await runInDurableObject(stub, (instance: SiteAggregator) => {
      const real = instance.sinkFactory;
      instance.sinkFactory = () => ({
        async apply() {
          gate.started = true;
          while (!gate.released) await scheduler.wait(5);
          throw new Error("connect ETIMEDOUT");
        },
        close: async () => undefined,
      });
      return () => {
        instance.sinkFactory = real;
      };
    });
    const before = Date.now();
    const alarm = runDurableObjectAlarm(stub);
    await expect.poll(() => gate.started).toBe(true);
    await stub.ingest(name, [msg(siteId, uuidv7(), [{ path: "/slow" }])]);
    gate.released = true;
    expect(await alarm).toBe(true);
    const alarmAt = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(alarmAt).toBeGreaterThanOrEqual(before + LIMITS.aggregate.flushIntervalMs * 2);
    await runInDurableObject(stub, () => restore());
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await statsOf(siteId)).toEqual([{ hour: HOUR, path: "/slow", pageviews: 2, sessions: 2 }]);
  });

  it("reports its health: backoff while flushes fail, the last flush once one lands", async () => {
    const { siteId, name, stub } = setup();
    await stub.ingest(name, [msg(siteId, uuidv7(), [{ path: "/h" }, { path: "/h" }])]);
    const restore = await runInDurableObject(stub, (instance: SiteAggregator) =>
      brokenSink(instance, { applyFirst: false }),
    );
    await runDurableObjectAlarm(stub);
    const down = await stub.health();
    expect(down).toMatchObject({ lastFlushAt: null, failures: 1, pendingPageviews: 2, inFlight: true });
    expect(down.pendingRows).toBeGreaterThan(0);
    expect(down.nextFlushAt).toBeGreaterThan(Date.now());
    await runInDurableObject(stub, () => restore());
    const before = Date.now();
    await runDurableObjectAlarm(stub);
    const up = await stub.health();
    expect(up).toMatchObject({ failures: 0, pendingRows: 0, pendingPageviews: 0, inFlight: false, nextFlushAt: null });
    expect(up.lastFlushAt).toBeGreaterThanOrEqual(before);
  });

  it("does not apply a flush twice when its reply was lost after the commit", async () => {
    const { siteId, name, stub } = setup();
    await stub.ingest(name, [msg(siteId, uuidv7(), [{ path: "/once" }])]);
    const restore = await runInDurableObject(stub, (instance: SiteAggregator) =>
      brokenSink(instance, { applyFirst: true }),
    );
    await runDurableObjectAlarm(stub);
    expect(await stub.pending()).toMatchObject({ inFlight: true, failures: 1 });
    expect(await statsOf(siteId)).toEqual([{ hour: HOUR, path: "/once", pageviews: 1, sessions: 1 }]);

    await runInDurableObject(stub, () => restore());
    const result = await runInDurableObject(stub, (instance: SiteAggregator) => instance.flush());
    // One page row, one site row, device and country "unknown".
    expect(result).toMatchObject({ status: "duplicate", rows: 4 });
    expect(await stub.pending()).toMatchObject({ rows: 0 });
    expect(await statsOf(siteId)).toEqual([{ hour: HOUR, path: "/once", pageviews: 1, sessions: 1 }]);
  });
});

describe("SiteAggregator of a deleted site", () => {
  it("writes nothing once the site is deleted, forgets what it held, and stops its alarm", async () => {
    const { siteId, name, stub } = setup();
    const late = msg(siteId, uuidv7(), [{ path: "/after-delete" }]);
    await stub.ingest(name, [late]);
    await markSiteDeleted(siteId);
    const result = await runInDurableObject(stub, (instance: SiteAggregator) => instance.flush());
    expect(result).toMatchObject({ status: "gone", rows: 4 });
    expect(await statsOf(siteId)).toEqual([]);
    expect(await siteStatsOf(siteId)).toEqual([]);
    expect(await stub.pending()).toMatchObject({ rows: 0, pageviews: 0, inFlight: false });
    const left = await runInDurableObject(stub, (_i, state) => ({
      alarm: state.storage.getAlarm(),
      seen: state.storage.sql.exec("SELECT count(*) AS n FROM seen_events").one().n,
      sessions: state.storage.sql.exec("SELECT count(*) AS n FROM sessions").one().n,
    }));
    expect({ ...left, alarm: await left.alarm }).toEqual({ alarm: null, seen: 0, sessions: 0 });
    // A message of the site still queued: the object takes it and the next flush finds the
    // site gone again.
    await stub.ingest(name, [msg(siteId, uuidv7(), [{ path: "/queued" }])]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await statsOf(siteId)).toEqual([]);
    expect(await stub.pending()).toMatchObject({ rows: 0 });
  });
});

describe("SiteAggregator pages per hour", () => {
  it("counts new pages past maxPathsPerHour as (other), keeps counting known ones, and starts again next hour", async () => {
    const { siteId, name, stub } = setup();
    const limit = LIMITS.aggregate.maxPathsPerHour;
    const firstSession = uuidv7();
    const paths = Array.from({ length: limit }, (_, i) => `/p/${i}`);
    const messages = [];
    for (let i = 0; i < paths.length; i += LIMITS.collect.maxEventsPerBatch) {
      messages.push(
        msg(
          siteId,
          firstSession,
          paths.slice(i, i + LIMITS.collect.maxEventsPerBatch).map((path) => ({ path })),
        ),
      );
    }
    await stub.ingest(name, messages);
    // A scripted flood of new pages, a known page again, and a new page in the next hour.
    const flood = uuidv7();
    await stub.ingest(name, [
      msg(siteId, flood, [{ path: "/random/a" }, { path: "/random/b" }, { path: "/random/a" }, { path: "/p/7" }]),
      msg(siteId, uuidv7(), [{ path: "/random/c" }, { path: "/next-hour", ts: HOUR + 3_600_000 + 60_000 }]),
    ]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const rows = await statsOf(siteId);
    expect(rows.filter((r) => r.hour === HOUR).length).toBe(limit + 1);
    expect(rows.find((r) => r.path === "(other)")).toEqual({ hour: HOUR, path: "(other)", pageviews: 4, sessions: 2 });
    expect(rows.find((r) => r.path === "/p/7")).toEqual({ hour: HOUR, path: "/p/7", pageviews: 2, sessions: 2 });
    expect(rows.find((r) => r.path === "/next-hour")?.pageviews).toBe(1);
    expect(rows.some((r) => r.path.startsWith("/random/"))).toBe(false);
  });
});

describe("SiteAggregator site totals and breakdowns", () => {
  const H2 = HOUR + 3_600_000;

  it("counts a session once, in its first hour, across hours, pages, ingest calls and flushes", async () => {
    const { siteId, name, stub } = setup();
    const s1 = uuidv7();
    const s2 = uuidv7();
    await stub.ingest(name, [msg(siteId, s1, [{ path: "/" }, { path: "/a" }, { path: "/b" }])]);
    await stub.ingest(name, [
      msg(siteId, s1, [{ path: "/c" }, { path: "/d", ts: H2 + 1 }]),
      msg(siteId, s2, [{ path: "/" }]),
    ]);
    // s1 spans two hours and counts once, in the first: a range's sum is distinct sessions.
    expect((await stub.pending()).site).toEqual({ rows: 2, pageviews: 6, sessions: 2 });
    expect(await runDurableObjectAlarm(stub)).toBe(true);

    // Page rows count s1 once per page: their sessions sum to 5 in the first hour, not 2.
    const pages = await statsOf(siteId);
    expect(pages.filter((r) => r.hour === HOUR).reduce((n, r) => n + r.sessions, 0)).toBe(5);
    expect(await siteStatsOf(siteId)).toEqual([
      { hour: HOUR, pageviews: 5, sessions: 2 },
      { hour: H2, pageviews: 1, sessions: 0 },
    ]);

    // After the flush the session is still known: a pageview, no new session, also on a page
    // it saw in an earlier hour.
    await stub.ingest(name, [msg(siteId, s1, [{ path: "/e" }, { path: "/a", ts: H2 + 2 }])]);
    expect((await stub.pending()).site).toEqual({ rows: 2, pageviews: 2, sessions: 0 });
    await runDurableObjectAlarm(stub);
    expect((await siteStatsOf(siteId))[0]).toEqual({ hour: HOUR, pageviews: 6, sessions: 2 });
    expect((await statsOf(siteId)).find((r) => r.path === "/a" && r.hour === H2)).toEqual({
      hour: H2,
      path: "/a",
      pageviews: 1,
      sessions: 0,
    });
  });

  it("keeps pageviews and distinct sessions per device, country and referrer", async () => {
    const { siteId, name, stub } = setup();
    const [s1, s2, s3] = [uuidv7(), uuidv7(), uuidv7()];
    const desktopDE = { device: "desktop", country: "DE" } as const;
    await stub.ingest(name, [
      // Landed from Google, then two internal navigations (no referrer value).
      clientMsg(siteId, s1, desktopDE, [{ path: "/", ref: "google.com" }, { path: "/a" }, { path: "/b" }]),
      clientMsg(siteId, s2, { device: "mobile", country: "DE" }, [{ path: "/", ref: "(direct)" }]),
    ]);
    await stub.ingest(name, [
      clientMsg(siteId, s3, { device: "desktop", country: "FR" }, [{ path: "/pricing", ref: "google.com" }]),
      // s1 comes back from Hacker News within the hour.
      clientMsg(siteId, s1, desktopDE, [{ path: "/", ref: "news.ycombinator.com" }]),
    ]);
    const pending = await stub.pending();
    expect(pending.site).toEqual({ rows: 1, pageviews: 6, sessions: 3 });
    expect(pending.dimensions.device).toEqual({ rows: 2, pageviews: 6, sessions: 3 });
    expect(pending.dimensions.referrer).toEqual({ rows: 3, pageviews: 4, sessions: 4 });

    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.pending()).toMatchObject({ site: { rows: 0 }, dimensions: { country: { rows: 0 } } });
    const row = (dimension: string, value: string, pageviews: number, sessions: number) => ({
      dimension,
      value,
      hour: HOUR,
      pageviews,
      sessions,
    });
    expect(await dimensionStatsOf(siteId)).toEqual([
      row("country", "DE", 5, 2),
      row("country", "FR", 1, 1),
      row("device", "desktop", 5, 2),
      row("device", "mobile", 1, 1),
      row("referrer", "(direct)", 1, 1),
      row("referrer", "google.com", 2, 2),
      row("referrer", "news.ycombinator.com", 1, 1),
    ]);
    expect(await siteStatsOf(siteId)).toEqual([{ hour: HOUR, pageviews: 6, sessions: 3 }]);
  });

  it("counts a redelivered message and a retried flush once in every table", async () => {
    const { siteId, name, stub } = setup();
    const m = clientMsg(siteId, uuidv7(), { device: "desktop", country: "DE" }, [
      { path: "/", ref: "google.com" },
      { path: "/a" },
    ]);
    await stub.ingest(name, [m]);
    expect(await stub.ingest(name, [m])).toEqual({ counted: 0, duplicates: 2, overQuota: 0 });

    // The first flush commits but its reply is lost.
    const restore = await runInDurableObject(stub, (instance: SiteAggregator) =>
      brokenSink(instance, { applyFirst: true }),
    );
    await runDurableObjectAlarm(stub);
    expect(await stub.pending()).toMatchObject({ inFlight: true, failures: 1, site: { rows: 1 } });

    // Meanwhile: a redelivery (nothing) and a new session (pending beside the in-flight flush).
    expect(await stub.ingest(name, [m])).toEqual({ counted: 0, duplicates: 2, overQuota: 0 });
    await stub.ingest(name, [
      clientMsg(siteId, uuidv7(), { device: "mobile", country: "FR" }, [{ path: "/a", ref: "(direct)" }]),
    ]);
    await runInDurableObject(stub, () => restore());
    const retried = await runInDurableObject(stub, (instance: SiteAggregator) => instance.flush());
    expect(retried).toMatchObject({ status: "duplicate", flushId: expect.any(String) });
    expect(await runInDurableObject(stub, (instance: SiteAggregator) => instance.flush())).toMatchObject({
      status: "applied",
    });
    expect(await stub.ingest(name, [m])).toEqual({ counted: 0, duplicates: 2, overQuota: 0 });
    expect(await stub.pending()).toMatchObject({ rows: 0, inFlight: false, site: { rows: 0 } });
    // The alarm armed during the outage may still run; it finds nothing to send.
    await runDurableObjectAlarm(stub);

    expect(await statsOf(siteId)).toEqual([
      { hour: HOUR, path: "/", pageviews: 1, sessions: 1 },
      { hour: HOUR, path: "/a", pageviews: 2, sessions: 2 },
    ]);
    expect(await siteStatsOf(siteId)).toEqual([{ hour: HOUR, pageviews: 3, sessions: 2 }]);
    expect((await dimensionStatsOf(siteId)).map((r) => [r.dimension, r.value, r.pageviews, r.sessions])).toEqual([
      ["country", "DE", 2, 1],
      ["country", "FR", 1, 1],
      ["device", "desktop", 2, 1],
      ["device", "mobile", 1, 1],
      ["referrer", "(direct)", 1, 1],
      ["referrer", "google.com", 1, 1],
    ]);
  });

  it("counts a message without device, country or referrer as unknown, with no referrer row", async () => {
    const { siteId, name, stub } = setup();
    const s = uuidv7();
    await stub.ingest(name, [msg(siteId, s, [{ path: "/" }, { path: "/x" }])]);
    await runDurableObjectAlarm(stub);
    expect(await siteStatsOf(siteId)).toEqual([{ hour: HOUR, pageviews: 2, sessions: 1 }]);
    expect((await dimensionStatsOf(siteId)).map((r) => [r.dimension, r.value, r.pageviews, r.sessions])).toEqual([
      ["country", "unknown", 2, 1],
      ["device", "unknown", 2, 1],
    ]);
  });

  it("remembers at most maxKeysPerSession pages and values per session", async () => {
    const { siteId, name, stub } = setup();
    const max = LIMITS.aggregate.maxKeysPerSession;
    const s = uuidv7();
    const client = { device: "desktop", country: "DE" } as const;
    // Device and country take two of the session's keys; then one page per event.
    const paths = Array.from({ length: max + 10 }, (_, i) => `/p${i}`);
    const messages = [];
    for (let i = 0; i < paths.length; i += 100) {
      messages.push(
        clientMsg(
          siteId,
          s,
          client,
          paths.slice(i, i + 100).map((path) => ({ path })),
        ),
      );
    }
    expect(await stub.ingest(name, messages)).toEqual({ counted: max + 10, duplicates: 0, overQuota: 0 });
    // The same pages again in a later call: no session is counted twice, remembered or not.
    const again = clientMsg(
      siteId,
      s,
      client,
      paths.slice(-20).map((path) => ({ path })),
    );
    expect(await stub.ingest(name, [again])).toEqual({ counted: 20, duplicates: 0, overQuota: 0 });
    await runDurableObjectAlarm(stub);

    const rows = await statsOf(siteId);
    expect(rows.reduce((n, r) => n + r.pageviews, 0)).toBe(max + 30);
    const counted = rows.filter((r) => r.sessions === 1).map((r) => r.path);
    expect(counted).toHaveLength(max - 2);
    expect(new Set(counted)).toEqual(new Set(paths.slice(0, max - 2)));
    expect(rows.every((r) => r.sessions <= 1)).toBe(true);
    expect(await siteStatsOf(siteId)).toEqual([{ hour: HOUR, pageviews: max + 30, sessions: 1 }]);
  });

  it("stays under the statement parameter limit with many keys and sessions in one call", async () => {
    const { siteId, name, stub } = setup();
    const messages = Array.from({ length: 30 }, (_, i) =>
      clientMsg(
        siteId,
        uuidv7(),
        { device: "desktop", country: "DE" },
        Array.from({ length: 10 }, (_, j) => ({ path: `/p${j}`, ref: `r${i % 7}.example`, ts: HOUR + j * 1_000 })),
      ),
    );
    expect(await stub.ingest(name, messages)).toEqual({ counted: 300, duplicates: 0, overQuota: 0 });
    const p = await stub.pending();
    expect(p).toMatchObject({ rows: 10, pageviews: 300, site: { rows: 1, pageviews: 300, sessions: 30 } });
    expect(p.dimensions.referrer).toEqual({ rows: 7, pageviews: 300, sessions: 30 });
    await runDurableObjectAlarm(stub);
    expect(await siteStatsOf(siteId)).toEqual([{ hour: HOUR, pageviews: 300, sessions: 30 }]);
  });
});

describe("SiteAggregator storage of an object made before sessions", () => {
  /** The session tables as earlier versions created them: a row per session and key. */
  const FORMER = `
    CREATE TABLE seen_sessions (hour INTEGER NOT NULL, path TEXT NOT NULL, session TEXT NOT NULL,
      PRIMARY KEY (hour, path, session)) WITHOUT ROWID;
    CREATE TABLE site_seen_sessions (hour INTEGER NOT NULL, session TEXT NOT NULL,
      PRIMARY KEY (hour, session)) WITHOUT ROWID;
    CREATE TABLE dimension_seen_sessions (hour INTEGER NOT NULL, dimension TEXT NOT NULL, value TEXT NOT NULL,
      session TEXT NOT NULL, PRIMARY KEY (hour, dimension, value, session)) WITHOUT ROWID;`;

  it("moves the sessions it counted into sessions when it starts, so they are not counted again", async () => {
    const { siteId, name, stub } = setup();
    const known = uuidv7();
    const tables = await runInDurableObject(stub, (_instance: SiteAggregator, state) => {
      const sql = state.storage.sql;
      sql.exec(FORMER);
      sql.exec("INSERT INTO seen_sessions VALUES (?, '/', ?)", HOUR, known);
      sql.exec("INSERT INTO site_seen_sessions VALUES (?, ?)", HOUR, known);
      sql.exec("INSERT INTO dimension_seen_sessions VALUES (?, 'device', 'desktop', ?)", HOUR, known);
      // The object starting again over the same storage, as after a deploy.
      new SiteAggregator(state, env);
      return sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%session%'")
        .toArray()
        .map((r) => r.name);
    });
    expect(tables).toEqual(["sessions"]);

    const client = { device: "desktop", country: "DE" } as const;
    await stub.ingest(name, [
      clientMsg(siteId, known, client, [{ path: "/" }, { path: "/new" }]),
      clientMsg(siteId, uuidv7(), client, [{ path: "/" }]),
    ]);
    const p = await stub.pending();
    // The known session counts again only where it had not been seen: on /new and in DE.
    expect(p).toMatchObject({ pageviews: 3, site: { pageviews: 3, sessions: 1 } });
    expect(p.dimensions.device).toEqual({ rows: 1, pageviews: 3, sessions: 1 });
    expect(p.dimensions.country).toEqual({ rows: 1, pageviews: 3, sessions: 2 });
    await runDurableObjectAlarm(stub);
    expect(await statsOf(siteId)).toEqual([
      { hour: HOUR, path: "/", pageviews: 2, sessions: 1 },
      { hour: HOUR, path: "/new", pageviews: 1, sessions: 1 },
    ]);
  });
});

describe("SiteAggregator storage of an object made before sessions spanned hours", () => {
  it("merges a session's session_hours rows into one, so no hour counts it again", async () => {
    const { siteId, name, stub } = setup();
    const known = uuidv7();
    await runInDurableObject(stub, (_instance: SiteAggregator, state) => {
      const sql = state.storage.sql;
      sql.exec(`CREATE TABLE session_hours (hour INTEGER NOT NULL, session TEXT NOT NULL, seen TEXT NOT NULL,
        PRIMARY KEY (hour, session)) WITHOUT ROWID`);
      sql.exec("INSERT INTO session_hours VALUES (?, ?, ?)", HOUR, known, JSON.stringify(["p/", "ddesktop"]));
      sql.exec("INSERT INTO session_hours VALUES (?, ?, ?)", HOUR + 3_600_000, known, JSON.stringify(["p/b"]));
      new SiteAggregator(state, env);
    });
    await stub.ingest(name, [
      clientMsg(siteId, known, { device: "desktop", country: "DE" }, [
        { path: "/" },
        { path: "/b" },
        { path: "/c", ts: HOUR + 3_600_000 },
      ]),
    ]);
    const p = await stub.pending();
    expect(p.site).toMatchObject({ pageviews: 3, sessions: 0 });
    expect(p.dimensions.device).toMatchObject({ sessions: 0 });
    await runDurableObjectAlarm(stub);
    expect((await statsOf(siteId)).map((r) => [r.path, r.sessions])).toEqual([
      ["/", 0],
      ["/b", 0],
      ["/c", 1],
    ]);
  });
});

describe("SiteAggregator visitors, bots and campaigns", () => {
  it("counts a daily visitor once across sessions, calls and flushes, in its first hour", async () => {
    const { siteId, name, stub } = setup();
    const client = { device: "desktop", country: "DE" } as const;
    const as = (visitor: string, m: IngestMessage): IngestMessage => ({ ...m, visitor });
    await stub.ingest(name, [
      as("v1", clientMsg(siteId, uuidv7(), client, [{ path: "/" }])),
      as("v1", clientMsg(siteId, uuidv7(), client, [{ path: "/a", ts: HOUR + 3_600_000 }])),
      as("v2", clientMsg(siteId, uuidv7(), client, [{ path: "/", ts: HOUR + 3_600_000 }])),
    ]);
    await runDurableObjectAlarm(stub);
    await stub.ingest(name, [as("v2", clientMsg(siteId, uuidv7(), client, [{ path: "/b" }]))]);
    await runDurableObjectAlarm(stub);
    expect(await visitorsOf(siteId)).toEqual([
      { hour: HOUR, visitors: 1 },
      { hour: HOUR + 3_600_000, visitors: 1 },
    ]);
    // Messages without a visitor (older ones, or no salt) add sessions but no visitors.
    expect((await siteStatsOf(siteId)).reduce((n, r) => n + r.sessions, 0)).toBe(4);
  });

  it("keeps bots out of every table but their own device row", async () => {
    const { siteId, name, stub } = setup();
    await stub.ingest(name, [
      {
        ...clientMsg(siteId, uuidv7(), { device: "bot", country: "US" }, [
          { path: "/", ref: "(direct)" },
          { path: "/a" },
        ]),
        visitor: "crawler",
      },
      clientMsg(siteId, uuidv7(), { device: "mobile", country: "DE" }, [{ path: "/" }]),
    ]);
    await runDurableObjectAlarm(stub);
    expect(await siteStatsOf(siteId)).toEqual([{ hour: HOUR, pageviews: 1, sessions: 1 }]);
    expect(await statsOf(siteId)).toEqual([{ hour: HOUR, path: "/", pageviews: 1, sessions: 1 }]);
    expect(await visitorsOf(siteId)).toEqual([{ hour: HOUR, visitors: 0 }]);
    expect((await dimensionStatsOf(siteId)).map((r) => [r.dimension, r.value, r.pageviews, r.sessions])).toEqual([
      ["country", "DE", 1, 1],
      ["device", "bot", 2, 1],
      ["device", "mobile", 1, 1],
    ]);
  });

  it("keeps utm_source, utm_medium and utm_campaign as breakdowns", async () => {
    const { siteId, name, stub } = setup();
    const m = msg(siteId, uuidv7(), [{ path: "/" }, { path: "/a" }]);
    const [first] = m.events;
    if (first) Object.assign(first, { utm_source: "newsletter", utm_medium: "email", utm_campaign: "winter" });
    await stub.ingest(name, [m]);
    await runDurableObjectAlarm(stub);
    const campaigns = (await dimensionStatsOf(siteId)).filter((r) => r.dimension.startsWith("utm_"));
    expect(campaigns.map((r) => [r.dimension, r.value, r.pageviews, r.sessions])).toEqual([
      ["utm_campaign", "winter", 1, 1],
      ["utm_medium", "email", 1, 1],
      ["utm_source", "newsletter", 1, 1],
    ]);
  });
});

describe("SiteAggregator daily quota", () => {
  const withQuota = (quota: number, m: IngestMessage): IngestMessage => ({ ...m, quota });
  const pages = (n: number) => Array.from({ length: n }, (_, i) => ({ path: `/q${i}` }));

  it("counts up to the quota, refuses the rest of the day, and reports the day once", async () => {
    const { siteId, name, stub } = setup();
    const today = dayOf(Date.now());
    const r1 = await stub.ingest(name, [withQuota(5, msg(siteId, uuidv7(), pages(3)))]);
    expect(r1).toEqual({ counted: 3, duplicates: 0, overQuota: 0 });
    const r2 = await stub.ingest(name, [withQuota(5, msg(siteId, uuidv7(), pages(4)))]);
    expect(r2).toEqual({ counted: 2, duplicates: 0, overQuota: 2, quotaSpentDay: today });
    const r3 = await stub.ingest(name, [withQuota(5, msg(siteId, uuidv7(), pages(2)))]);
    expect(r3).toEqual({ counted: 0, duplicates: 0, overQuota: 2, quotaSpentDay: today });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await siteStatsOf(siteId))[0]?.pageviews).toBe(5);
    expect(await quotaDaysOf(siteId)).toEqual([dayString(today)]);

    // A raised quota counts again; the day stays reported once.
    const r4 = await stub.ingest(name, [withQuota(6, msg(siteId, uuidv7(), pages(2)))]);
    expect(r4).toEqual({ counted: 1, duplicates: 0, overQuota: 1, quotaSpentDay: today });
    await runDurableObjectAlarm(stub);
    expect((await siteStatsOf(siteId))[0]?.pageviews).toBe(6);
    expect(await quotaDaysOf(siteId)).toEqual([dayString(today)]);
  });

  it("does not count an event refused over quota when it is redelivered", async () => {
    const { siteId, name, stub } = setup();
    const m = withQuota(1, msg(siteId, uuidv7(), pages(2)));
    expect(await stub.ingest(name, [m])).toMatchObject({ counted: 1, overQuota: 1 });
    expect(await stub.ingest(name, [withQuota(10, m)])).toEqual({ counted: 0, duplicates: 2, overQuota: 0 });
  });
});
