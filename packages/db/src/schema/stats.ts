import { bigint, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

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
