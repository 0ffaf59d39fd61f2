import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import type { FlushBatch, StatsSink } from "@sightline/core/aggregate";
import { uuidv7 } from "@sightline/shared/ids";
import { LIMITS } from "@sightline/shared/limits";
import type { IngestMessage } from "@sightline/shared/wire";
import { describe, expect, it } from "vitest";
import type { SiteAggregator } from "../src/aggregator/site-aggregator.ts";
import { ingestMessageFor, statsOf } from "./helpers.ts";

const HOUR = Date.UTC(2026, 10, 30, 10);

function setup() {
  const siteId = `site_${uuidv7().replaceAll("-", "")}`;
  const name = `${siteId}:0`;
  const stub = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(name));
  return { siteId, name, stub };
}

function msg(siteId: string, sessionId: string, events: { path: string; ts?: number; id?: string }[]): IngestMessage {
  return ingestMessageFor(
    siteId,
    events.map((e) => ({ ts: HOUR + 60_000, ...e })),
    sessionId,
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
    expect(r1).toEqual({ counted: 3, duplicates: 0 });
    expect(r2).toEqual({ counted: 2, duplicates: 0 });

    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.pending()).toMatchObject({ rows: 0, pageviews: 0 });
    expect(await statsOf(siteId)).toEqual([
      { hour: HOUR, path: "/", pageviews: 3, sessions: 2 },
      { hour: HOUR + 3_600_000, path: "/", pageviews: 1, sessions: 1 },
      { hour: HOUR, path: "/docs", pageviews: 1, sessions: 1 },
    ]);
  });

  it("dedupes across statement chunks when one call carries many events", async () => {
    const { siteId, name, stub } = setup();
    const events = Array.from({ length: 120 }, (_, i) => ({ path: `/p${i % 3}` }));
    const first = msg(siteId, uuidv7(), events);
    const again = { ...first, events: first.events.slice(40, 110) };
    expect(await stub.ingest(name, [first, again])).toEqual({ counted: 120, duplicates: 70 });
    expect(await stub.pending()).toMatchObject({ rows: 3, pageviews: 120 });
  });

  it("never counts a redelivered event twice, before or after a flush", async () => {
    const { siteId, name, stub } = setup();
    const m = msg(siteId, uuidv7(), [{ path: "/p" }, { path: "/q" }]);
    await stub.ingest(name, [m]);
    expect(await stub.ingest(name, [m])).toEqual({ counted: 0, duplicates: 2 });
    await runDurableObjectAlarm(stub);
    expect(await stub.ingest(name, [m])).toEqual({ counted: 0, duplicates: 2 });
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    expect((await statsOf(siteId)).map((r) => r.pageviews)).toEqual([1, 1]);
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
    expect(result).toMatchObject({ status: "duplicate", rows: 1 });
    expect(await stub.pending()).toMatchObject({ rows: 0 });
    expect(await statsOf(siteId)).toEqual([{ hour: HOUR, path: "/once", pageviews: 1, sessions: 1 }]);
  });
});
