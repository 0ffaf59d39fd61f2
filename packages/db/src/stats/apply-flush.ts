/**
 * Applies one aggregator flush in one transaction: page rows, site totals and breakdowns
 * land together or not at all. The flush id goes into flush_log first; when it is already
 * there the flush landed before (a retry after a lost reply) and nothing is added twice.
 */
import type { FlushBatch, HeatDelta, RecordingDelta, StatsSink } from "@sightline/core/aggregate";
import { LIMITS } from "@sightline/shared/limits";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../index.ts";
import {
  deletedSites,
  dimensionStatsHourly,
  ELEMENT_CELLS,
  erasedRecordings,
  flushLog,
  heatmapCells,
  heatmapElements,
  pageStatsHourly,
  quotaDays,
  recordings,
  siteStatsHourly,
} from "../schema/index.ts";

/** At most 6 params a row (breakdowns), so a chunk stays far under Postgres' 65,535. */
const CHUNK = LIMITS.aggregate.flushChunkRows;

async function inChunks<T>(rows: T[], write: (chunk: T[]) => Promise<unknown>, size: number = CHUNK): Promise<void> {
  for (let i = 0; i < rows.length; i += size) await write(rows.slice(i, i + size));
}

/**
 * A recording row carries up to 50 pages of 2 KB and 200 flag variants of 100 B: fewer rows a
 * statement keep it a few MB at most.
 */
const RECORDING_CHUNK = 100;

/**
 * The lock a flush holds shared and a site's deletion exclusive (transaction-scoped): a flush
 * under way finishes before the deletion removes its rows, and a flush after it sees the
 * deletion's tombstone. A collision of two sites' hashes only serialises them.
 */
export const siteLock = (siteId: string) => sql`hashtext(${`site:${siteId}`})`;

export async function applyFlush(db: Db, batch: FlushBatch): Promise<"applied" | "duplicate" | "gone"> {
  const { siteId } = batch;
  const rows =
    batch.rows.length +
    batch.site.length +
    batch.dimensions.length +
    (batch.recordings?.length ?? 0) +
    (batch.heat?.length ?? 0);
  return db.transaction(async (tx) => {
    // Two statements: under READ COMMITTED the check must start after the lock is held.
    await tx.execute(sql`SELECT pg_advisory_xact_lock_shared(${siteLock(siteId)})`);
    const gone = await tx
      .select({ siteId: deletedSites.siteId })
      .from(deletedSites)
      .where(eq(deletedSites.siteId, siteId));
    if (gone.length > 0) return "gone";
    const logged = await tx
      .insert(flushLog)
      .values({ flushId: batch.flushId, siteId, shard: batch.shard, rows })
      .onConflictDoNothing()
      .returning({ flushId: flushLog.flushId });
    if (logged.length === 0) return "duplicate";

    await inChunks(batch.rows, (chunk) =>
      tx
        .insert(pageStatsHourly)
        .values(chunk.map((r) => ({ ...r, siteId, hour: new Date(r.hour) })))
        .onConflictDoUpdate({
          target: [pageStatsHourly.siteId, pageStatsHourly.hour, pageStatsHourly.path],
          set: {
            pageviews: sql`${pageStatsHourly.pageviews} + excluded.pageviews`,
            sessions: sql`${pageStatsHourly.sessions} + excluded.sessions`,
          },
        }),
    );
    await inChunks(batch.site, (chunk) =>
      tx
        .insert(siteStatsHourly)
        .values(chunk.map((r) => ({ ...r, visitors: r.visitors ?? 0, siteId, hour: new Date(r.hour) })))
        .onConflictDoUpdate({
          target: [siteStatsHourly.siteId, siteStatsHourly.hour],
          set: {
            pageviews: sql`${siteStatsHourly.pageviews} + excluded.pageviews`,
            sessions: sql`${siteStatsHourly.sessions} + excluded.sessions`,
            visitors: sql`${siteStatsHourly.visitors} + excluded.visitors`,
          },
        }),
    );
    if (batch.quotaDays?.length) {
      await tx
        .insert(quotaDays)
        .values(batch.quotaDays.map((q) => ({ siteId, day: q.day, reachedAt: new Date(q.reachedAt) })))
        .onConflictDoNothing();
    }
    await inChunks(batch.dimensions, (chunk) =>
      tx
        .insert(dimensionStatsHourly)
        .values(chunk.map((r) => ({ ...r, siteId, hour: new Date(r.hour) })))
        .onConflictDoUpdate({
          target: [
            dimensionStatsHourly.siteId,
            dimensionStatsHourly.dimension,
            dimensionStatsHourly.hour,
            dimensionStatsHourly.value,
          ],
          set: {
            pageviews: sql`${dimensionStatsHourly.pageviews} + excluded.pageviews`,
            sessions: sql`${dimensionStatsHourly.sessions} + excluded.sessions`,
          },
        }),
    );
    if (batch.recordings?.length) await upsertRecordings(tx, siteId, batch.recordings);
    if (batch.heat?.length) await upsertHeat(tx, siteId, batch.heat);
    return "applied";
  });
}

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

