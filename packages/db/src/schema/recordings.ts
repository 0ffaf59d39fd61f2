import { sql } from "drizzle-orm";
import { bigint, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/**
 * The recordings index: one row per recorded session, the role Elasticsearch played in the
 * seed. Rows are merged from chunk summaries by the site's aggregator, idempotently like the
 * statistics; the events themselves are gzipped rrweb JSON in R2 under `r2Prefix`
 * (packages/shared/src/recording). No foreign key to sites, as for the statistics.
 */
export const recordings = pgTable(
  "recordings",
  {
    id: text().primaryKey(),
    siteId: text().notNull(),
    sessionId: text().notNull(),
    startedAt: timestamp({ withTimezone: true }).notNull(),
    endedAt: timestamp({ withTimezone: true }).notNull(),
    durationMs: bigint({ mode: "number" }).notNull().default(0),
    activeMs: bigint({ mode: "number" }).notNull().default(0),
    firstPage: text().notNull().default(""),
    /** Distinct pages in the order first seen, at most LIMITS.recording.maxPagesPerRecording. */
    pages: text().array().notNull().default(sql`'{}'::text[]`),
    /**
     * `<flag key>=<variant>` of every flag variant the session was served, distinct, at most
     * FLAG_LIMITS.maxFlagsPerSite (docs/FLAGS.md, "Sessions carry their variants").
     */
    flags: text().array().notNull().default(sql`'{}'::text[]`),
    clicks: integer().notNull().default(0),
    rageClicks: integer().notNull().default(0),
    errors: integer().notNull().default(0),
    device: text().notNull().default("desktop"),
    country: text(),
    referrer: text(),
    bytes: bigint({ mode: "number" }).notNull().default(0),
    chunks: integer().notNull().default(0),
    r2Prefix: text().notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex().on(t.siteId, t.sessionId),
    // Newest first with cursor paging, the list's default order.
    index().on(t.siteId, t.startedAt.desc(), t.id),
    index().on(t.siteId, t.durationMs),
    index().on(t.siteId, t.activeMs),
    // "Has rage clicks" and "has errors" are rare: partial indexes stay small.
    index("recordings_site_rage_idx").on(t.siteId, t.startedAt.desc()).where(sql`${t.rageClicks} > 0`),
    index("recordings_site_errors_idx").on(t.siteId, t.startedAt.desc()).where(sql`${t.errors} > 0`),
    index("recordings_pages_idx").using("gin", t.pages),
    // The list's page prefix, `recordings_pages_text(pages) LIKE '%<prefix>%'` (0010): trigrams
    // of the pages joined by newlines. The function and the pg_trgm extension are created by
    // hand in 0010, since Drizzle declares neither.
    index("recordings_pages_trgm_idx").using("gin", sql`recordings_pages_text(${t.pages}) gin_trgm_ops`),
    // The list's flag filter, `flags @> ARRAY['<key>=<variant>']` (0009).
    index("recordings_flags_idx").using("gin", t.flags),
    // Equality filters in the list's newest-first order: a value with few or no rows answers
    // from the index instead of walking every row of the site (0005).
    index("recordings_site_country_idx").on(t.siteId, t.country, t.startedAt.desc(), t.id),
    index("recordings_site_device_idx").on(t.siteId, t.device, t.startedAt.desc(), t.id),
    index("recordings_site_referrer_idx").on(t.siteId, t.referrer, t.startedAt.desc(), t.id),
  ],
);

/**
 * Recordings erased (DELETE, a data subject's request), kept until nothing in flight can
 * name them: summaries already queued or waiting in an aggregator would otherwise bring the
 * row back at their flush. Pruned by the retention run after LIMITS.recording.erasedKeepMs.
 */
export const erasedRecordings = pgTable(
  "erased_recordings",
  {
    siteId: text().notNull(),
    sessionId: text().notNull(),
    erasedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.sessionId] })],
);
