/**
 * The rate limiter on Durable Objects, for deployments without Upstash: one object per key
 * (so one hot token cannot slow the others), keeping the same sliding window as Upstash in
 * its SQLite storage, with a copy in memory. An alarm drops a key's state once it has
 * expired, so idle tokens leave no storage behind.
 */

import { DurableObject } from "cloudflare:workers";
import type { RateLimiter, RateLimitResult, RateLimitRule, SlidingWindowState } from "@sightline/core/ratelimit";
import { assertRule, slidingWindowExpiresAt, slidingWindowLimit } from "@sightline/core/ratelimit";

interface Row extends Record<string, SqlStorageValue> {
  window_ms: number;
  window: number;
  current: number;
  previous: number;
}

export class RateLimiterObject extends DurableObject {
  private readonly states = new Map<string, SlidingWindowState>();
  private schemaReady = false;
  /** When the cleanup alarm is set for; undefined until read from storage. */
  private alarmAt: number | null | undefined;

  /** Counts one request for `key` under `rule`; all synchronous, so calls never interleave. */
  async limit(key: string, rule: RateLimitRule): Promise<RateLimitResult> {
    assertRule(rule);
    const now = Date.now();
    const { result, state } = slidingWindowLimit(this.load(key), rule, now);
    if (result.success) {
      this.states.set(key, state);
      this.ctx.storage.sql.exec(
        `INSERT INTO windows (key, window_ms, window, current, previous) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET window_ms = excluded.window_ms, window = excluded.window,
           current = excluded.current, previous = excluded.previous`,
        key,
        state.windowMs,
        state.window,
        state.current,
        state.previous,
      );
      await this.armCleanup(slidingWindowExpiresAt(state));
    }
    return result;
  }

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    this.ensureSchema();
    const now = Date.now();
    this.ctx.storage.sql.exec("DELETE FROM windows WHERE (window + 2) * window_ms <= ?", now);
    this.states.clear();
    const next = this.ctx.storage.sql
      .exec<{ at: number | null }>("SELECT MAX((window + 2) * window_ms) AS at FROM windows")
      .one().at;
    if (next === null) {
      // Nothing left: free the object's storage entirely.
      await this.ctx.storage.deleteAll();
      this.schemaReady = false;
    } else {
      await this.armCleanup(next);
    }
  }

  private ensureSchema() {
    if (this.schemaReady) return;
    this.ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS windows (
         key TEXT PRIMARY KEY, window_ms INTEGER NOT NULL, window INTEGER NOT NULL,
         current INTEGER NOT NULL, previous INTEGER NOT NULL
       ) WITHOUT ROWID`,
    );
    this.schemaReady = true;
  }

  private load(key: string): SlidingWindowState | undefined {
    const cached = this.states.get(key);
    if (cached) return cached;
    this.ensureSchema();
    const row = this.ctx.storage.sql
      .exec<Row>("SELECT window_ms, window, current, previous FROM windows WHERE key = ?", key)
      .toArray()[0];
    return row && { windowMs: row.window_ms, window: row.window, current: row.current, previous: row.previous };
  }

  /** Keeps the alarm at the latest expiry, writing it at most once per window per key. */
  private async armCleanup(at: number) {
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt !== null && this.alarmAt >= at) return;
    this.alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }
}

export interface DurableObjectRateLimiterOptions {
  /** Prefix of every object name (and stored key), to keep rules apart. */
  prefix: string;
}

export function durableObjectRateLimiter(
  namespace: DurableObjectNamespace<RateLimiterObject>,
  rule: RateLimitRule,
  opts: DurableObjectRateLimiterOptions,
): RateLimiter {
  assertRule(rule);
  return {
    async limit(key) {
      const name = `${opts.prefix}:${key}`;
      const stub = namespace.get(namespace.idFromName(name));
      const r = await stub.limit(name, rule);
      return { success: r.success, limit: r.limit, remaining: r.remaining, resetMs: r.resetMs };
    },
  };
}
