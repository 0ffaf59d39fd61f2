/**
 * One Durable Object per site shard. It counts pageviews and distinct sessions per page per
 * hour in its SQLite storage, dropping events it has already seen (Queue redeliveries,
 * client retries), and an alarm flushes the deltas to Postgres. A flush is taken under an
 * id before it is sent; if it fails the same id and rows are sent again later, and
 * Postgres applies a flush id at most once. Ingest therefore never waits on Postgres.
 */

import { DurableObject } from "cloudflare:workers";
import {
  type FlushBatch,
  hourOf,
  nextFlushDelayMs,
  parseAggregatorName,
  type StatsSink,
} from "@sightline/core/aggregate";
import { createDb, postgresStatsSink } from "@sightline/db";
import { createLogger, describeError, sentryFor } from "@sightline/http";
import { newId } from "@sightline/shared/ids";
import { LIMITS } from "@sightline/shared/limits";
import type { IngestMessage } from "@sightline/shared/wire";
import { aggregatorEnv } from "../env.ts";

/** Pending deltas have flush_id ''; a flush in progress or failed holds its own id. */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seen_events (id TEXT PRIMARY KEY, ts INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_events_ts ON seen_events (ts);
CREATE TABLE IF NOT EXISTS seen_sessions (
  hour INTEGER NOT NULL, path TEXT NOT NULL, session TEXT NOT NULL,
  PRIMARY KEY (hour, path, session)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deltas (
  flush_id TEXT NOT NULL, hour INTEGER NOT NULL, path TEXT NOT NULL,
  pageviews INTEGER NOT NULL, sessions INTEGER NOT NULL,
  PRIMARY KEY (flush_id, hour, path)) WITHOUT ROWID;
`;

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
    this.sql.exec(SCHEMA);
  }

  /** Counts a group of queued messages, all of this shard. Duplicates are skipped. */
  async ingest(name: string, messages: IngestMessage[]): Promise<IngestResult> {
    let total = 0;
    let counted = 0;
    this.ctx.storage.transactionSync(() => {
      this.setMetaOnce("name", name);
      const fresh = this.markSeen(messages);
      // Group in memory first: one upsert per page-hour instead of one per event.
      const groups = new Map<string, { hour: number; path: string; pageviews: number; sessions: Set<string> }>();
      for (const m of messages) {
        for (const e of m.events) {
          total++;
          // delete, not has: an id repeated within this call counts once too.
          if (!fresh.delete(e.id)) continue;
          const hour = hourOf(e.ts);
          const key = `${hour} ${e.path}`;
          let g = groups.get(key);
          if (!g) {
            g = { hour, path: e.path, pageviews: 0, sessions: new Set() };
            groups.set(key, g);
          }
          g.pageviews++;
          g.sessions.add(m.sessionId);
          counted++;
        }
      }
      for (const g of groups.values()) {
        let sessions = 0;
        for (const sid of g.sessions) {
          const inserted = this.sql.exec(
            "INSERT OR IGNORE INTO seen_sessions (hour, path, session) VALUES (?, ?, ?)",
            g.hour,
            g.path,
            sid,
          ).rowsWritten;
          if (inserted > 0) sessions++;
        }
        this.sql.exec(
          `INSERT INTO deltas (flush_id, hour, path, pageviews, sessions) VALUES ('', ?, ?, ?, ?)
           ON CONFLICT (flush_id, hour, path) DO UPDATE SET
             pageviews = pageviews + excluded.pageviews, sessions = sessions + excluded.sessions`,
          g.hour,
          g.path,
          g.pageviews,
          sessions,
        );
      }
    });
    if (counted > 0) await this.armAlarm(LIMITS.aggregate.flushIntervalMs);
    return { counted, duplicates: total - counted };
  }

  /**
   * Records the event ids not seen before and returns them. Multi-row inserts keep this to
   * one statement per 50 events: DO SQLite allows 100 bound parameters a statement.
   */
  private markSeen(messages: IngestMessage[]): Set<string> {
    const fresh = new Set<string>();
    const events = messages.flatMap((m) => m.events);
    const perStatement = 50;
    for (let i = 0; i < events.length; i += perStatement) {
      const chunk = events.slice(i, i + perStatement);
      const params = chunk.flatMap((e) => [e.id, e.ts]);
      const rows = this.sql.exec<{ id: string }>(
        `INSERT OR IGNORE INTO seen_events (id, ts) VALUES ${chunk.map(() => "(?, ?)").join(", ")} RETURNING id`,
        ...params,
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

  /** Sends the deltas to Postgres under one flush id; keeps them if that fails. */
  async flush(): Promise<FlushResult> {
    const name = this.getMeta("name");
    const target = name ? parseAggregatorName(name) : null;
    if (!target) return { status: "empty" };
    let flushId = this.sql
      .exec<{ flush_id: string }>("SELECT flush_id FROM deltas WHERE flush_id <> '' LIMIT 1")
      .toArray()[0]?.flush_id;
    if (!flushId) {
      const id = newId("flush");
      if (this.sql.exec("UPDATE deltas SET flush_id = ? WHERE flush_id = ''", id).rowsWritten === 0) {
        return { status: "empty" };
      }
      flushId = id;
    }
    const rows = this.sql
      .exec<{ hour: number; path: string; pageviews: number; sessions: number }>(
        "SELECT hour, path, pageviews, sessions FROM deltas WHERE flush_id = ?",
        flushId,
      )
      .toArray();
    const batch: FlushBatch = { flushId, siteId: target.siteId, shard: target.shard, rows };
    const log = this.log.with({ site: target.siteId, shard: target.shard, flushId });
    const started = performance.now();
    let sink: (StatsSink & { close(): Promise<void> }) | null = null;
    try {
      sink = this.sinkFactory();
      const status = await sink.apply(batch);
      this.sql.exec("DELETE FROM deltas WHERE flush_id = ?", flushId);
      this.setMeta("failures", "0");
      this.prune();
      log.info("flush", { status, rows: rows.length, ms: Math.round(performance.now() - started) });
      return { status, flushId, rows: rows.length };
    } catch (err) {
      const failures = Number(this.getMeta("failures") ?? "0") + 1;
      this.setMeta("failures", String(failures));
      log.error("flush failed", { rows: rows.length, failures, ...describeError(err) });
      if (failures === 1 || failures % 10 === 0) this.report(err);
      return { status: "failed", flushId, rows: rows.length, failures };
    } finally {
      this.ctx.waitUntil(sink?.close().catch(() => undefined) ?? Promise.resolve());
    }
  }

  /** For tests and the operator: what is waiting to be flushed. */
  async pending(): Promise<{ rows: number; pageviews: number; inFlight: boolean; failures: number }> {
    const r = this.sql
      .exec<{ rows: number; pageviews: number | null; inflight: number }>(
        "SELECT count(*) AS rows, sum(pageviews) AS pageviews, max(flush_id <> '') AS inflight FROM deltas",
      )
      .one();
    return {
      rows: r.rows,
      pageviews: r.pageviews ?? 0,
      inFlight: r.inflight === 1,
      failures: Number(this.getMeta("failures") ?? "0"),
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

  private hasDeltas(): boolean {
    return this.sql.exec("SELECT 1 FROM deltas LIMIT 1").toArray().length > 0;
  }

  private async armAlarm(delayMs: number): Promise<void> {
    if (this.alarmArmed) return;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + delayMs);
    this.alarmArmed = true;
  }

  private prune(): void {
    const cutoff = Date.now() - LIMITS.aggregate.dedupWindowMs;
    this.sql.exec("DELETE FROM seen_events WHERE ts < ?", cutoff);
    this.sql.exec("DELETE FROM seen_sessions WHERE hour < ?", hourOf(cutoff));
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
