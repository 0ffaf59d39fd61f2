/**
 * Retention: deletes each site's statistics and heatmap days older than its `retentionDays`, flush_log rows
 * older than a fixed window, and expired dashboard sessions, in bounded batches. One run makes at most
 * `maxStatements` DELETEs of at most `batchRows` rows each; the next run takes the rest.
 */
import { hourOf } from "@sightline/core/aggregate";
import { ID_PREFIXES, uuidv7Floor } from "@sightline/shared/ids";
import { LIMITS } from "@sightline/shared/limits";
import { DIMENSIONS, HEATMAP_TYPES } from "@sightline/shared/wire";
import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../index.ts";

export interface RetentionOptions {
  /** The run's clock (a scheduled run's `scheduledTime`). */
  now: Date;
  batchRows?: number;
  maxStatements?: number;
  flushLogMs?: number;
}

export const RETENTION_TABLES = [
  "pageStatsHourly",
  "siteStatsHourly",
  "dimensionStatsHourly",
  "quotaDays",
  "heatmapElements",
  "heatmapCells",
  "flushLog",
  "authSessions",
] as const;
export type RetentionTable = (typeof RETENTION_TABLES)[number];

export interface RetentionResult {
  /** Sites whose retention the run applied. */
  sites: number;
  deleted: Record<RetentionTable, number>;
  /** DELETE statements made. */
  batches: number;
  /** The run used its whole statement budget before every table was done; rows may remain. */
  stoppedAtBound: boolean;
}

/** Every breakdown dimension, as one array literal bound as a parameter. */
const dimensions = `{${DIMENSIONS.join(",")}}`;
/** Every heatmap kind, likewise. */
const heatKinds = `{${HEATMAP_TYPES.join(",")}}`;

/**
 * Each statement picks at most `n` row ids and deletes them by id (a TID scan). Rows are found
 * per site through the primary key's (site_id, hour) prefix, so a run with nothing to delete
 * costs one index probe per site rather than a scan of the table. `cutoff` is the site's
 * first kept hour: its retention in 24-hour steps (no calendar or DST arithmetic) before the
 * start of the current UTC hour.
 */
function deleteBatch(table: RetentionTable, now: Date, nowHour: string, flushCutoff: Date, n: number): SQL {
  const cutoff = sql`(${nowHour}::timestamptz - s.retention_days * interval '24 hours')`;
  switch (table) {
    case "pageStatsHourly":
      return sql`DELETE FROM page_stats_hourly WHERE ctid = ANY(ARRAY(
        SELECT t.ctid FROM sites s CROSS JOIN LATERAL (
          SELECT ctid FROM page_stats_hourly WHERE site_id = s.id AND hour < ${cutoff} LIMIT ${n}
        ) t LIMIT ${n}))`;
    case "siteStatsHourly":
      return sql`DELETE FROM site_stats_hourly WHERE ctid = ANY(ARRAY(
        SELECT t.ctid FROM sites s CROSS JOIN LATERAL (
          SELECT ctid FROM site_stats_hourly WHERE site_id = s.id AND hour < ${cutoff} LIMIT ${n}
        ) t LIMIT ${n}))`;
    case "dimensionStatsHourly":
      // The key is (site_id, dimension, hour, value): one range per dimension keeps it a probe.
      return sql`DELETE FROM dimension_stats_hourly WHERE ctid = ANY(ARRAY(
        SELECT t.ctid FROM sites s CROSS JOIN unnest(${dimensions}::text[]) d(dimension)
        CROSS JOIN LATERAL (
          SELECT ctid FROM dimension_stats_hourly
          WHERE site_id = s.id AND dimension = d.dimension AND hour < ${cutoff} LIMIT ${n}
        ) t LIMIT ${n}))`;
    case "quotaDays":
      // A UTC day goes once all of it is before the cutoff.
      return sql`DELETE FROM quota_days WHERE ctid = ANY(ARRAY(
        SELECT t.ctid FROM sites s CROSS JOIN LATERAL (
          SELECT ctid FROM quota_days WHERE site_id = s.id AND day < (${cutoff} AT TIME ZONE 'UTC')::date LIMIT ${n}
        ) t LIMIT ${n}))`;
    case "heatmapElements":
    case "heatmapCells": {
      // Heatmap days expire with the site's statistics; (site_id, kind, day) is indexed.
      const t = sql.raw(table === "heatmapElements" ? "heatmap_elements" : "heatmap_cells");
      return sql`DELETE FROM ${t} WHERE ctid = ANY(ARRAY(
        SELECT x.ctid FROM sites s CROSS JOIN unnest(${heatKinds}::text[]) k(kind)
        CROSS JOIN LATERAL (
          SELECT ctid FROM ${t}
          WHERE site_id = s.id AND kind = k.kind AND day < (${cutoff} AT TIME ZONE 'UTC')::date LIMIT ${n}
        ) x LIMIT ${n}))`;
    }
    case "flushLog": {
      // Flush ids are `fl_` + a UUIDv7 minted before the flush landed, so every row flushed
      // before the cutoff has an id below this bound: a range of the primary key, where
      // flushed_at has no index.
      const idBound = `${ID_PREFIXES.flush}_${uuidv7Floor(flushCutoff.getTime()).replace("-", "")}`;
      return sql`DELETE FROM flush_log WHERE ctid = ANY(ARRAY(
        SELECT ctid FROM flush_log
        WHERE flush_id < ${idBound} AND flushed_at < ${flushCutoff.toISOString()}::timestamptz LIMIT ${n}))`;
    }
    case "authSessions":
      // A few rows per account: no index on expires_at is worth its upkeep.
      return sql`DELETE FROM auth_sessions WHERE ctid = ANY(ARRAY(
        SELECT ctid FROM auth_sessions WHERE expires_at < ${now.toISOString()}::timestamptz LIMIT ${n}))`;
  }
}

export async function applyRetention(db: Db, opts: RetentionOptions): Promise<RetentionResult> {
  const R = LIMITS.retention;
  const n = opts.batchRows ?? R.batchRows;
  const maxStatements = opts.maxStatements ?? R.maxStatementsPerRun;
  const now = opts.now.getTime();
  const nowHour = new Date(hourOf(now)).toISOString();
  const flushCutoff = new Date(now - (opts.flushLogMs ?? R.flushLogMs));

  const [count] = (await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM sites`)).rows;
  const result: RetentionResult = {
    sites: count?.n ?? 0,
    deleted: {
      pageStatsHourly: 0,
      siteStatsHourly: 0,
      dimensionStatsHourly: 0,
      quotaDays: 0,
      heatmapElements: 0,
      heatmapCells: 0,
      flushLog: 0,
      authSessions: 0,
    },
    batches: 0,
    stoppedAtBound: false,
  };
  for (const table of RETENTION_TABLES) {
    for (;;) {
      if (result.batches >= maxStatements) {
        result.stoppedAtBound = true;
        return result;
      }
      const res = await db.execute(deleteBatch(table, opts.now, nowHour, flushCutoff, n));
      result.batches++;
      const rows = res.rowCount ?? 0;
      result.deleted[table] += rows;
      if (rows < n) break;
    }
  }
  return result;
}
