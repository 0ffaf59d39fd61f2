/**
 * Applies one aggregator flush in one transaction: page rows, site totals and breakdowns
 * land together or not at all. The flush id goes into flush_log first; when it is already
 * there the flush landed before (a retry after a lost reply) and nothing is added twice.
 */
import type { FlushBatch, StatsSink } from "@sightline/core/aggregate";
import { LIMITS } from "@sightline/shared/limits";
import { eq, sql } from "drizzle-orm";
import type { Db } from "../index.ts";
import {
  deletedSites,
  dimensionStatsHourly,
  flushLog,
  pageStatsHourly,
  quotaDays,
  siteStatsHourly,
} from "../schema/index.ts";

/** At most 6 params a row (breakdowns), so a chunk stays far under Postgres' 65,535. */
const CHUNK = LIMITS.aggregate.flushChunkRows;

async function inChunks<T>(rows: T[], write: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await write(rows.slice(i, i + CHUNK));
}

/**
 * The lock a flush holds shared and a site's deletion exclusive (transaction-scoped): a flush
 * under way finishes before the deletion removes its rows, and a flush after it sees the
 * deletion's tombstone. A collision of two sites' hashes only serialises them.
 */
export const siteLock = (siteId: string) => sql`hashtext(${`site:${siteId}`})`;

export async function applyFlush(db: Db, batch: FlushBatch): Promise<"applied" | "duplicate" | "gone"> {
  const { siteId } = batch;
  const rows = batch.rows.length + batch.site.length + batch.dimensions.length;
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
    return "applied";
  });
}

export function postgresStatsSink(db: Db): StatsSink {
  return { apply: (batch) => applyFlush(db, batch) };
}
