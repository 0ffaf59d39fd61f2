/**
 * One Durable Object per site shard. It counts, per hour, pageviews and distinct sessions per
 * page, for the whole site, and per breakdown value (referrer, device, country) in its SQLite
 * storage, dropping events it has already seen (Queue redeliveries, client retries), and an
 * alarm flushes the deltas to Postgres. A flush is taken under one id across all three delta
 * tables before it is sent; if it fails the same id and rows are sent again later, and
 * Postgres applies a flush id at most once. Ingest therefore never waits on Postgres.
 */

import { DurableObject } from "cloudflare:workers";
import {
  type DimensionHourDelta,
  type FlushBatch,
  hourOf,
  nextFlushDelayMs,
  type PageHourDelta,
  parseAggregatorName,
  type SiteHourDelta,
  type StatsSink,
} from "@sightline/core/aggregate";
import { createDb, postgresStatsSink } from "@sightline/db";
import { createLogger, describeError, sentryFor } from "@sightline/http";
import { newId, uuidv7Floor } from "@sightline/shared/ids";
import { LIMITS } from "@sightline/shared/limits";
import { DIMENSIONS, type Dimension, type IngestMessage, UNKNOWN_VALUE } from "@sightline/shared/wire";
import { aggregatorEnv } from "../env.ts";

/**
 * Pending deltas have flush_id ''; a flush in progress or failed holds its own id, the same
 * in every delta table. Page deltas keep their first table name so existing objects need no
 * migration. *_sessions hold the sessions already counted per key and hour, keyed session
 * before the rest: a session's rows sit together and new sessions (UUIDv7, minted at their
 * start) append, so one message dirties a page or two of each B-tree, not one per row.
 * seen_events is pruned by id (see prune); objects made before that drop their old index on
 * ts when they start.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seen_events (id TEXT PRIMARY KEY, ts INTEGER NOT NULL) WITHOUT ROWID;
DROP INDEX IF EXISTS seen_events_ts;
CREATE TABLE IF NOT EXISTS page_sessions (
  hour INTEGER NOT NULL, session TEXT NOT NULL, path TEXT NOT NULL,
  PRIMARY KEY (hour, session, path)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deltas (
  flush_id TEXT NOT NULL, hour INTEGER NOT NULL, path TEXT NOT NULL,
  pageviews INTEGER NOT NULL, sessions INTEGER NOT NULL,
  PRIMARY KEY (flush_id, hour, path)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS site_sessions (
  hour INTEGER NOT NULL, session TEXT NOT NULL,
  PRIMARY KEY (hour, session)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS site_deltas (
  flush_id TEXT NOT NULL, hour INTEGER NOT NULL,
  pageviews INTEGER NOT NULL, sessions INTEGER NOT NULL,
  PRIMARY KEY (flush_id, hour)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dimension_sessions (
  hour INTEGER NOT NULL, session TEXT NOT NULL, dimension TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (hour, session, dimension, value)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dimension_deltas (
  flush_id TEXT NOT NULL, hour INTEGER NOT NULL, dimension TEXT NOT NULL, value TEXT NOT NULL,
  pageviews INTEGER NOT NULL, sessions INTEGER NOT NULL,
  PRIMARY KEY (flush_id, hour, dimension, value)) WITHOUT ROWID;
`;

/** Session tables of objects made before the session-first keys, moved over when they start. */
const FORMER_SESSION_TABLES = [
  { from: "seen_sessions", to: "page_sessions", columns: "hour, session, path" },
  { from: "site_seen_sessions", to: "site_sessions", columns: "hour, session" },
  { from: "dimension_seen_sessions", to: "dimension_sessions", columns: "hour, session, dimension, value" },
];

/** A kind of delta: where its sessions are remembered, where its counts wait, its key. */
interface Kind {
  seen: string;
  deltas: string;
  /** Key columns besides hour. */
  keys: readonly string[];
}

const PAGE: Kind = { seen: "page_sessions", deltas: "deltas", keys: ["path"] };
const SITE: Kind = { seen: "site_sessions", deltas: "site_deltas", keys: [] };
const DIMENSION: Kind = { seen: "dimension_sessions", deltas: "dimension_deltas", keys: ["dimension", "value"] };
const KINDS = [PAGE, SITE, DIMENSION];

/** DO SQLite allows 100 bound parameters a statement. */
const MAX_PARAMS = 100;

