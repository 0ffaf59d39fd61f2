/**
 * Heatmaps split by flag variant: /v1/collect puts the variants a batch reports (the page was
 * served them) of the site's public flags with `heatmaps` on beside its heat items (heatFlags),
 * and the aggregator counts each item for all visitors ("") and again under each of them, once
 * however often it is delivered.
 */
import { createExecutionContext, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { aggregatorName, dayOf, dayString, hourOf } from "@sightline/core/aggregate";
import { type Flag, flagSchema, type SiteFlags } from "@sightline/shared/flags";
import { uuidv7 } from "@sightline/shared/ids";
import { FLAG_LIMITS } from "@sightline/shared/limits/flags";
import type { CollectBatch, HeatItem, IngestMessage, WireEvent } from "@sightline/shared/wire";
import { describe, expect, it, vi } from "vitest";
import { SiteAggregator } from "../src/aggregator/site-aggregator.ts";
import { EdgeAdmin } from "../src/edge-admin.ts";
import { FLAGS, PHONE, reported, variantOf } from "./flag-fixtures.ts";
import { heatOf, ingestMessageFor, makeSite, ORIGIN, pageview, post } from "./helpers.ts";

/** FLAGS with heatmaps on for a device rule and a split (a private flag cannot: it never reaches a page). */
const SPLIT_BY = ["phones", "split"];
const HEAT_FLAGS = FLAGS.map((f) => (SPLIT_BY.includes(f.key) ? flagSchema.parse({ ...f, heatmaps: true }) : f));

const stubOf = (siteId: string, sessionId: string) =>
  env.AGGREGATOR.get(env.AGGREGATOR.idFromName(aggregatorName(siteId, sessionId, 1)));

/** A page's clicks and scroll, with the variants its loader served (device as the edge classes the User-Agent). */
function clicks(siteKey: string, withPageview: boolean, flags: Flag[], device: string, now = Date.now()): CollectBatch {
  const base = { ts: now, url: `${ORIGIN}/pricing`, vw: 1440 };
  const events: WireEvent[] = [
    ...(withPageview ? [pageview("/pricing", now)] : []),
    { type: "click", id: uuidv7(now), ...base, sel: "#buy", ex: 0.5, ey: 0.5, x: 700, y: 300, rage: true },
    { type: "scroll", id: uuidv7(now), ...base, depth: 0.5 },
  ];
  const sessionId = uuidv7();
  return {
    v: 1,
    siteKey,
    sessionId,
    sentAt: now,
    events,
    flags: reported(flags, { sessionId, path: "/pricing", device }),
  };
}

/** Posts a batch and flushes its shard once its heat rows are waiting. */
async function landed(siteId: string, batch: CollectBatch, userAgent?: string) {
  expect((await post(batch, userAgent ? { userAgent } : {})).status).toBe(202);
  const stub = stubOf(siteId, batch.sessionId);
  await vi.waitFor(async () => expect((await stub.pending()).heat.count).toBeGreaterThan(0), {
    timeout: 10_000,
    interval: 100,
  });
  expect(await runDurableObjectAlarm(stub)).toBe(true);
}

describe("heat per flag variant, from collect to Postgres", () => {
  it("counts heat for all visitors and under each served variant of the public flags with heatmaps on", async () => {
    const site = await makeSite();
    await new EdgeAdmin(createExecutionContext(), env).putFlags(site.siteKey, {
      version: 1,
      flags: HEAT_FLAGS,
    } as SiteFlags);

    // A phone with a pageview, then a desktop batch of heat alone (the interactions chunk's).
    const phone = clicks(site.siteKey, true, HEAT_FLAGS, "mobile");
    await landed(site.siteId, phone, PHONE);
    const desktop = clicks(site.siteKey, false, HEAT_FLAGS, "desktop");
    await landed(site.siteId, desktop);

    const split = HEAT_FLAGS.find((f) => f.key === "split");
    const all = await heatOf(site.siteId);
    const clicked = (h: typeof all) => h.elements.filter((e) => e.kind === "click").map((e) => e.count);
    const raged = (h: typeof all) => h.elements.filter((e) => e.kind === "rage").map((e) => e.count);
    expect(clicked(all)).toEqual([2]);
    expect(raged(all)).toEqual([2]);
    expect(all.cells).toMatchObject([{ kind: "scroll", cell: 10, count: 2 }]);

    const phonesOn = await heatOf(site.siteId, "phones=on");
    expect(clicked(phonesOn)).toEqual([1]);
    expect(raged(phonesOn)).toEqual([1]);
    expect(phonesOn.cells).toMatchObject([{ kind: "scroll", cell: 10, count: 1 }]);
    expect(clicked(await heatOf(site.siteId, "phones=off"))).toEqual([1]);

    const splitCounts = new Map<string, number>();
    for (const b of [phone, desktop]) {
      const v = `split=${variantOf(split, b.sessionId)}`;
      splitCounts.set(v, (splitCounts.get(v) ?? 0) + 1);
    }
    for (const [variant, n] of splitCounts) expect(clicked(await heatOf(site.siteId, variant)), variant).toEqual([n]);

    // Flags without heatmaps on, and the private one (never reported: the loader does not carry it), add no rows.
    for (const variant of ["static-on=on", "pricing-page=on", "pricing-page=off", "beta-list=on", "beta-list=off"]) {
      expect(await heatOf(site.siteId, variant), variant).toEqual({ elements: [], cells: [] });
    }
  });

  it("adds no variant rows for a site whose flags do not split heatmaps", async () => {
    const site = await makeSite();
    await new EdgeAdmin(createExecutionContext(), env).putFlags(site.siteKey, {
      version: 1,
      flags: FLAGS,
    } as SiteFlags);
    const batch = clicks(site.siteKey, true, FLAGS, "desktop");
    await landed(site.siteId, batch);
    expect((await heatOf(site.siteId)).elements).toHaveLength(2);
    expect(await heatOf(site.siteId, "phones=off")).toEqual({ elements: [], cells: [] });
  });

  it(`refuses at the edge a record with more than ${FLAG_LIMITS.maxHeatmapFlags} heatmap flags`, async () => {
    const site = await makeSite();
    const many = FLAGS.filter((f) => f.key !== "beta-list").map((f) => ({ ...f, heatmaps: true }));
    expect(many.length).toBeGreaterThan(FLAG_LIMITS.maxHeatmapFlags);
    await expect(
      new EdgeAdmin(createExecutionContext(), env).putFlags(site.siteKey, { version: 1, flags: many } as SiteFlags),
    ).rejects.toThrow();
  });
});

describe("SiteAggregator heat per variant", () => {
  const siteOf = () => `site_${uuidv7().replaceAll("-", "")}`;
  // Inside the dedupe window.
  const ts = hourOf(Date.now()) - 3 * 3_600_000;
  const item = (cells: number[], rage = false): HeatItem => ({
    id: uuidv7(ts),
    ts,
    path: "/",
    device: "mobile",
    k: "click",
    sel: "#a",
    cells,
    ...(rage ? { rage: true as const } : {}),
  });
  const message = (siteId: string, heat: HeatItem[], heatFlags?: string[]): IngestMessage => ({
    ...ingestMessageFor(siteId, []),
    heat,
    ...(heatFlags ? { heatFlags } : {}),
  });

  it("adds each item to all visitors and to each of the message's variants; a duplicate counts once", async () => {
    const siteId = siteOf();
    const name = `${siteId}:0`;
    const stub = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(name));
    const first = message(siteId, [item([1], true), item([2])], ["checkout=b", "hero=big"]);
    const other = message(siteId, [item([2])], ["checkout=a"]);
    expect(await stub.ingest(name, [first, other])).toEqual({ counted: 3, duplicates: 0, overQuota: 0 });
    // Redelivered, and one of its items again inside a new message: nothing more.
    expect(await stub.ingest(name, [first])).toEqual({ counted: 0, duplicates: 2, overQuota: 0 });
    const again = { ...message(siteId, [first.heat?.[0] as HeatItem], ["checkout=b"]) };
    expect(await stub.ingest(name, [again])).toEqual({ counted: 0, duplicates: 1, overQuota: 0 });
    // Rows: "" (3 click cells... 2 distinct + a rage), checkout=b and hero=big (2 + rage each), checkout=a (1).
    expect((await stub.pending()).heat).toEqual({ rows: 3 + 3 + 3 + 1, count: 4 });
    expect(await runDurableObjectAlarm(stub)).toBe(true);

    const day = dayString(dayOf(ts));
    const cells = (hot: Record<number, number>) => Array.from({ length: 64 }, (_, i) => hot[i] ?? 0);
    const row = { path: "/", device: "mobile", day, selector: "#a" };
    expect((await heatOf(siteId)).elements).toEqual([
      { ...row, kind: "click", count: 3, cells: cells({ 1: 1, 2: 2 }) },
      { ...row, kind: "rage", count: 1, cells: cells({ 1: 1 }) },
    ]);
    for (const variant of ["checkout=b", "hero=big"]) {
      expect((await heatOf(siteId, variant)).elements, variant).toEqual([
        { ...row, kind: "click", count: 2, cells: cells({ 1: 1, 2: 1 }) },
        { ...row, kind: "rage", count: 1, cells: cells({ 1: 1 }) },
      ]);
    }
    expect((await heatOf(siteId, "checkout=a")).elements).toEqual([
      { ...row, kind: "click", count: 1, cells: cells({ 2: 1 }) },
    ]);
  });

  /** heat_deltas as objects created it before variants. */
  const FORMER = `
    CREATE TABLE heat_deltas (
      flush_id TEXT NOT NULL, day TEXT NOT NULL, path TEXT NOT NULL, device TEXT NOT NULL, kind TEXT NOT NULL,
      selector TEXT NOT NULL, cell INTEGER NOT NULL, count INTEGER NOT NULL,
      PRIMARY KEY (flush_id, day, path, device, kind, selector, cell)) WITHOUT ROWID;`;

  it("rebuilds an older object's heat_deltas with the variant in its key, keeping its rows as all visitors'", async () => {
    const siteId = siteOf();
    const name = `${siteId}:0`;
    const stub = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(name));
    // Names the object for its flush.
    await stub.ingest(name, []);
    const day = dayString(dayOf(ts));
    const key = await runInDurableObject(stub, (_: SiteAggregator, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP TABLE heat_deltas");
      sql.exec(FORMER);
      sql.exec("INSERT INTO heat_deltas VALUES ('', ?, '/', 'mobile', 'click', '#a', 2, 5)", day);
      // The object starting again over the same storage, as after a deploy, twice.
      new SiteAggregator(state, env);
      new SiteAggregator(state, env);
      return sql
        .exec<{ name: string; pk: number }>("SELECT name, pk FROM pragma_table_info('heat_deltas') WHERE pk > 0")
        .toArray()
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name);
    });
    expect(key).toEqual(["flush_id", "day", "path", "device", "kind", "variant", "selector", "cell"]);
    await stub.ingest(name, [message(siteId, [item([2])], ["checkout=b"])]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await heatOf(siteId)).elements).toMatchObject([{ kind: "click", count: 6 }]);
    expect((await heatOf(siteId, "checkout=b")).elements).toMatchObject([{ kind: "click", count: 1 }]);
  });
});