const r = recordings;
/**
 * A merged array column (pages, flag variants): the values of the row that started first, then
 * the other's, distinct in that order, at most `max`.
 */
const mergedArray = (column: "pages" | "flags", max: number) => {
  const own = r[column];
  const theirs = sql.raw(`excluded.${column}`);
  return sql`(SELECT coalesce(array_agg(p ORDER BY o), '{}'::text[]) FROM (
  SELECT p, min(o) AS o FROM unnest(CASE WHEN excluded.started_at < ${r.startedAt}
    THEN ${theirs} || ${own} ELSE ${own} || ${theirs} END) WITH ORDINALITY AS u(p, o)
  GROUP BY p ORDER BY min(o) LIMIT ${sql.raw(String(max))}) s)`;
};
const mergedPages = mergedArray("pages", LIMITS.recording.maxPagesPerRecording);
const mergedFlags = mergedArray("flags", LIMITS.flags.maxFlagsPerSite);

/**
 * Merges a flush's per-session recording summaries into their rows: the earliest start, the
 * latest end, sums, pages and flag variants in first-seen order. The row's id, device, country
 * and R2 prefix are those of its first insert; the referrer the first one known. Runs inside the
 * flush's transaction, after its flush id was logged, so a flush sent again adds nothing.
 */
async function upsertRecordings(tx: Tx, siteId: string, all: RecordingDelta[]): Promise<void> {
  // An erased recording stays erased: summaries still queued or waiting in an aggregator
  // when it was deleted write nothing.
  const erased = new Set<string>();
  await inChunks(all, async (chunk) => {
    const rows = await tx
      .select({ sessionId: erasedRecordings.sessionId })
      .from(erasedRecordings)
      .where(
        and(
          eq(erasedRecordings.siteId, siteId),
          inArray(
            erasedRecordings.sessionId,
            chunk.map((d) => d.sessionId),
          ),
        ),
      );
    for (const row of rows) erased.add(row.sessionId);
  });
  const deltas = erased.size === 0 ? all : all.filter((d) => !erased.has(d.sessionId));
  await inChunks(
    deltas,
    (chunk) =>
      tx
        .insert(r)
        .values(
          chunk.map((d) => ({
            id: d.id,
            siteId,
            sessionId: d.sessionId,
            startedAt: new Date(d.firstTs),
            endedAt: new Date(d.lastTs),
            durationMs: Math.max(0, d.lastTs - d.firstTs),
            activeMs: d.activeMs,
            firstPage: d.pages[0] ?? "",
            pages: d.pages,
            flags: d.flags,
            clicks: d.clicks,
            rageClicks: d.rageClicks,
            errors: d.errors,
            device: d.device,
            country: d.country,
            referrer: d.referrer,
            bytes: d.bytes,
            chunks: d.chunks,
            r2Prefix: d.r2Prefix,
          })),
        )
        .onConflictDoUpdate({
          target: [r.siteId, r.sessionId],
          set: {
            startedAt: sql`least(${r.startedAt}, excluded.started_at)`,
            endedAt: sql`greatest(${r.endedAt}, excluded.ended_at)`,
            durationMs: sql`greatest(0, (extract(epoch from greatest(${r.endedAt}, excluded.ended_at)
            - least(${r.startedAt}, excluded.started_at)) * 1000)::bigint)`,
            activeMs: sql`${r.activeMs} + excluded.active_ms`,
            pages: mergedPages,
            firstPage: sql`coalesce((${mergedPages})[1], '')`,
            flags: mergedFlags,
            clicks: sql`${r.clicks} + excluded.clicks`,
            rageClicks: sql`${r.rageClicks} + excluded.rage_clicks`,
            errors: sql`${r.errors} + excluded.errors`,
            bytes: sql`${r.bytes} + excluded.bytes`,
            chunks: sql`${r.chunks} + excluded.chunks`,
            referrer: sql`coalesce(${r.referrer}, excluded.referrer)`,
            updatedAt: sql`now()`,
          },
        }),
    RECORDING_CHUNK,
  );
}

