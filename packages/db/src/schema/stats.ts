import { DIMENSIONS } from "@sightline/shared/wire";
import { bigint, date, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Pageviews and distinct sessions per page per hour, summed over every aggregator shard.
 * No foreign key to sites: a flush for a site deleted meanwhile must land, not retry forever;
 * deleting a site deletes its rows explicitly.
 */
export const pageStatsHourly = pgTable(
  "page_stats_hourly",
  {
    siteId: text().notNull(),
    hour: timestamp({ withTimezone: true }).notNull(),
    path: text().notNull(),
    pageviews: bigint({ mode: "number" }).notNull().default(0),
    sessions: bigint({ mode: "number" }).notNull().default(0),
  },
  // The key's prefix (site_id, hour) serves range reads; no second index needed.
  (t) => [primaryKey({ columns: [t.siteId, t.hour, t.path] })],
);

/**
 * Sites deleted, kept for good (a row per deletion): a flush for one of them writes nothing
 * and tells its aggregator to forget the site, so queued or parked events of a deleted site
 * never bring its rows back.
 */
export const deletedSites = pgTable("deleted_sites", {
  siteId: text().primaryKey(),
  deletedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/**
 * One row per flush that landed. A retried flush finds its id here and adds nothing, which
 * makes flushes idempotent.
 */
export const flushLog = pgTable("flush_log", {
  flushId: text().primaryKey(),
  siteId: text().notNull(),
  shard: integer().notNull(),
  rows: integer().notNull(),
  flushedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/**
 * Site totals per hour. A session counts in the hour it was first seen, and a visitor (a
 * daily-salted hash) in the hour it was first seen that UTC day, so any range sums to
 * distinct sessions and, over whole UTC days, distinct daily visitors.
 */
export const siteStatsHourly = pgTable(
  "site_stats_hourly",
  {
    siteId: text().notNull(),
    hour: timestamp({ withTimezone: true }).notNull(),
    pageviews: bigint({ mode: "number" }).notNull().default(0),
    sessions: bigint({ mode: "number" }).notNull().default(0),
    visitors: bigint({ mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.hour] })],
);

/** Pageviews and distinct sessions per hour by referrer host, device class or country. */
export const dimensionStatsHourly = pgTable(
  "dimension_stats_hourly",
  {
    siteId: text().notNull(),
    hour: timestamp({ withTimezone: true }).notNull(),
    dimension: text({ enum: DIMENSIONS }).notNull(),
    value: text().notNull(),
    pageviews: bigint({ mode: "number" }).notNull().default(0),
    sessions: bigint({ mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.dimension, t.hour, t.value] })],
);

/** UTC days on which a site reached its daily event quota, reported by its aggregators. */
export const quotaDays = pgTable(
  "quota_days",
  {
    siteId: text().notNull(),
    day: date({ mode: "string" }).notNull(),
    reachedAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.day] })],
);
