/** Reads of the hourly aggregates for the dashboard. Ranges are bounded by the caller. */
import type { Dimension } from "@sightline/shared/wire";
import { and, desc, eq, gte, lt, sql } from "drizzle-orm";
import type { Db } from "../index.ts";
import { dimensionStatsHourly, pageStatsHourly, siteStatsHourly } from "../schema/stats.ts";

export interface Range {
  from: Date;
  to: Date;
}

/**
 * Pageviews and sessions per hour or day. Day buckets sum hourly distinct sessions, so a
 * session spanning hours counts once per hour it was active in.
 */
export async function timeseries(db: Db, siteId: string, range: Range, interval: "hour" | "day") {
  // Inlined, not bound: Postgres must see the same expression in SELECT and GROUP BY.
  const unit = sql.raw(interval === "day" ? "'day'" : "'hour'");
  const bucket = sql<Date>`date_trunc(${unit}, ${siteStatsHourly.hour}, 'UTC')`;
  const rows = await db
    .select({
      t: bucket,
      pageviews: sql<number>`sum(${siteStatsHourly.pageviews})::bigint`.mapWith(Number),
      sessions: sql<number>`sum(${siteStatsHourly.sessions})::bigint`.mapWith(Number),
    })
    .from(siteStatsHourly)
    .where(
      and(
        eq(siteStatsHourly.siteId, siteId),
        gte(siteStatsHourly.hour, range.from),
        lt(siteStatsHourly.hour, range.to),
      ),
    )
    .groupBy(bucket)
    .orderBy(bucket);
  return rows.map((r) => ({ t: new Date(r.t), pageviews: r.pageviews, sessions: r.sessions }));
}

export async function topPages(db: Db, siteId: string, range: Range, limit: number) {
  const pageviews = sql<number>`sum(${pageStatsHourly.pageviews})::bigint`.mapWith(Number);
  return db
    .select({
      path: pageStatsHourly.path,
      pageviews,
      sessions: sql<number>`sum(${pageStatsHourly.sessions})::bigint`.mapWith(Number),
    })
    .from(pageStatsHourly)
    .where(
      and(
        eq(pageStatsHourly.siteId, siteId),
        gte(pageStatsHourly.hour, range.from),
        lt(pageStatsHourly.hour, range.to),
      ),
    )
    .groupBy(pageStatsHourly.path)
    .orderBy(desc(pageviews), pageStatsHourly.path)
    .limit(limit);
}

export async function breakdown(db: Db, siteId: string, dimension: Dimension, range: Range, limit: number) {
  const t = dimensionStatsHourly;
  const pageviews = sql<number>`sum(${t.pageviews})::bigint`.mapWith(Number);
  return db
    .select({ value: t.value, pageviews, sessions: sql<number>`sum(${t.sessions})::bigint`.mapWith(Number) })
    .from(t)
    .where(and(eq(t.siteId, siteId), eq(t.dimension, dimension), gte(t.hour, range.from), lt(t.hour, range.to)))
    .groupBy(t.value)
    .orderBy(desc(pageviews), t.value)
    .limit(limit);
}