const CELLS = ELEMENT_CELLS.length;

/**
 * Adds a flush's heatmap counts: per element (a selector), the cells inside it folded into
 * one row of `heatmap_elements` per page, device, kind, variant, day and selector, whose count and
 * cell columns `c0`..`c63` are each added to what is there; page-grid cells and scroll buckets to
 * `heatmap_cells`. Inside the flush's transaction, after its id was logged.
 */
async function upsertHeat(tx: Tx, siteId: string, heat: HeatDelta[]): Promise<void> {
  const elements = new Map<string, { h: HeatDelta; count: number; cells: number[] }>();
  const cells: (typeof heatmapCells.$inferInsert)[] = [];
  for (const h of heat) {
    const variant = h.variant ?? "";
    if (h.selector === "") {
      cells.push({
        siteId,
        path: h.path,
        device: h.device,
        kind: h.kind,
        variant,
        day: h.day,
        cell: h.cell,
        count: h.count,
      });
      continue;
    }
    const key = [h.path, h.device, h.kind, variant, h.day, h.selector].join("\0");
    let e = elements.get(key);
    if (!e) {
      e = { h, count: 0, cells: new Array<number>(CELLS).fill(0) };
      elements.set(key, e);
    }
    e.count += h.count;
    if (h.cell >= 0 && h.cell < CELLS) e.cells[h.cell] = (e.cells[h.cell] ?? 0) + h.count;
  }
  const t = heatmapElements;
  const cellSums = Object.fromEntries(ELEMENT_CELLS.map((k) => [k, sql.raw(`heatmap_elements.${k} + excluded.${k}`)]));
  // 71 parameters a row: 900 rows keep a statement under Postgres' 65,535.
  await inChunks(
    [...elements.values()],
    (chunk) =>
      tx
        .insert(t)
        .values(
          chunk.map(({ h, count, cells }) => ({
            siteId,
            path: h.path,
            device: h.device,
            kind: h.kind,
            variant: h.variant ?? "",
            day: h.day,
            selector: h.selector,
            count,
            ...Object.fromEntries(ELEMENT_CELLS.map((k, i) => [k, cells[i] ?? 0])),
          })),
        )
        .onConflictDoUpdate({
          target: [t.siteId, t.path, t.device, t.kind, t.variant, t.day, t.selector],
          set: { count: sql`${t.count} + excluded.count`, ...cellSums },
        }),
    900,
  );
  const c = heatmapCells;
  await inChunks(cells, (chunk) =>
    tx
      .insert(c)
      .values(chunk)
      .onConflictDoUpdate({
        target: [c.siteId, c.path, c.device, c.kind, c.variant, c.day, c.cell],
        set: { count: sql`${c.count} + excluded.count` },
      }),
  );
}

export function postgresStatsSink(db: Db): StatsSink {
  return { apply: (batch) => applyFlush(db, batch) };
}
