/**
 * The click heatmap query (GET /v1/sites/{siteId}/heatmaps?type=click) over 1,000,000 clicks on
 * one page: the statement the API runs (`heatmapsData`), through the production driver and the
 * WebSocket bridge. The clicks are made as visitors would send them (400 elements with a
 * Zipf-like share each, positions anywhere in the element, 1 in 100 without a selector (the
 * tracker finds a path to <body> for any element, so these are clicks on the page itself),
 * 1 in 100 a rage click, spread over 30 days), binned with the edge's own functions
 * (@sightline/core/heatmap) and written through the aggregator's Postgres sink, one flush per
 * day, as the aggregators would write them. The site splits its heatmaps by one flag of two
 * variants (issue 13), so each click lands again under the variant its visitor was served, as
 * many rows again beside all visitors' ones: the default read (all visitors) must not pay for
 * them. Target (issue 12): p50 <= 50 ms. The read of one variant is logged beside it.
 */
import type { HeatDelta } from "@sightline/core/aggregate";
import { elementCell, pageCell } from "@sightline/core/heatmap";
import { heatmapsData, postgresStatsSink } from "@sightline/db";
import { newId } from "@sightline/shared/ids";
import { sql } from "drizzle-orm";
import type { BenchDb } from "./lib/db.ts";
import type { SectionHooks } from "./lib/section.ts";

const SITE = "site_heatmaps_bench";
const PATH = "/pricing";
const DAYS = 30;
const ELEMENTS = 400;
const DAY_MS = 24 * 60 * 60 * 1000;
/** The flag the site splits its heatmaps by, 50/50. */
const VARIANTS = ["checkout=a", "checkout=b"];

export interface HeatmapQueryResult {
  clicks: number;
  elementRows: number;
  gridRows: number;
  writeMs: number;
  queries: number;
  p50Ms: number;
  p95Ms: number;
}

export interface HeatmapQueryOptions extends SectionHooks {
  db: BenchDb;
  clicks: number;
  repeats: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** A small deterministic generator, so every run stores the same clicks. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The heat deltas of `clicks` clicks on one day, as an aggregator would flush them. */
function dayDeltas(day: string, clicks: number, rnd: () => number): HeatDelta[] {
  const counts = new Map<string, HeatDelta>();
  let variant = "";
  // Each click for all visitors and again under its visitor's variant, as the aggregator adds it.
  const add = (kind: HeatDelta["kind"], selector: string, cell: number) => {
    for (const v of variant === "" ? [""] : ["", variant]) {
      const k = `${kind}\0${v}\0${selector}\0${cell}`;
      const d = counts.get(k);
      if (d) d.count++;
      else counts.set(k, { day, path: PATH, device: "desktop", kind, variant: v, selector, cell, count: 1 });
    }
  };
  // Element i gets a share of about 1 / (i + 1): a few hot buttons, a long tail.
  const harmonic = Array.from({ length: ELEMENTS }, (_, i) => 1 / (i + 1));
  const total = harmonic.reduce((a, b) => a + b, 0);
  const cumulative: number[] = [];
  let acc = 0;
  for (const h of harmonic) {
    acc += h / total;
    cumulative.push(acc);
  }
  for (let n = 0; n < clicks; n++) {
    variant = VARIANTS[n % VARIANTS.length] ?? "";
    if (rnd() < 0.01) {
      add("click", "", pageCell(Math.floor(rnd() * 1440), Math.floor(rnd() * 6000), 1440));
      continue;
    }
    const r = rnd();
    let i = cumulative.findIndex((c) => c >= r);
    if (i < 0) i = ELEMENTS - 1;
    const selector = `main>section:nth-of-type(${(i % 20) + 1})>div:nth-of-type(${Math.floor(i / 20) + 1})>button`;
    const cell = elementCell(rnd(), rnd());
    add("click", selector, cell);
    if (rnd() < 0.01) add("rage", selector, cell);
  }
  // In the order a flush hands them over: the aggregator reads heat_deltas by its key, so a
  // flush's rows of all visitors come together, then each variant's.
  const order = (d: HeatDelta) => `${d.kind}\0${d.variant}\0${d.selector}\0${String(d.cell).padStart(4, "0")}`;
  return [...counts.values()].sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}

export async function benchHeatmapQuery(opts: HeatmapQueryOptions): Promise<HeatmapQueryResult> {
  const { db } = opts.db;
  const clear = async () => {
    await db.execute(sql`delete from heatmap_elements where site_id = ${SITE}`);
    await db.execute(sql`delete from heatmap_cells where site_id = ${SITE}`);
    await db.execute(sql`delete from flush_log where site_id = ${SITE}`);
  };
  await clear();
  const untrack = opts.track(clear);
  const sink = postgresStatsSink(db);
  const rnd = random(12);
  const now = Date.now();
  const t0 = performance.now();
  for (let d = 0; d < DAYS; d++) {
    const day = new Date(now - d * DAY_MS).toISOString().slice(0, 10);
    // The first day takes the remainder, so the days add up to `clicks` exactly.
    const perDay = Math.floor(opts.clicks / DAYS);
    const heat = dayDeltas(day, d === 0 ? opts.clicks - perDay * (DAYS - 1) : perDay, rnd);
    await sink.apply({ flushId: newId("flush"), siteId: SITE, shard: 0, rows: [], site: [], dimensions: [], heat });
  }
  const writeMs = Math.round(performance.now() - t0);
  await db.execute(sql`analyze heatmap_elements`);
  await db.execute(sql`analyze heatmap_cells`);
  const [counts] = (
    await db.execute<{ clicks: string; elements: string; cells: string }>(sql`
      select (select coalesce(sum(count), 0) from heatmap_elements where site_id = ${SITE} and kind = 'click' and variant = '')
           + (select coalesce(sum(count), 0) from heatmap_cells where site_id = ${SITE} and kind = 'click' and variant = '') as clicks,
             (select count(*) from heatmap_elements where site_id = ${SITE}) as elements,
             (select count(*) from heatmap_cells where site_id = ${SITE}) as cells`)
  ).rows;
  opts.log(
    `heatmaps: ${Number(counts?.clicks).toLocaleString("en-US")} clicks in ${counts?.elements} element rows and ${counts?.cells} grid rows, written in ${writeMs} ms`,
  );

  const range = {
    from: new Date(now - (DAYS - 1) * DAY_MS).toISOString().slice(0, 10),
    to: new Date(now).toISOString().slice(0, 10),
  };
  const timed = async (variant: string) => {
    const query = () =>
      heatmapsData.heatmap(db, SITE, { path: PATH, device: "desktop", type: "click", variant, ...range });
    await query();
    const times: number[] = [];
    for (let i = 0; i < opts.repeats; i++) {
      const t = performance.now();
      const result = await query();
      times.push(performance.now() - t);
      if (!("items" in result) || result.items.length === 0) throw new Error("heatmaps: the click query found nothing");
    }
    return times.sort((a, b) => a - b);
  };
  const times = await timed("");
  const one = await timed(VARIANTS[1] ?? "");
  const ms = (t: number[], q: number) => Math.round(quantile(t, q) * 10) / 10;
  opts.log(`heatmaps: one variant's click heatmap (${VARIANTS[1]}) p50 ${ms(one, 0.5)} ms, p95 ${ms(one, 0.95)} ms`);
  await clear();
  untrack();
  return {
    clicks: Number(counts?.clicks),
    elementRows: Number(counts?.elements),
    gridRows: Number(counts?.cells),
    writeMs,
    queries: times.length,
    p50Ms: ms(times, 0.5),
    p95Ms: ms(times, 0.95),
  };
}