/** Pageviews and the distinct sessions of one ingest call, for one key in one hour. */
interface Group {
  hour: number;
  keys: string[];
  pageviews: number;
  sessions: Set<string>;
  /** Of `sessions`, those not counted for this key and hour before. */
  fresh: number;
}

/** Hour first, then keys; \0 cannot occur in an hour, a dimension name, or a parsed path. */
function groupKey(hour: number, keys: readonly unknown[]): string {
  return keys.length === 0 ? `${hour}` : `${hour}\0${keys.join("\0")}`;
}

/** Grouping in memory first: one upsert per key-hour instead of one per event. */
class Groups {
  readonly byKey = new Map<string, Group>();

  add(session: string, hour: number, ...keys: string[]): void {
    const key = groupKey(hour, keys);
    let g = this.byKey.get(key);
    if (!g) {
      g = { hour, keys, pageviews: 0, sessions: new Set(), fresh: 0 };
      this.byKey.set(key, g);
    }
    g.pageviews++;
    g.sessions.add(session);
  }
}

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
}

export interface IngestResult {
  counted: number;
  duplicates: number;
}

export type FlushResult =
  | { status: "empty" }
  | { status: "applied" | "duplicate"; flushId: string; rows: number }
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
      this.moveFormerSessionTables();
    });
  }

  /** Copies the sessions an older object counted into the session-first tables, once. */
  private moveFormerSessionTables(): void {
    const tables = new Set(
      this.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
        .toArray()
        .map((r) => r.name),
    );
    for (const t of FORMER_SESSION_TABLES) {
      if (!tables.has(t.from)) continue;
      this.sql.exec(`INSERT OR IGNORE INTO ${t.to} (${t.columns}) SELECT ${t.columns} FROM ${t.from}`);
      this.sql.exec(`DROP TABLE ${t.from}`);
    }
  }

  /**
   * Counts a group of queued messages, all of this shard. Duplicates are skipped. Messages
   * queued before device and country existed count as "unknown" there, so each breakdown
   * still sums to the site's pageviews; events without a referrer value add no referrer row.
   */
  async ingest(name: string, messages: IngestMessage[]): Promise<IngestResult> {
    let total = 0;
    let counted = 0;
    this.ctx.storage.transactionSync(() => {
      this.setMetaOnce("name", name);
      const fresh = this.markSeen(messages);
      const pages = new Groups();
      const site = new Groups();
      const dimensions = new Groups();
      for (const m of messages) {
        const session = m.sessionId;
        const device = m.device ?? UNKNOWN_VALUE;
        const country = m.country ?? UNKNOWN_VALUE;
        for (const e of m.events) {
          total++;
          // delete, not has: an id repeated within this call counts once too.
          if (!fresh.delete(e.id)) continue;
          const hour = hourOf(e.ts);
          pages.add(session, hour, e.path);
          site.add(session, hour);
          dimensions.add(session, hour, "device", device);
          dimensions.add(session, hour, "country", country);
          if (e.ref !== undefined) dimensions.add(session, hour, "referrer", e.ref);
          counted++;
        }
      }
      this.addDeltas(PAGE, pages);
      this.addDeltas(SITE, site);
      this.addDeltas(DIMENSION, dimensions);
    });
    if (counted > 0) await this.armAlarm(LIMITS.aggregate.flushIntervalMs);
    return { counted, duplicates: total - counted };
  }

  /**
   * Adds one kind's groups to its pending deltas. Sessions count where they are new to the
   * key and hour: INSERT OR IGNORE ... RETURNING yields exactly those rows. Both steps are
   * multi-row statements kept under the parameter limit.
   */
  private addDeltas(kind: Kind, groups: Groups): void {
    if (groups.byKey.size === 0) return;
    const cols = ["hour", ...kind.keys];

    const seen: (string | number)[][] = [];
    for (const g of groups.byKey.values()) for (const s of g.sessions) seen.push([g.hour, ...g.keys, s]);
    const seenCols = [...cols, "session"];
    for (const chunk of chunks(seen, Math.floor(MAX_PARAMS / seenCols.length))) {
      const inserted = this.sql.exec<Record<string, SqlStorageValue>>(
        `INSERT OR IGNORE INTO ${kind.seen} (${seenCols.join(", ")}) VALUES ${tuples(chunk.length, seenCols.length)}
         RETURNING ${cols.join(", ")}`,
        ...chunk.flat(),
      );
      for (const r of inserted) {
        const key = groupKey(
          r.hour as number,
          kind.keys.map((k) => r[k]),
        );
        const g = groups.byKey.get(key);
        if (g) g.fresh++;
      }
    }

    const deltaCols = [...cols, "pageviews", "sessions"];
    for (const chunk of chunks([...groups.byKey.values()], Math.floor(MAX_PARAMS / deltaCols.length))) {
      this.sql.exec(
        `INSERT INTO ${kind.deltas} (flush_id, ${deltaCols.join(", ")})
         VALUES ${tuples(chunk.length, deltaCols.length, "''")}
         ON CONFLICT (flush_id, ${cols.join(", ")}) DO UPDATE SET
           pageviews = pageviews + excluded.pageviews, sessions = sessions + excluded.sessions`,
        ...chunk.flatMap((g) => [g.hour, ...g.keys, g.pageviews, g.fresh]),
      );
    }
  }

  /**
   * Records the event ids not seen before and returns them. Multi-row inserts keep this to
   * one statement per 50 events: DO SQLite allows 100 bound parameters a statement.
   */
  private markSeen(messages: IngestMessage[]): Set<string> {
    const fresh = new Set<string>();
    const events = messages.flatMap((m) => m.events);
    for (const chunk of chunks(events, MAX_PARAMS / 2)) {
      const rows = this.sql.exec<{ id: string }>(
        `INSERT OR IGNORE INTO seen_events (id, ts) VALUES ${tuples(chunk.length, 2)} RETURNING id`,
        ...chunk.flatMap((e) => [e.id, e.ts]),
      );
      for (const r of rows) fresh.add(r.id);
    }
    return fresh;
  }

  override async alarm(): Promise<void> {
    this.alarmArmed = false;
    let delay: number | null = null;
    try {
      const result = await this.flush();
      if (result.status === "failed") delay = nextFlushDelayMs(result.failures);
    } finally {
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
      for (const k of KINDS) {
        moved += this.sql.exec(`UPDATE ${k.deltas} SET flush_id = ? WHERE flush_id = ''`, id).rowsWritten;
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
          "SELECT hour, pageviews, sessions FROM site_deltas WHERE flush_id = ?",
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
    const rows = batch.rows.length + batch.site.length + batch.dimensions.length;
    const log = this.log.with({ site: target.siteId, shard: target.shard, flushId });
    const started = performance.now();
    let sink: (StatsSink & { close(): Promise<void> }) | null = null;
    try {
      sink = this.sinkFactory();
      const status = await sink.apply(batch);
      this.ctx.storage.transactionSync(() => {
        for (const k of KINDS) this.sql.exec(`DELETE FROM ${k.deltas} WHERE flush_id = ?`, flushId);
        this.setMeta("failures", "0");
        this.prune();
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
    return {
      rows: pages.rows,
      pageviews: pages.pageviews,
      inFlight: this.hasDeltas("flush_id <> ''"),
      failures: Number(this.getMeta("failures") ?? "0"),
      site: sum("site_deltas"),
      dimensions,
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

  private prune(): void {
    const cutoff = Date.now() - LIMITS.aggregate.dedupWindowMs;
    // Ids are UUIDv7, lowercase and minted within the edge's window, so they sort by time: a
    // range of the primary key, where an index on ts cost a second B-tree insert per event.
    this.sql.exec("DELETE FROM seen_events WHERE id < ?", uuidv7Floor(cutoff));
    for (const k of KINDS) this.sql.exec(`DELETE FROM ${k.seen} WHERE hour < ?`, hourOf(cutoff));
  }

  private report(err: unknown): void {
    const sentry = sentryFor(this.env as { SENTRY_DSN?: string }, this.ctx);
    sentry?.captureException(err);
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

/** One SELECT over the three delta tables. */
function everyDelta(select: string, where: string): string {
  return KINDS.map((k) => `SELECT ${select} FROM ${k.deltas} WHERE ${where}`).join(" UNION ALL ");
}

function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** `(?, ?), (?, ?)` for `rows` rows of `width` parameters, after optional literal leading values. */
function tuples(rows: number, width: number, lead?: string): string {
  const one = `(${lead ? `${lead}, ` : ""}${Array.from({ length: width }, () => "?").join(", ")})`;
  return Array.from({ length: rows }, () => one).join(", ");
}
