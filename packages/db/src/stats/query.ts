/** Reads of the hourly aggregates for the dashboard. Ranges are bounded by the caller. */
import type { Dimension } from "@sightline/shared/wire";
import { and, asc, desc, eq, gte, lt, lte, sql } from "drizzle-orm";
import type { Db } from "../index.ts";
import { dimensionStatsHourly, pageStatsHourly, quotaDays, siteStatsHourly } from "../schema/stats.ts";

export interface Range {
  from: Date;
  to: Date;
}

/**
 * Pageviews, sessions and visitors per hour (UTC) or per day in `timeZone` (an IANA name the
 * caller has validated). A session counts once, in the hour it was first seen, so any sum of
 * buckets counts it once. A visitor counts in the hour it was first seen that UTC day, so day
 * buckets in a zone other than UTC can hold a visitor in two adjacent days. Day buckets start
 * at the zone's local midnight, given as that UTC instant.
 */
export async function timeseries(db: Db, siteId: string, range: Range, interval: "hour" | "day", timeZone = "UTC") {
  // The zone is bound, never interpolated; grouping and ordering by position let Postgres
  // see the SELECT's expression once, whatever its parameters.
  const bucket =
    interval === "day"
      ? sql<Date>`date_trunc('day', ${siteStatsHourly.hour}, ${timeZone}::text)`
      : sql<Date>`date_trunc('hour', ${siteStatsHourly.hour}, 'UTC')`;
  const rows = await db
    .select({
      t: bucket,
      pageviews: sql<number>`sum(${siteStatsHourly.pageviews})::bigint`.mapWith(Number),
      sessions: sql<number>`sum(${siteStatsHourly.sessions})::bigint`.mapWith(Number),
      visitors: sql<number>`sum(${siteStatsHourly.visitors})::bigint`.mapWith(Number),
    })
    .from(siteStatsHourly)
    .where(
      and(
        eq(siteStatsHourly.siteId, siteId),
        gte(siteStatsHourly.hour, range.from),
        lt(siteStatsHourly.hour, range.to),
      ),
    )
    .groupBy(sql`1`)
    .orderBy(sql`1`);
  return rows.map((r) => ({ t: new Date(r.t), pageviews: r.pageviews, sessions: r.sessions, visitors: r.visitors }));
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

/** The UTC days touching the range on which the site reached its daily event quota. */
export async function quotaDaysIn(db: Db, siteId: string, range: Range) {
  const utcDay = (d: Date) => d.toISOString().slice(0, 10);
  return db
    .select({ day: quotaDays.day, reachedAt: quotaDays.reachedAt })
    .from(quotaDays)
    .where(
      and(
        eq(quotaDays.siteId, siteId),
        gte(quotaDays.day, utcDay(range.from)),
        // The day holding the range's last instant; `to` itself is exclusive.
        lte(quotaDays.day, utcDay(new Date(range.to.getTime() - 1))),
      ),
    )
    .orderBy(asc(quotaDays.day));
}
