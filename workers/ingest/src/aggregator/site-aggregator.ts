/**
 * One Durable Object per site shard. It counts, per hour, pageviews and new sessions per page,
 * for the whole site (with new daily visitors), and per breakdown value (referrer, device,
 * country, campaign) in its SQLite storage, dropping events it has already seen (Queue
 * redeliveries, client retries) and events past the site's daily quota, and an alarm flushes
 * the deltas to Postgres. A flush is taken under one id across all three delta
 * tables before it is sent; if it fails the same id and rows are sent again later, and
 * Postgres applies a flush id at most once. Ingest therefore never waits on Postgres.
 */

import { DurableObject } from "cloudflare:workers";
import {
  type DimensionHourDelta,
  dayOf,
  dayString,
  type FlushBatch,
  type HeatDelta,
  hourOf,
  mergePages,
  nextFlushDelayMs,
  type PageHourDelta,
  parseAggregatorName,
  type SiteHourDelta,
  type StatsSink,
} from "@sightline/core/aggregate";
import { createDb, postgresStatsSink } from "@sightline/db";
import { createLogger, describeError, type SentryEnv, sentryFor } from "@sightline/http";
import { newId, uuidv7, uuidv7Floor } from "@sightline/shared/ids";
import { LIMITS } from "@sightline/shared/limits";
import type { AggregatorHealth } from "@sightline/shared/site";
import {
  DIMENSIONS,
  type Dimension,
  type HeatItem,
  type IngestMessage,
  OTHER_PATH,
  type RecordingMessage,
} from "@sightline/shared/wire";
import { aggregatorEnv } from "../env.ts";
import { type Count, DIMENSION_TAGS, dimensionOf, mergeVisit, PAGE_TAG, SITE_KEY, Tally } from "./tally.ts";

/**
 * Pending deltas have flush_id ''; a flush in progress or failed holds its own id, the same
 * in every delta table. Page deltas keep their first table name so existing objects need no
 * migration. `sessions` holds, per session, the keys (tally.ts) it was already counted on, as
 * a JSON array, and the last hour it was seen (it is forgotten 48 h after): one row read and
 * written per session and message, and a session counts once per key however many hours it
 * spans. `visitors` holds the daily visitor hashes already counted (they change every UTC
 * day). `quota` counts each UTC day's events against the site's quota. `page_paths` holds the
pages each hour counted, up to `maxPathsPerHour`; later new pages of the hour count as OTHER_PATH. seen_events is pruned
 * by id (see prune); its ts column is no longer read and is written as 0, which SQLite stores
 * in no bytes: the column stays so that older objects need no table rewrite.
 */
/**
 * Heat counts per (day, page, device, kind, variant, selector, cell): variant '' is all
 * visitors, `<flag key>=<variant>` those served a variant of a flag that splits heatmaps.
 */
