/**
 * Applies one aggregator flush in one transaction. The flush id goes into flush_log first;
 * when it is already there the flush landed before (a retry after a lost reply) and nothing
 * is added twice.
 */
import type { FlushBatch, StatsSink } from "@sightline/core/aggregate";
import { LIMITS } from "@sightline/shared/limits";
import { sql } from "drizzle-orm";
import type { Db } from "../index.ts";
import { flushLog, pageStatsHourly } from "../schema/index.ts";

export async function applyFlush(db: Db, batch: FlushBatch): Promise<"applied" | "duplicate"> {
  return db.transaction(async (tx) => {
    const logged = await tx
      .insert(flushLog)
      .values({ flushId: batch.flushId, siteId: batch.siteId, shard: batch.shard, rows: batch.rows.length })
      .onConflictDoNothing()
      .returning({ flushId: flushLog.flushId });
    if (logged.length === 0) return "duplicate";
    const size = LIMITS.aggregate.flushChunkRows;
    for (let i = 0; i < batch.rows.length; i += size) {
      const chunk = batch.rows.slice(i, i + size).map((r) => ({
        siteId: batch.siteId,
        hour: new Date(r.hour),
        path: r.path,
        pageviews: r.pageviews,
        sessions: r.sessions,
      }));
      await tx
        .insert(pageStatsHourly)
        .values(chunk)
        .onConflictDoUpdate({
          target: [pageStatsHourly.siteId, pageStatsHourly.hour, pageStatsHourly.path],
          set: {
            pageviews: sql`${pageStatsHourly.pageviews} + excluded.pageviews`,
            sessions: sql`${pageStatsHourly.sessions} + excluded.sessions`,
          },
        });
    }
    return "applied";
  });
}

export function postgresStatsSink(db: Db): StatsSink {
  return { apply: (batch) => applyFlush(db, batch) };
}
