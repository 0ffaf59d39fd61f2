import { RECORDING_CONSENT } from "@sightline/shared/site";
import { sql } from "drizzle-orm";
import { boolean, index, integer, pgTable, real, text, timestamp } from "drizzle-orm/pg-core";

export const sites = pgTable(
  "sites",
  {
    id: text().primaryKey(),
    /** Owner; null only for sites made before accounts existed. */
    accountId: text(),
    /** Public key used in the snippet; not a secret. */
    key: text().notNull().unique(),
    name: text().notNull(),
    origins: text().array().notNull().default(sql`'{}'::text[]`),
    shards: integer().notNull().default(1),
    /** Share of sessions recorded, 0 to 1, decided at the edge per session id. */
    recordingSampleRate: real().notNull().default(0),
    /** Recorded sessions started per UTC day at most. */
    recordingDailyQuota: integer().notNull().default(10_000),
    /** Days a recording is kept; a scheduled job deletes its row and R2 objects after. */
    recordingRetentionDays: integer().notNull().default(30),
    /** Mask every text node in recordings and snapshots, not only inputs and personal text. */
    maskAllText: boolean().notNull().default(false),
    /** "opt-in": a sampled session records only after the site calls `sightline('consent', true)`. */
    recordingConsent: text({ enum: RECORDING_CONSENT }).notNull().default("opt-out"),
    /**
     * Heatmaps: clicks, rage clicks and scroll depth in the core tracker, and the interactions
     * chunk (resting-pointer moves, dead clicks, page snapshots). Off: the tracker sends none.
     */
    heatmaps: boolean().notNull().default(true),
    /** Events accepted per UTC day before ingestion refuses more. */
    dailyEventQuota: integer().notNull().default(1_000_000),
    /** Days of statistics kept; a scheduled job deletes older hours. */
    retentionDays: integer().notNull().default(365),
    /** Whether route-like fragments (`#/...`, `#!/...`) count as pages. */
    hashRoutes: boolean().notNull().default(true),
    /** IANA time zone the dashboard buckets days in; hours are stored in UTC. */
    timeZone: text().notNull().default("UTC"),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index().on(t.accountId)],
);
