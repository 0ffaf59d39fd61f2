/**
 * Heatmap items in the site aggregator against its bounds: the daily event quota they share
 * with pageviews, the pages-per-hour cap (a folded page keeps no heatmap), and a flush of
 * thousands of cells and elements past DO SQLite's 100 bound parameters and a Postgres
 * statement's chunk.
 */
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { aggregatorName, dayOf, dayString } from "@sightline/core/aggregate";
import { uuidv7 } from "@sightline/shared/ids";
import { LIMITS } from "@sightline/shared/limits";
import type { HeatItem, IngestMessage } from "@sightline/shared/wire";
import { describe, expect, it } from "vitest";
import { heatOf, ingestMessageFor, statsOf } from "./helpers.ts";

/** A fixed hour long ago: the path cap's hour and the heat rows' day. */
const HOUR = Date.UTC(2026, 0, 5, 10);

function setup() {
  const siteId = `site_${uuidv7().replaceAll("-", "")}`;
  const name = aggregatorName(siteId, uuidv7(), 1);
  return { siteId, name, stub: env.AGGREGATOR.get(env.AGGREGATOR.idFromName(name)) };
}

function click(path: string, cell: number, ts = HOUR + 60_000, sel = "#buy"): HeatItem {
  return { id: uuidv7(ts), ts, path, device: "desktop", k: "click", sel, cells: [cell] };
}

function message(siteId: string, heat: HeatItem[], pageviews: { path: string; ts?: number }[] = []): IngestMessage {
  return { ...ingestMessageFor(siteId, pageviews), heat };
}

describe("heatmap items and the daily event quota", () => {
  it("count against the quota with pageviews, heat-only messages too; refused ones stay refused when redelivered", async () => {
    const { siteId, name, stub } = setup();
    const today = dayOf(Date.now());
    const now = Date.now();
    const withQuota = (m: IngestMessage): IngestMessage => ({ ...m, quota: 3 });
    // A pageview and three clicks against a quota of 3: the pageview and the first two clicks count.
    const first = withQuota(
      message(siteId, [click("/", 1, now), click("/", 2, now), click("/", 3, now)], [{ path: "/", ts: now }]),
    );
    expect(await stub.ingest(name, [first])).toEqual({ counted: 3, duplicates: 0, overQuota: 1, quotaSpentDay: today });
    // The day is spent: a heat-only message counts nothing.
    const heatOnly = withQuota(message(siteId, [click("/", 4, now), click("/", 5, now)]));
    expect(heatOnly.events).toEqual([]);
    expect(await stub.ingest(name, [heatOnly])).toEqual({
      counted: 0,
      duplicates: 0,
      overQuota: 2,
      quotaSpentDay: today,
    });
    // Redelivered: every id is known, the refused ones included.
    expect(await stub.ingest(name, [first])).toEqual({ counted: 0, duplicates: 4, overQuota: 0, quotaSpentDay: today });

    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const [element, ...others] = (await heatOf(siteId)).elements;
    expect(others).toEqual([]);
    expect(element).toMatchObject({ kind: "click", selector: "#buy", count: 2, day: dayString(today) });
    expect(element?.cells.slice(0, 6)).toEqual([0, 1, 1, 0, 0, 0]);
  });

  it("a heat-only message within the quota counts and lands", async () => {
    const { siteId, name, stub } = setup();
    const now = Date.now();
    const m: IngestMessage = { ...message(siteId, [click("/", 9, now), click("/", 9, now)]), quota: 2 };
    expect(await stub.ingest(name, [m])).toEqual({
      counted: 2,
      duplicates: 0,
      overQuota: 0,
      quotaSpentDay: dayOf(now),
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await heatOf(siteId)).elements).toMatchObject([{ count: 2 }]);
  });
});

describe("heatmap items and the pages-per-hour cap", () => {
  it("take the hour's last page slot at the edge of the cap; past it their page is folded and keeps no heatmap", async () => {
    const { siteId, name, stub } = setup();
    const limit = LIMITS.aggregate.maxPathsPerHour;
    const session = uuidv7();
    const known = Array.from({ length: limit - 1 }, (_, i) => ({ path: `/p/${i}`, ts: HOUR + 1_000 }));
    const messages: IngestMessage[] = [];
    for (let i = 0; i < known.length; i += LIMITS.collect.maxEventsPerBatch) {
      messages.push(ingestMessageFor(siteId, known.slice(i, i + LIMITS.collect.maxEventsPerBatch), session));
    }
    await stub.ingest(name, messages);
    // One slot left: a click on a new page takes it; the next new page, with its pageview, is (other).
    expect((await stub.ingest(name, [message(siteId, [click("/edge", 1)])])).counted).toBe(1);
    const past = await stub.ingest(name, [
      message(siteId, [click("/past", 2), click("/p/7", 3)], [{ path: "/past", ts: HOUR + 2_000 }]),
    ]);
    expect(past).toEqual({ counted: 3, duplicates: 0, overQuota: 0 });

    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const heat = await heatOf(siteId);
    expect(heat.elements.map((e) => [e.path, e.count])).toEqual([
      ["/edge", 1],
      ["/p/7", 1],
    ]);
    expect(heat.cells).toEqual([]);
    const stats = await statsOf(siteId);
    expect(stats.find((r) => r.path === "(other)")?.pageviews).toBe(1);
    expect(stats.some((r) => r.path === "/past")).toBe(false);
  });
});

describe("a large heatmap flush", () => {
  it("lands 1,000 elements and 3,000 page cells through bounded statements, each counted once", async () => {
    const { siteId, name, stub } = setup();
    const ts = HOUR + 60_000;
    // 1,000 selectors (more than one Postgres chunk of element rows) and 150 moves of 20
    // distinct page cells each: 4,000 heat_deltas rows, each insert bound to 100 parameters.
    const clicks = Array.from({ length: 1_000 }, (_, i) => click("/big", i % 64, ts, `#e${i}`));
    const moves: HeatItem[] = Array.from({ length: 150 }, (_, i) => ({
      id: uuidv7(ts),
      ts,
      path: "/big",
      device: "desktop",
      k: "move",
      cells: Array.from({ length: 20 }, (_, j) => i * 20 + j),
    }));
    const heat = [...clicks, ...moves];
    const messages: IngestMessage[] = [];
    for (let i = 0; i < heat.length; i += 200) messages.push(message(siteId, heat.slice(i, i + 200)));
    expect(await stub.ingest(name, messages)).toEqual({ counted: 1_150, duplicates: 0, overQuota: 0 });
    expect((await stub.health()).pendingRows).toBe(4_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.health()).pendingRows).toBe(0);

    const rows = await heatOf(siteId);
    expect(rows.elements).toHaveLength(1_000);
    expect(rows.elements.every((e) => e.count === 1 && e.cells.reduce((a, b) => a + b, 0) === 1)).toBe(true);
    expect(rows.cells).toHaveLength(3_000);
    expect(rows.cells.every((c) => c.kind === "move" && c.count === 1)).toBe(true);
    expect(new Set(rows.cells.map((c) => c.cell)).size).toBe(3_000);
  });
});
