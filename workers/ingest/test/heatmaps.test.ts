/**
 * Heatmap events from a collect batch to Postgres: binned at the edge, counted once by the
 * site's aggregator whatever is redelivered or retried, and merged per element and cell.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { aggregatorName, dayOf, dayString, type FlushBatch, hourOf } from "@sightline/core/aggregate";
import { uuidv7 } from "@sightline/shared/ids";
import type { CollectBatch, HeatItem, IngestMessage, WireEvent } from "@sightline/shared/wire";
import { describe, expect, it, vi } from "vitest";
import type { SiteAggregator } from "../src/aggregator/site-aggregator.ts";
import { heatOf, ingestMessageFor, makeSite, ORIGIN, pageview, post } from "./helpers.ts";

const BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const URL_ = `${ORIGIN}/pricing?plan=pro#faq`;

function heatBatch(siteKey: string, now = Date.now()): CollectBatch {
  const base = { ts: now, url: URL_ };
  const events: WireEvent[] = [
    pageview("/pricing", now),
    { type: "click", id: uuidv7(now), ...base, sel: "#buy", ex: 0.5, ey: 0.5, x: 700, y: 300, vw: 1440 },
    { type: "click", id: uuidv7(now), ...base, sel: "#buy", ex: 0.51, ey: 0.52, x: 701, y: 301, vw: 1440, rage: true },
    { type: "deadclick", id: uuidv7(now), ...base, sel: "#menu", ex: 0.1, ey: 0.1, x: 20, y: 20, vw: 1440 },
    // No stable selector: the page grid. 720 of 1440 px is column 32; 40 px down is row 2.
    { type: "click", id: uuidv7(now), ...base, x: 720, y: 40, vw: 1440 },
    {
      type: "move",
      id: uuidv7(now),
      ...base,
      vw: 1440,
      pts: [
        [720, 40],
        [0, 0],
      ],
    },
    { type: "scroll", id: uuidv7(now), ...base, depth: 0.5, vw: 1440 },
  ];
  return { v: 1, siteKey, sessionId: uuidv7(), sentAt: now, events };
}

const stubOf = (siteId: string, sessionId: string) =>
  env.AGGREGATOR.get(env.AGGREGATOR.idFromName(aggregatorName(siteId, sessionId, 1)));

describe("heatmap events through collect, the queue and the aggregator", () => {
  it("bins clicks, rage and dead clicks, moves and scroll depth, and lands them per element and cell", async () => {
    const site = await makeSite();
    const now = Date.now();
    const batch = heatBatch(site.siteKey, now);
    const res = await post(batch);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 7, dropped: 0 });

    const stub = stubOf(site.siteId, batch.sessionId);
    await vi.waitFor(async () => expect((await stub.health()).pendingRows).toBeGreaterThan(3), {
      timeout: 10_000,
      interval: 100,
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const day = dayString(dayOf(now));
    const cells = (hot: Record<number, number>) => Array.from({ length: 64 }, (_, i) => hot[i] ?? 0);
    const row = { path: "/pricing", device: "desktop", day };
    const heat = await heatOf(site.siteId);
    expect(heat.elements).toEqual([
      { ...row, kind: "click", selector: "#buy", count: 2, cells: cells({ 36: 2 }) },
      { ...row, kind: "dead", selector: "#menu", count: 1, cells: cells({ 0: 1 }) },
      { ...row, kind: "rage", selector: "#buy", count: 1, cells: cells({ 36: 1 }) },
    ]);
    expect(heat.cells).toEqual([
      { ...row, kind: "click", cell: 160, count: 1 },
      { ...row, kind: "move", cell: 0, count: 1 },
      { ...row, kind: "move", cell: 160, count: 1 },
      { ...row, kind: "scroll", cell: 10, count: 1 },
    ]);
  });

  it("drops heatmap events of a site with heatmaps off, and of bots, counting the pageview only", async () => {
    const off = await makeSite({ heatmaps: false });
    const res = await post(heatBatch(off.siteKey));
    expect(await res.json()).toEqual({ accepted: 1, dropped: 6 });
    const site = await makeSite();
    const bot = await post(heatBatch(site.siteKey), { userAgent: BOT });
    expect(await bot.json()).toEqual({ accepted: 1, dropped: 6 });
  });

  it("counts a redelivered message, a heat-only message and a retried flush once, adding element cells element-wise", async () => {
    const siteId = `site_${uuidv7().replaceAll("-", "")}`;
    const name = `${siteId}:0`;
    const stub = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(name));
    const now = Date.now();
    const item = (cell: number): HeatItem => ({
      id: uuidv7(now),
      ts: now,
      path: "/",
      device: "mobile",
      k: "click",
      sel: "#a",
      cells: [cell],
    });
    const msg = (heat: HeatItem[]): IngestMessage => ({
      v: 1,
      siteId,
      shards: 1,
      sessionId: uuidv7(),
      receivedAt: now,
      events: [],
      heat,
    });
    const first = msg([item(1), item(2)]);
    expect(await stub.ingest(name, [first])).toEqual({ counted: 2, duplicates: 0, overQuota: 0 });
    expect(await stub.ingest(name, [first])).toEqual({ counted: 0, duplicates: 2, overQuota: 0 });

    // The first flush lands but its reply is lost: the same flush id goes again and adds nothing.
    let sent: FlushBatch | undefined;
    await runInDurableObject(stub, async (instance: SiteAggregator) => {
      const real = instance.sinkFactory;
      instance.sinkFactory = () => {
        const inner = real();
        return {
          async apply(batch) {
            sent = batch;
            await inner.apply(batch);
            throw new Error("connection reset");
          },
          close: () => inner.close(),
        };
      };
      expect((await instance.flush()).status).toBe("failed");
      instance.sinkFactory = real;
      expect((await instance.flush()).status).toBe("duplicate");
    });
    expect(sent?.heat).toHaveLength(2);
    await stub.ingest(name, [msg([item(2), item(63)])]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const [element] = (await heatOf(siteId)).elements;
    expect(element?.count).toBe(4);
    expect(element?.cells.filter((c) => c > 0)).toEqual([1, 2, 1]);
    expect([element?.cells[1], element?.cells[2], element?.cells[63]]).toEqual([1, 2, 1]);
  });
});

describe("heat deltas waiting for a flush", () => {
  it("flushes a heat-only message, moves once per point's cell, and reports its rows as pending until then", async () => {
    const siteId = `site_${uuidv7().replaceAll("-", "")}`;
    const name = `${siteId}:0`;
    const stub = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(name));
    // Inside the dedupe window.
    const ts = hourOf(Date.now()) - 3 * 3_600_000;
    const item = (k: HeatItem["k"], cells: number[]): HeatItem => ({
      id: uuidv7(ts),
      ts,
      path: "/",
      device: "tablet",
      k,
      cells,
    });
    const heatOnly: IngestMessage = {
      ...ingestMessageFor(siteId, []),
      heat: [item("scroll", [20]), item("move", [3, 3, 4])],
    };
    expect(await stub.ingest(name, [heatOnly])).toEqual({ counted: 2, duplicates: 0, overQuota: 0 });
    expect((await stub.pending()).heat).toEqual({ rows: 3, count: 4 });
    expect((await stub.health()).pendingRows).toBe(3);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.health()).pendingRows).toBe(0);
    const row = { path: "/", device: "tablet", day: dayString(dayOf(ts)) };
    expect((await heatOf(siteId)).cells).toEqual([
      { ...row, kind: "move", cell: 3, count: 2 },
      { ...row, kind: "move", cell: 4, count: 1 },
      { ...row, kind: "scroll", cell: 20, count: 1 },
    ]);
  });
});