const HEAT_DELTAS = `
CREATE TABLE IF NOT EXISTS heat_deltas (
  flush_id TEXT NOT NULL, day TEXT NOT NULL, path TEXT NOT NULL, device TEXT NOT NULL, kind TEXT NOT NULL,
  variant TEXT NOT NULL, selector TEXT NOT NULL, cell INTEGER NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (flush_id, day, path, device, kind, variant, selector, cell)) WITHOUT ROWID;
`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seen_events (id TEXT PRIMARY KEY, ts INTEGER NOT NULL) WITHOUT ROWID;
DROP INDEX IF EXISTS seen_events_ts;
CREATE TABLE IF NOT EXISTS sessions (
  session TEXT PRIMARY KEY, hour INTEGER NOT NULL, seen TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS visitors (visitor TEXT PRIMARY KEY, day INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS page_paths (hour INTEGER NOT NULL, path TEXT NOT NULL, PRIMARY KEY (hour, path)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS quota (
  day INTEGER PRIMARY KEY, events INTEGER NOT NULL, reached_at INTEGER, reported INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS deltas (
  flush_id TEXT NOT NULL, hour INTEGER NOT NULL, path TEXT NOT NULL,
  pageviews INTEGER NOT NULL, sessions INTEGER NOT NULL,
  PRIMARY KEY (flush_id, hour, path)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS site_deltas (
  flush_id TEXT NOT NULL, hour INTEGER NOT NULL,
  pageviews INTEGER NOT NULL, sessions INTEGER NOT NULL, visitors INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (flush_id, hour)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dimension_deltas (
  flush_id TEXT NOT NULL, hour INTEGER NOT NULL, dimension TEXT NOT NULL, value TEXT NOT NULL,
  pageviews INTEGER NOT NULL, sessions INTEGER NOT NULL,
  PRIMARY KEY (flush_id, hour, dimension, value)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS recording_quota (day INTEGER PRIMARY KEY, sessions INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS recording_grants (
  day INTEGER NOT NULL, session TEXT NOT NULL, PRIMARY KEY (day, session)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS recording_seen (
  session TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (session, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS recording_seen_at ON recording_seen (at);
CREATE TABLE IF NOT EXISTS recording_deltas (
  flush_id TEXT NOT NULL, session TEXT NOT NULL, id TEXT NOT NULL,
  first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, active_ms INTEGER NOT NULL,
  clicks INTEGER NOT NULL, rage_clicks INTEGER NOT NULL, errors INTEGER NOT NULL,
  bytes INTEGER NOT NULL, chunks INTEGER NOT NULL, pages TEXT NOT NULL,
  device TEXT NOT NULL, country TEXT NOT NULL, referrer TEXT, r2_prefix TEXT NOT NULL,
  flags TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (flush_id, session)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshot_pages (
  page TEXT PRIMARY KEY, taken_at INTEGER NOT NULL DEFAULT 0, granted_until INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
${HEAT_DELTAS}`;

/**
 * heat_deltas gained `variant` (in its key) after objects were deployed with the table: an older
 * object's table is rebuilt in this shape when it starts, its rows kept as all visitors' ('').
 */
const REBUILD_HEAT_DELTAS = `
ALTER TABLE heat_deltas RENAME TO heat_deltas_before_variant;
${HEAT_DELTAS}
INSERT INTO heat_deltas (flush_id, day, path, device, kind, variant, selector, cell, count)
  SELECT flush_id, day, path, device, kind, '', selector, cell, count FROM heat_deltas_before_variant;
DROP TABLE heat_deltas_before_variant;
`;

/**
 * Objects made before `sessions` kept a row per session and hour (session_hours), and before
 * that a row per session and page, per session and site, and per session and breakdown
 * value. When such an object starts, their rows become its `sessions` (the keys of all hours
 * merged) and the tables go; the ones it lacks are made empty first, so one statement moves
 * them all.
 */
const FORMER_SESSION_TABLES = ["seen_sessions", "site_seen_sessions", "dimension_seen_sessions", "session_hours"];
const MOVE_FORMER_SESSIONS = `
CREATE TABLE IF NOT EXISTS seen_sessions (hour INTEGER NOT NULL, path TEXT NOT NULL, session TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS site_seen_sessions (hour INTEGER NOT NULL, session TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dimension_seen_sessions (
  hour INTEGER NOT NULL, dimension TEXT NOT NULL, value TEXT NOT NULL, session TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS session_hours (hour INTEGER NOT NULL, session TEXT NOT NULL, seen TEXT NOT NULL);
INSERT OR IGNORE INTO sessions (session, hour, seen)
SELECT session, max(hour), json_group_array(DISTINCT key) FILTER (WHERE key IS NOT NULL) FROM (
  SELECT hour, session, '${PAGE_TAG}' || path AS key FROM seen_sessions
  UNION ALL SELECT hour, session, NULL FROM site_seen_sessions
  UNION ALL SELECT hour, session, CASE dimension
    ${DIMENSIONS.map((d) => `WHEN '${d}' THEN '${DIMENSION_TAGS[d]}'`).join(" ")} END || value
    FROM dimension_seen_sessions
  UNION ALL SELECT h.hour, h.session, j.value FROM session_hours h, json_each(h.seen) j
  UNION ALL SELECT hour, session, NULL FROM session_hours
) GROUP BY session;
${FORMER_SESSION_TABLES.map((t) => `DROP TABLE ${t};`).join("\n")}
`;

/**
 * Columns added after objects were deployed with their table: SCHEMA has them for a new object,
 * an older object's table gets them when it starts (SQLite has no ADD COLUMN IF NOT EXISTS).
 * Last in SCHEMA's column lists, where ADD COLUMN puts them, so both kinds of object have one
 * shape.
 */
const ADDED_COLUMNS = [
  { table: "site_deltas", column: "visitors", definition: "INTEGER NOT NULL DEFAULT 0" },
  { table: "recording_deltas", column: "flags", definition: "TEXT NOT NULL DEFAULT '[]'" },
] as const;

/** A table of pending deltas, with its key columns besides flush_id and hour. */
interface DeltaTable {
  table: string;
  keys: readonly string[];
  counts: readonly string[];
}
const COUNTS = ["pageviews", "sessions"];
const PAGE_DELTAS: DeltaTable = { table: "deltas", keys: ["path"], counts: COUNTS };
const SITE_DELTAS: DeltaTable = { table: "site_deltas", keys: [], counts: [...COUNTS, "visitors"] };
const DIMENSION_DELTAS: DeltaTable = { table: "dimension_deltas", keys: ["dimension", "value"], counts: COUNTS };
const DELTA_TABLES = [PAGE_DELTAS, SITE_DELTAS, DIMENSION_DELTAS];
/**
 * Every table a flush takes under its id: the statistics, the recording summaries merged per
 * session (recording_deltas: one row per session and flush, merged again by Postgres), and
 * heatmap counts per cell (heat_deltas).
 */
const FLUSHED_TABLES = [...DELTA_TABLES.map((t) => t.table), "recording_deltas", "heat_deltas"];

/** DO SQLite allows 100 bound parameters a statement. */
const MAX_PARAMS = 100;

interface PendingCounts {
  rows: number;
  pageviews: number;
  sessions: number;
}

export interface Pending {
  /** Page rows and pageviews, as before site and breakdown deltas existed. */
  rows: number;
  pageviews: number;
  inFlight: boolean;
  failures: number;
  site: PendingCounts;
  dimensions: Record<Dimension, PendingCounts>;
  /**
   * heat_deltas rows (one per day, page, device, kind, variant, selector and cell), and the
   * counts of all visitors (variant ''), which the variants' copies do not add to.
   */
  heat: { rows: number; count: number };
}

export interface IngestResult {
  counted: number;
  duplicates: number;
  /** Events not counted because the day's quota was spent. */
  overQuota: number;
  /** The UTC day (days since the epoch) whose quota is spent, when today's is. */
  quotaSpentDay?: number;
}

export interface RecordingIngestResult {
  merged: number;
  duplicates: number;
}

interface RecordingDeltaRow {
  session: string;
  id: string;
  first_ts: number;
  last_ts: number;
  active_ms: number;
  clicks: number;
  rage_clicks: number;
  errors: number;
  bytes: number;
  chunks: number;
  pages: string;
  device: string;
  country: string;
  referrer: string | null;
  r2_prefix: string;
  /** JSON array of `<flag key>=<variant>`. */
  flags: string;
}

export type FlushResult =
  | { status: "empty" }
  | { status: "applied" | "duplicate"; flushId: string; rows: number }
  | { status: "gone"; flushId: string; rows: number }
  | { status: "failed"; flushId: string; rows: number; failures: number };

export class SiteAggregator extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly log = createLogger({ service: "aggregator" });
  private alarmArmed = false;
  /** Replaced in tests to stand for an unreachable or failing database. */
  sinkFactory: () => StatsSink & { close(): Promise<void> } = () => this.postgresSink();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.storage.transactionSync(() => {
      this.sql.exec(SCHEMA);
      const former = this.sql.exec(
        `SELECT 1 FROM sqlite_master WHERE type = 'table' AND name IN (${FORMER_SESSION_TABLES.map((t) => `'${t}'`).join(", ")})`,
      );
      if (former.toArray().length > 0) this.sql.exec(MOVE_FORMER_SESSIONS);
      for (const { table, column, definition } of ADDED_COLUMNS) {
        const has = this.sql.exec("SELECT 1 FROM pragma_table_info(?) WHERE name = ?", table, column).toArray();
        if (has.length === 0) this.sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
      }
      // A key column cannot be added in place: the table is rebuilt (its rows are a few flushes' worth).
      const variant = this.sql.exec("SELECT 1 FROM pragma_table_info('heat_deltas') WHERE name = 'variant'");
      if (variant.toArray().length === 0) this.sql.exec(REBUILD_HEAT_DELTAS);
    });
  }

  /**
   * Counts a group of queued messages, all of this shard. Duplicates are skipped, and so are
   * events past the day's quota; events without a referrer value add no referrer row.
   */
  async ingest(name: string, messages: IngestMessage[]): Promise<IngestResult> {
    const result = this.ctx.storage.transactionSync(() => {
      this.setMetaOnce("name", name);
      const fresh = this.markSeen(messages);
      const quota = this.applyQuota(messages, fresh);
      this.capPaths(messages, fresh);
      const t = new Tally(messages, fresh);
      this.countSessions(t);
      this.countVisitors(t);
      this.addDeltas(t.counts.values());
      const heat = this.addHeat(messages, fresh);
      return { tally: t, quota, heat };
    });
    const { tally, quota, heat } = result;
    if (tally.counted + heat.counted > 0) await this.armAlarm(LIMITS.aggregate.flushIntervalMs);
    return {
      counted: tally.counted + heat.counted,
      duplicates: tally.total + heat.total - tally.counted - heat.counted - quota.refused,
      overQuota: quota.refused,
      ...(quota.spentDay === undefined ? {} : { quotaSpentDay: quota.spentDay }),
    };
  }

  /**
   * Merges recording chunk summaries into their session's pending row, once per session and
   * seq within the dedupe window (a redelivery or a client's retry adds nothing).
   */
  async ingestRecordings(name: string, messages: RecordingMessage[]): Promise<RecordingIngestResult> {
    const result = this.ctx.storage.transactionSync(() => {
      this.setMetaOnce("name", name);
      let merged = 0;
      // In seq order per session, so pages are first seen in the order the recorder saw them.
      const sorted = [...messages].sort((a, b) =>
        a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : a.seq - b.seq,
      );
      for (const m of sorted) {
        const fresh = this.sql
          .exec(
            "INSERT OR IGNORE INTO recording_seen (session, seq, at) VALUES (?, ?, ?) RETURNING seq",
            m.sessionId,
            m.seq,
            m.receivedAt,
          )
          .toArray();
        if (fresh.length === 0) continue;
        this.mergeRecording(m);
        merged++;
      }
      return { merged, duplicates: messages.length - merged };
    });
    if (result.merged > 0) await this.armAlarm(LIMITS.aggregate.flushIntervalMs);
    return result;
  }

  private mergeRecording(m: RecordingMessage): void {
    const s = m.summary;
    const row = this.sql
      .exec<RecordingDeltaRow & Record<string, SqlStorageValue>>(
        "SELECT * FROM recording_deltas WHERE flush_id = '' AND session = ?",
        m.sessionId,
      )
      .toArray()[0];
    const earlier = row !== undefined && s.firstTs < row.first_ts;
    const pages = row
      ? earlier
        ? mergePages(s.pages, JSON.parse(row.pages) as string[])
        : mergePages(JSON.parse(row.pages) as string[], s.pages)
      : mergePages(s.pages, []);
    // The union, not the last chunk's: a flag flipped during the session shows both variants.
    const held = row ? (JSON.parse(row.flags) as string[]) : [];
    const served = m.flags ?? [];
    const flags = earlier ? mergeFlags(served, held) : mergeFlags(held, served);
    const next = {
      id: row?.id ?? uuidv7(),
      first_ts: Math.min(row?.first_ts ?? s.firstTs, s.firstTs),
      last_ts: Math.max(row?.last_ts ?? s.lastTs, s.lastTs),
      active_ms: (row?.active_ms ?? 0) + s.activeMs,
      clicks: (row?.clicks ?? 0) + s.clicks,
      rage_clicks: (row?.rage_clicks ?? 0) + s.rageClicks,
      errors: (row?.errors ?? 0) + s.errors,
      bytes: (row?.bytes ?? 0) + m.bytes,
      chunks: (row?.chunks ?? 0) + 1,
      pages: JSON.stringify(pages),
      device: row?.device ?? m.device,
      country: row?.country ?? m.country,
      referrer: row?.referrer ?? m.referrer ?? null,
      r2_prefix: row?.r2_prefix ?? m.r2Prefix,
      flags: JSON.stringify(flags),
    };
    this.sql.exec(
      `INSERT INTO recording_deltas (flush_id, session, id, first_ts, last_ts, active_ms, clicks, rage_clicks,
         errors, bytes, chunks, pages, device, country, referrer, r2_prefix, flags)
       VALUES ('', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (flush_id, session) DO UPDATE SET first_ts = excluded.first_ts, last_ts = excluded.last_ts,
         active_ms = excluded.active_ms, clicks = excluded.clicks, rage_clicks = excluded.rage_clicks,
         errors = excluded.errors, bytes = excluded.bytes, chunks = excluded.chunks, pages = excluded.pages,
         referrer = excluded.referrer, flags = excluded.flags`,
      m.sessionId,
      next.id,
      next.first_ts,
      next.last_ts,
      next.active_ms,
      next.clicks,
      next.rage_clicks,
      next.errors,
      next.bytes,
      next.chunks,
      next.pages,
      next.device,
      next.country,
      next.referrer,
      next.r2_prefix,
      next.flags,
    );
  }

  /**
   * The site's daily quota of recorded sessions (called on shard 0): whether this session may
   * be recorded on `now`'s UTC day. A session already granted that day or the day before is
   * granted again without counting: a recording that runs across UTC midnight is one recorded
   * session, counted on the day it started. Older days are forgotten here.
   */
  async recordingGrant(name: string, sessionId: string, quota: number, now: number): Promise<boolean> {
    return this.ctx.storage.transactionSync(() => {
      this.setMetaOnce("name", name);
      const day = dayOf(now);
      this.sql.exec("DELETE FROM recording_grants WHERE day < ?", day - 1);
      this.sql.exec("DELETE FROM recording_quota WHERE day < ?", day);
      const known = this.sql
        .exec("SELECT 1 FROM recording_grants WHERE day >= ? AND session = ?", day - 1, sessionId)
        .toArray();
      if (known.length > 0) return true;
      const used =
        this.sql.exec<{ sessions: number }>("SELECT sessions FROM recording_quota WHERE day = ?", day).toArray()[0]
          ?.sessions ?? 0;
      if (used >= quota) return false;
      this.sql.exec("INSERT INTO recording_grants (day, session) VALUES (?, ?)", day, sessionId);
      this.sql.exec(
        `INSERT INTO recording_quota (day, sessions) VALUES (?, 1)
         ON CONFLICT (day) DO UPDATE SET sessions = sessions + 1`,
        day,
      );
      return true;
    });
  }

  /**
   * Whether a visitor should take `page`'s snapshot (called on shard 0, which keeps the site's
   * snapshot index): "deleted" once the site was (see purge), "fresh" when one was taken
   * within refreshAfterMs, "pending" while another visitor's grant runs, else "granted" (and
   * that grant is now the pending one).
   */
  async snapshotGrant(name: string, page: string, now: number): Promise<"granted" | "fresh" | "pending" | "deleted"> {
    return this.ctx.storage.transactionSync(() => {
      this.setMetaOnce("name", name);
      if (this.getMeta("deletedAt") !== undefined) return "deleted";
      const row = this.sql
        .exec<{ taken_at: number; granted_until: number }>(
          "SELECT taken_at, granted_until FROM snapshot_pages WHERE page = ?",
          page,
        )
        .toArray()[0];
      if (row && row.taken_at > now - LIMITS.snapshot.refreshAfterMs) return "fresh";
      if (row && row.granted_until > now) return "pending";
      this.sql.exec(
        `INSERT INTO snapshot_pages (page, granted_until) VALUES (?, ?)
         ON CONFLICT (page) DO UPDATE SET granted_until = excluded.granted_until`,
        page,
        now + LIMITS.snapshot.grantTtlMs,
      );
      return "granted";
    });
  }

  /**
   * Takes `page`'s running grant for one upload at `now`: only the grant this index handed out
   * (its expiry, signed into it, is its identity), only while it runs, and only once, so a
   * grant stores one snapshot however often it is replayed. The page then counts as taken at
   * `now`. Answers the page's previous `taken_at` (for `snapshotRelease`), or null: refused.
   */
  async snapshotClaim(name: string, page: string, grantExpiresAt: number, now: number): Promise<number | null> {
    return this.ctx.storage.transactionSync(() => {
      this.setMetaOnce("name", name);
      if (this.getMeta("deletedAt") !== undefined) return null;
      const row = this.sql
        .exec<{ taken_at: number; granted_until: number }>(
          "SELECT taken_at, granted_until FROM snapshot_pages WHERE page = ?",
          page,
        )
        .toArray()[0];
      if (!row || row.granted_until !== grantExpiresAt || grantExpiresAt <= now) return null;
      this.sql.exec("UPDATE snapshot_pages SET taken_at = ?, granted_until = 0 WHERE page = ?", now, page);
      return row.taken_at;
    });
  }

  /** Undoes a claim whose R2 write failed: the page is as before and the grant runs again. */
  async snapshotRelease(name: string, page: string, grantExpiresAt: number, takenAt: number, previous: number) {
    this.ctx.storage.transactionSync(() => {
      this.setMetaOnce("name", name);
      this.sql.exec(
        "UPDATE snapshot_pages SET taken_at = ?, granted_until = ? WHERE page = ? AND taken_at = ? AND granted_until = 0",
        previous,
        grantExpiresAt,
        page,
        takenAt,
      );
    });
  }

  /** For tests and the operator: the recording rows waiting for a flush. */
  async pendingRecordings(): Promise<{ rows: number; chunks: number }> {
    const r = this.sql
      .exec<{ rows: number; chunks: number | null }>(
        "SELECT count(*) AS rows, sum(chunks) AS chunks FROM recording_deltas",
      )
      .one();
    return { rows: r.rows, chunks: r.chunks ?? 0 };
  }

  /**
   * Records the event ids not seen before and returns them, in multi-row inserts of 100
   * events: DO SQLite allows 100 bound parameters a statement.
   */
  private markSeen(messages: IngestMessage[]): Set<string> {
    const fresh = new Set<string>();
    const ids = messages.flatMap((m) => withHeat(m).map((e) => e.id));
    for (const part of chunks(ids, MAX_PARAMS)) {
      const sql = `INSERT OR IGNORE INTO seen_events (id, ts) VALUES ${tuples(part.length, "?, 0")} RETURNING id`;
      for (const [id] of this.sql.exec(sql, ...part).raw<[string]>()) fresh.add(id);
    }
    return fresh;
  }

  /**
   * Counts fresh events against the site's daily quota (the UTC day the edge accepted them;
   * a shard's share of it when the site has several) and removes from `fresh` the ones past
   * it: they stay seen, so a redelivery is not counted either. Marks the day reached once.
   */
  private applyQuota(messages: IngestMessage[], fresh: Set<string>): { refused: number; spentDay?: number } {
    let quota: number | undefined;
    let shards = 1;
    for (const m of messages) {
      if (m.quota !== undefined) quota = m.quota;
      shards = m.shards;
    }
    if (quota === undefined) return { refused: 0 };
    const share = Math.ceil(quota / shards);
    const byDay = new Map<number, string[]>();
    for (const m of messages) {
      const day = dayOf(m.receivedAt);
      let ids = byDay.get(day);
      for (const e of withHeat(m)) {
        if (!fresh.has(e.id)) continue;
        if (!ids) {
          ids = [];
          byDay.set(day, ids);
        }
        ids.push(e.id);
      }
    }
    let refused = 0;
    const now = Date.now();
    for (const [day, ids] of byDay) {
      const row = this.sql
        .exec<{ events: number; reached_at: number | null }>("SELECT events, reached_at FROM quota WHERE day = ?", day)
        .toArray()[0];
      const before = row?.events ?? 0;
      const kept = Math.max(0, Math.min(ids.length, share - before));
      for (const id of ids.slice(kept)) fresh.delete(id);
      refused += ids.length - kept;
      const events = before + kept;
      const reachedAt = row?.reached_at ?? (events >= share ? now : null);
      this.sql.exec(
        `INSERT INTO quota (day, events, reached_at) VALUES (?, ?, ?)
         ON CONFLICT (day) DO UPDATE SET events = excluded.events, reached_at = excluded.reached_at`,
        day,
        events,
        reachedAt,
      );
    }
    // Against today's quota as the edge sent it: a raised quota un-spends the day.
    const today = dayOf(now);
    const spent = this.sql.exec<{ events: number }>("SELECT events FROM quota WHERE day = ?", today).toArray()[0];
    return spent && spent.events >= share ? { refused, spentDay: today } : { refused };
  }

  /**
   * Bounds the pages of each hour: a page the hour already counts stays; a new one is kept
   * while the hour has fewer than its share of `maxPathsPerHour`, and past that its events
   * count as OTHER_PATH. Only events that will count in the site's pages are looked at
   * (fresh, not bots). Rewrites the events' paths in place.
   */
  private capPaths(messages: IngestMessage[], fresh: Set<string>): void {
    const byHour = new Map<number, Set<string>>();
    for (const m of messages) {
      if (m.device === "bot") continue;
      for (const e of withHeat(m)) {
        if (e.path === OTHER_PATH || !fresh.has(e.id)) continue;
        const hour = hourOf(e.ts);
        let paths = byHour.get(hour);
        if (!paths) {
          paths = new Set();
          byHour.set(hour, paths);
        }
        paths.add(e.path);
      }
    }
    if (byHour.size === 0) return;
    const share = Math.ceil(LIMITS.aggregate.maxPathsPerHour / (messages[0]?.shards ?? 1));
    const refused = new Map<number, Set<string>>();
    for (const [hour, paths] of byHour) {
      const candidates = [...paths];
      for (const part of chunks(candidates, MAX_PARAMS - 1)) {
        const rows = this.sql
          .exec(`SELECT path FROM page_paths WHERE hour = ? AND path IN (${marks(part.length)})`, hour, ...part)
          .raw<[string]>();
        for (const [path] of rows) paths.delete(path);
      }
      if (paths.size === 0) continue;
      const counted = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM page_paths WHERE hour = ?", hour).one().n;
      const added = [...paths].slice(0, Math.max(0, share - counted));
      for (const part of chunks(added, Math.floor(MAX_PARAMS / 2))) {
        this.sql.exec(
          `INSERT INTO page_paths (hour, path) VALUES ${tuples(part.length, "?, ?")}`,
          ...part.flatMap((path) => [hour, path]),
        );
      }
      if (added.length < paths.size) refused.set(hour, new Set([...paths].slice(added.length)));
    }
    if (refused.size === 0) return;
    for (const m of messages) {
      for (const e of withHeat(m)) {
        if (refused.get(hourOf(e.ts))?.has(e.path)) e.path = OTHER_PATH;
      }
    }
  }

  /**
   * Adds the fresh heatmap items to heat_deltas, a count per (day, page, device, kind, variant,
   * selector, cell): a rage click counts as a click and a rage click; a move once per cell. Each
   * item counts for all visitors (variant '') and again under each of its message's heatFlags,
   * so deduplication, the quota and the path cap still take it once. Items of a page the path
   * cap folded into OTHER_PATH are not kept: a heatmap of "(other)" shows nothing anyone can
   * look at.
   */
  private addHeat(messages: IngestMessage[], fresh: Set<string>): { total: number; counted: number } {
    const counts = new Map<string, [string, string, string, string, string, string, number, number]>();
    let total = 0;
    let counted = 0;
    const add = (day: string, h: HeatItem, kind: string, variant: string, cell: number) => {
      const sel = h.sel ?? "";
      const key = `${day}\0${h.path}\0${h.device}\0${kind}\0${variant}\0${sel}\0${cell}`;
      const row = counts.get(key);
      if (row) row[7]++;
      else counts.set(key, [day, h.path, h.device, kind, variant, sel, cell, 1]);
    };
    const ALL = [""];
    for (const m of messages) {
      const variants = m.heatFlags ? ["", ...m.heatFlags] : ALL;
      for (const h of m.heat ?? []) {
        total++;
        // delete, not has: an id repeated within this call counts once too.
        if (!fresh.delete(h.id)) continue;
        counted++;
        if (h.path === OTHER_PATH) continue;
        const day = dayString(dayOf(h.ts));
        for (const variant of variants) {
          for (const cell of h.cells) add(day, h, h.k, variant, cell);
          if (h.rage) add(day, h, "rage", variant, h.cells[0] ?? 0);
        }
      }
    }
    const rows = [...counts.values()];
    for (const part of chunks(rows, Math.floor(MAX_PARAMS / 8))) {
      this.sql.exec(
        `INSERT INTO heat_deltas (flush_id, day, path, device, kind, variant, selector, cell, count)
         VALUES ${tuples(part.length, "'', ?, ?, ?, ?, ?, ?, ?, ?")}
         ON CONFLICT (flush_id, day, path, device, kind, variant, selector, cell)
         DO UPDATE SET count = count + excluded.count`,
        ...part.flat(),
      );
    }
    return { total, counted };
  }

  /**
   * Decides which sessions are new to each key of the tally: reads each visiting session's
   * row, adds the keys it lacked (counting the session there, in the hour it first touched
   * the key), and writes back the rows that changed. A session without a row is new to the
   * site, counted in the hour of its first event here.
   */
  private countSessions(tally: Tally): void {
    const stored = new Map<string, { hour: number; seen: Set<string> }>();
    for (const part of chunks([...tally.visits.keys()], MAX_PARAMS)) {
      const rows = this.sql
        .exec(`SELECT session, hour, seen FROM sessions WHERE session IN (${marks(part.length)})`, ...part)
        .raw<[string, number, string]>();
      for (const [session, hour, seen] of rows) stored.set(session, { hour, seen: new Set(JSON.parse(seen)) });
    }

    const changed: (string | number)[][] = [];
    for (const [session, v] of tally.visits) {
      const known = stored.get(session);
      if (!known && v.site) tally.freshSession(v.firstHour, SITE_KEY);
      const seen = known?.seen ?? new Set<string>();
      const added = mergeVisit(seen, v, LIMITS.aggregate.maxKeysPerSession);
      for (const [k, hour] of added) tally.freshSession(hour, k);
      const hour = Math.max(known?.hour ?? 0, v.lastHour);
      if (!known || added.length > 0 || hour !== known.hour) changed.push([session, hour, JSON.stringify([...seen])]);
    }
    for (const part of chunks(changed, Math.floor(MAX_PARAMS / 3))) {
      this.sql.exec(
        `INSERT INTO sessions (session, hour, seen) VALUES ${tuples(part.length, "?, ?, ?")}
         ON CONFLICT (session) DO UPDATE SET hour = excluded.hour, seen = excluded.seen`,
        ...part.flat(),
      );
    }
  }

  /** Counts each visitor hash not seen before as a new visitor, in its first hour here. */
  private countVisitors(tally: Tally): void {
    const all = [...tally.visitors];
    for (const part of chunks(all, MAX_PARAMS / 2)) {
      const rows = this.sql
        .exec(
          `INSERT OR IGNORE INTO visitors (visitor, day) VALUES ${tuples(part.length, "?, ?")} RETURNING visitor`,
          ...part.flatMap(([visitor, hour]) => [visitor, dayOf(hour)]),
        )
        .raw<[string]>();
      for (const [visitor] of rows) tally.freshVisitor(tally.visitors.get(visitor) as number);
    }
  }

  /** Adds the tally's counts to the pending deltas, in multi-row upserts per table. */
  private addDeltas(counts: Iterable<Count>): void {
    const rows = new Map<DeltaTable, (string | number)[][]>(DELTA_TABLES.map((t) => [t, []]));
    for (const c of counts) {
      const dimension = dimensionOf(c.key);
      const [table, keys] =
        c.key === SITE_KEY
          ? [SITE_DELTAS, []]
          : dimension
            ? [DIMENSION_DELTAS, [dimension, c.key.slice(1)]]
            : [PAGE_DELTAS, [c.key.slice(1)]];
      const row = [c.hour, ...keys, c.pageviews, c.sessions];
      if (table === SITE_DELTAS) row.push(c.visitors);
      rows.get(table)?.push(row);
    }
    for (const [t, all] of rows) {
      const cols = ["hour", ...t.keys];
      const counts = t.counts;
      const width = cols.length + counts.length;
      for (const part of chunks(all, Math.floor(MAX_PARAMS / width))) {
        this.sql.exec(
          `INSERT INTO ${t.table} (flush_id, ${cols.join(", ")}, ${counts.join(", ")})
           VALUES ${tuples(part.length, `'', ${marks(width)}`)}
           ON CONFLICT (flush_id, ${cols.join(", ")}) DO UPDATE SET
             ${counts.map((k) => `${k} = ${k} + excluded.${k}`).join(", ")}`,
          ...part.flat(),
        );
      }
    }
  }

  override async alarm(): Promise<void> {
    // While the alarm runs no alarm is set, and an ingest arriving meanwhile would arm one at
    // the normal interval, overriding the backoff: the running alarm arms the next itself.
    this.alarmArmed = true;
    let delay: number | null = null;
    try {
      // Whether or not Postgres answers: what it forgets needs no flush.
      this.pruneIfDue();
      const result = await this.flush();
      if (result.status === "failed") delay = nextFlushDelayMs(result.failures);
    } catch (err) {
      // Not a failed flush (flush() reports those): a bug. The alarm is retried.
      this.log.error("alarm failed", { name: this.getMeta("name"), ...describeError(err) });
      this.report(err);
      throw err;
    } finally {
      this.alarmArmed = false;
      // Alarms retry only a few times on their own: re-arm whenever deltas remain.
      if (this.hasDeltas()) await this.armAlarm(delay ?? nextFlushDelayMs(0));
    }
  }

  /** Sends every delta to Postgres under one flush id; keeps them if that fails. */
  async flush(): Promise<FlushResult> {
    const name = this.getMeta("name");
    const target = name ? parseAggregatorName(name) : null;
    if (!target) return { status: "empty" };
    const flushId = this.ctx.storage.transactionSync(() => {
      const inFlight = this.sql
        .exec<{ flush_id: string }>(`${everyDelta("flush_id", "flush_id <> ''")} LIMIT 1`)
        .toArray()[0]?.flush_id;
      if (inFlight) return inFlight;
      const id = newId("flush");
      let moved = 0;
      for (const t of FLUSHED_TABLES) {
        moved += this.sql.exec(`UPDATE ${t} SET flush_id = ? WHERE flush_id = ''`, id).rowsWritten;
      }
      return moved > 0 ? id : null;
    });
    if (!flushId) return { status: "empty" };
    const batch: FlushBatch = {
      flushId,
      siteId: target.siteId,
      shard: target.shard,
      rows: this.sql
        .exec<PageHourDelta & Record<string, SqlStorageValue>>(
          "SELECT hour, path, pageviews, sessions FROM deltas WHERE flush_id = ?",
          flushId,
        )
        .toArray(),
      site: this.sql
        .exec<SiteHourDelta & Record<string, SqlStorageValue>>(
          "SELECT hour, pageviews, sessions, visitors FROM site_deltas WHERE flush_id = ?",
          flushId,
        )
        .toArray(),
      dimensions: this.sql
        .exec<DimensionHourDelta & Record<string, SqlStorageValue>>(
          "SELECT hour, dimension, value, pageviews, sessions FROM dimension_deltas WHERE flush_id = ?",
          flushId,
        )
        .toArray(),
    };
    const recordings = this.sql
      .exec<RecordingDeltaRow & Record<string, SqlStorageValue>>(
        "SELECT * FROM recording_deltas WHERE flush_id = ?",
        flushId,
      )
      .toArray();
    if (recordings.length > 0) {
      batch.recordings = recordings.map((r) => ({
        sessionId: r.session,
        id: r.id,
        firstTs: r.first_ts,
        lastTs: r.last_ts,
        activeMs: r.active_ms,
        clicks: r.clicks,
        rageClicks: r.rage_clicks,
        errors: r.errors,
        bytes: r.bytes,
        chunks: r.chunks,
        pages: JSON.parse(r.pages) as string[],
        flags: JSON.parse(r.flags) as string[],
        device: r.device,
        country: r.country,
        referrer: r.referrer,
        r2Prefix: r.r2_prefix,
      }));
    }
    const heat = this.sql
      .exec<HeatDelta & Record<string, SqlStorageValue>>(
        "SELECT day, path, device, kind, variant, selector, cell, count FROM heat_deltas WHERE flush_id = ?",
        flushId,
      )
      .toArray();
    if (heat.length > 0) batch.heat = heat;
    const quotaDays = this.sql
      .exec<{ day: number; reached_at: number }>(
        "SELECT day, reached_at FROM quota WHERE reached_at IS NOT NULL AND reported = 0",
      )
      .toArray();
    if (quotaDays.length > 0) {
      batch.quotaDays = quotaDays.map((q) => ({ day: dayString(q.day), reachedAt: q.reached_at }));
    }
    const rows = batch.rows.length + batch.site.length + batch.dimensions.length + recordings.length + heat.length;
    const log = this.log.with({ site: target.siteId, shard: target.shard, flushId });
    const started = performance.now();
    let sink: (StatsSink & { close(): Promise<void> }) | null = null;
    try {
      sink = this.sinkFactory();
      const status = await sink.apply(batch);
      if (status === "gone") {
        // The site was deleted: what this object holds of it has nowhere to go.
        await this.purge();
        log.info("flush", { status, rows, ms: Math.round(performance.now() - started) });
        return { status, flushId, rows };
      }
      this.ctx.storage.transactionSync(() => {
        for (const t of FLUSHED_TABLES) this.sql.exec(`DELETE FROM ${t} WHERE flush_id = ?`, flushId);
        // A flush id that had landed before carried an older batch; report these next time.
        if (status === "applied") {
          for (const q of quotaDays) this.sql.exec("UPDATE quota SET reported = 1 WHERE day = ?", q.day);
        }
        this.setMeta("failures", "0");
        this.setMeta("lastFlushAt", String(Date.now()));
      });
      log.info("flush", { status, rows, ms: Math.round(performance.now() - started) });
      return { status, flushId, rows };
    } catch (err) {
      const failures = Number(this.getMeta("failures") ?? "0") + 1;
      this.setMeta("failures", String(failures));
      log.error("flush failed", { rows, failures, ...describeError(err) });
      if (failures === 1 || failures % 10 === 0) this.report(err);
      return { status: "failed", flushId, rows, failures };
    } finally {
      this.ctx.waitUntil(sink?.close().catch(() => undefined) ?? Promise.resolve());
    }
  }

  /**
   * Forgets everything this object holds (deltas, seen ids, sessions, visitors, quota days)
   * and its alarm: the site was deleted. Messages of the site still queued make it count
   * again, and its next flush finds the site gone and purges again. The object remembers the
   * deletion (site ids are never reused), so that its snapshot index hands out and takes no
   * grant while edge isolates still know the site: no snapshot lands after the API deleted
   * the site's snapshots.
   */
  async purge(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.alarmArmed = false;
    // deleteAll drops the tables too; the object must keep working for what comes next.
    this.sql.exec(SCHEMA);
    this.setMeta("deletedAt", String(Date.now()));
  }

  /** For the operator (GET /v1/health/pipeline): is this shard keeping up with Postgres? */
  async health(): Promise<AggregatorHealth> {
    const p = await this.pending();
    const last = this.getMeta("lastFlushAt");
    return {
      lastFlushAt: last === undefined ? null : Number(last),
      failures: p.failures,
      nextFlushAt: await this.ctx.storage.getAlarm(),
      pendingRows:
        p.rows +
        p.site.rows +
        Object.values(p.dimensions).reduce((n, d) => n + d.rows, 0) +
        (await this.pendingRecordings()).rows +
        p.heat.rows,
      pendingPageviews: p.site.pageviews,
      inFlight: p.inFlight,
    };
  }

  /** For tests and the operator: what is waiting to be flushed, per table. */
  async pending(): Promise<Pending> {
    const sum = (from: string, where = "") => {
      const r = this.sql
        .exec<{ rows: number; pageviews: number | null; sessions: number | null }>(
          `SELECT count(*) AS rows, sum(pageviews) AS pageviews, sum(sessions) AS sessions FROM ${from} ${where}`,
        )
        .one();
      return { rows: r.rows, pageviews: r.pageviews ?? 0, sessions: r.sessions ?? 0 };
    };
    const pages = sum("deltas");
    const dimensions = {} as Record<Dimension, PendingCounts>;
    for (const d of DIMENSIONS) dimensions[d] = sum("dimension_deltas", `WHERE dimension = '${d}'`);
    const heat = this.sql
      .exec<{ rows: number; count: number | null }>(
        "SELECT count(*) AS rows, sum(count) FILTER (WHERE variant = '') AS count FROM heat_deltas",
      )
      .one();
    return {
      rows: pages.rows,
      pageviews: pages.pageviews,
      inFlight: this.hasDeltas("flush_id <> ''"),
      failures: Number(this.getMeta("failures") ?? "0"),
      site: sum("site_deltas"),
      dimensions,
      heat: { rows: heat.rows, count: heat.count ?? 0 },
    };
  }

  private postgresSink(): StatsSink & { close(): Promise<void> } {
    const env = aggregatorEnv(this.env);
    const { db, close } = createDb({
      connectionString: env.DATABASE_URL,
      wsProxy: env.PG_WS_PROXY,
      connectTimeoutMs: LIMITS.db.connectTimeoutMs,
    });
    return { ...postgresStatsSink(db), close };
  }

  private hasDeltas(where = "1"): boolean {
    return this.sql.exec(`${everyDelta("1", where)} LIMIT 1`).toArray().length > 0;
  }

  private async armAlarm(delayMs: number): Promise<void> {
    if (this.alarmArmed) return;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + delayMs);
    this.alarmArmed = true;
  }

  /**
   * Forgets event ids and sessions past the dedupe window, visitors of days before yesterday,
   * and reported quota days. At most every `pruneIntervalMs`: sessions are keyed by session,
   * so forgetting them by hour reads the whole table.
   */
  private pruneIfDue(now = Date.now()): void {
    const last = Number(this.getMeta("prunedAt") ?? "0");
    if (now - last < LIMITS.aggregate.pruneIntervalMs) return;
    this.ctx.storage.transactionSync(() => {
      const cutoff = now - LIMITS.aggregate.dedupWindowMs;
      // Ids are UUIDv7, lowercase and minted within the edge's window, so they sort by time: a
      // range of the primary key, where an index on ts cost a second B-tree insert per event.
      this.sql.exec("DELETE FROM seen_events WHERE id < ?", uuidv7Floor(cutoff));
      this.sql.exec("DELETE FROM sessions WHERE hour < ?", hourOf(cutoff));
      this.sql.exec("DELETE FROM page_paths WHERE hour < ?", hourOf(cutoff));
      this.sql.exec("DELETE FROM recording_seen WHERE at < ?", cutoff);
      // A page whose snapshot is due again and has no grant running is asked for as if new.
      this.sql.exec(
        "DELETE FROM snapshot_pages WHERE taken_at < ? AND granted_until < ?",
        now - LIMITS.snapshot.refreshAfterMs,
        now,
      );
      this.sql.exec("DELETE FROM visitors WHERE day < ?", dayOf(now) - 1);
      this.sql.exec("DELETE FROM quota WHERE day < ? AND (reached_at IS NULL OR reported = 1)", dayOf(now) - 1);
      this.setMeta("prunedAt", String(now));
    });
  }

  private report(err: unknown): void {
    const sentry = sentryFor(this.env as SentryEnv, this.ctx);
    if (!sentry) return;
    sentry.setTag("aggregator", this.getMeta("name") ?? "");
    sentry.captureException(err);
  }

  private getMeta(key: string): string | undefined {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value;
  }

  private setMeta(key: string, value: string): void {
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      key,
      value,
    );
  }

  private setMetaOnce(key: string, value: string): void {
    this.sql.exec("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", key, value);
  }
}

/** A message's pageviews and heatmap items: what is deduplicated, counted against the quota and path-capped. */
function withHeat(m: IngestMessage): { id: string; ts: number; path: string }[] {
  return m.heat ? [...m.events, ...m.heat] : m.events;
}

/**
 * A session's flag variants: the distinct ones of `earlier` then of `later`, in first-seen
 * order, at most maxFlagsPerSite (Postgres merges rows the same way). More than a site's flags
 * only when flags flip; the cap keeps what was served first.
 */
function mergeFlags(earlier: readonly string[], later: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const f of [...earlier, ...later]) {
    if (seen.size >= LIMITS.flags.maxFlagsPerSite) break;
    seen.add(f);
  }
  return [...seen];
}

/** One SELECT over every table a flush takes. */
function everyDelta(select: string, where: string): string {
  return FLUSHED_TABLES.map((t) => `SELECT ${select} FROM ${t} WHERE ${where}`).join(" UNION ALL ");
}

function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

const tupleCache = new Map<string, string>();

/** `(row), (row), ...` for `rows` rows; kept, as a call builds the same few shapes over and over. */
function tuples(rows: number, row: string): string {
  const key = `${rows}:${row}`;
  let text = tupleCache.get(key);
  if (text === undefined) {
    text = Array.from({ length: rows }, () => `(${row})`).join(", ");
    tupleCache.set(key, text);
  }
  return text;
}

/** `?, ?, ?` for `n` parameters. */
function marks(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}
