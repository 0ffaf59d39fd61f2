/**
 * One Durable Object per site x session (idFromName `<siteId>:<sessionId>`): a recording's
 * chunks between the edge and R2. Each chunk's events (a JSON array as text, never parsed) is
 * kept by seq, a repeated seq stored once; the session's bytes, chunks and first and last
 * timestamps are tracked against the caps. An alarm writes what is buffered to R2 as one
 * gzipped JSON array per part (the chunks' arrays joined in seq order, as strings) when the
 * buffer holds LIMITS.recording.flushBytes or its oldest chunk is flushAgeMs old, so a
 * recorded minute costs about one R2 write instead of thirty.
 *
 * A part's number is the seq of its first chunk: keys never collide, and sort in seq order.
 * A chunk that arrives after later ones were written goes into a later part, so the parts in
 * key order hold every event once, in seq order within each part; players order events by
 * timestamp (rrweb's Replayer sorts them), docs/RECORDINGS.md.
 *
 * A written chunk keeps its row (seq, size) without its events, so a retry is still a
 * duplicate. Everything is deleted once the session has been written and idle for
 * LIMITS.recording.grantTtlMs: longer than a grant lives, so the caps hold for a grant's life.
 *
 * `erase()` (a recording deleted through the API) drops the unwritten chunks and refuses
 * every later one for the rest of the grant's life, so nothing of the session reaches R2 again;
 * a part whose write was in flight when it ran is deleted once the write lands.
 */
import { DurableObject } from "cloudflare:workers";
import { nextFlushDelayMs } from "@sightline/core/aggregate";
import { createLogger, describeError, type SentryEnv, sentryFor } from "@sightline/http";
import { LIMITS } from "@sightline/shared/limits";
import { recordingPartKey, recordingPrefix } from "@sightline/shared/recording";

const R = LIMITS.recording;
/** DO SQLite allows 100 bound parameters a statement. */
const MAX_PARAMS = 100;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS session (
  id INTEGER PRIMARY KEY CHECK (id = 1), site_id TEXT NOT NULL, session_id TEXT NOT NULL,
  prefix TEXT NOT NULL, bytes INTEGER NOT NULL, chunks INTEGER NOT NULL,
  first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, last_at INTEGER NOT NULL,
  failures INTEGER NOT NULL DEFAULT 0, parts INTEGER NOT NULL DEFAULT 0,
  erased INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS chunks (
  seq INTEGER PRIMARY KEY, events TEXT, size INTEGER NOT NULL, received_at INTEGER NOT NULL);
`;

export interface AppendInput {
  siteId: string;
  sessionId: string;
  seq: number;
  /** The chunk's rrweb events: a JSON array, as text. */
  events: string;
  /** The chunk as uploaded (compressed or not): what counts against maxSessionBytes. */
  bytes: number;
  firstTs: number;
  lastTs: number;
}

export type RecordingLimit = "bytes" | "chunks" | "duration";

export type AppendResult =
  | { status: "stored" | "duplicate"; r2Prefix: string }
  | { status: "limit"; limit: RecordingLimit }
  | { status: "erased" };

interface SessionRow {
  site_id: string;
  session_id: string;
  prefix: string;
  bytes: number;
  chunks: number;
  first_ts: number;
  last_ts: number;
  last_at: number;
  failures: number;
  parts: number;
  erased: number;
}

/** What the buffer holds, for tests and the operator. */
export interface BufferState {
  session: SessionRow | null;
  buffered: { chunks: number; size: number };
  written: number;
  alarm: number | null;
}

/** The part of an R2 bucket the buffer uses; tests stand in a failing one. */
export type PartStore = Pick<R2Bucket, "put" | "delete">;

export class RecordingBuffer extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly log = createLogger({ service: "recording-buffer" });
  private alarmRunning = false;
  /** Replaced in tests: the clock, and the bucket (to stand for R2 failing). */
  now: () => number = () => Date.now();
  store: () => PartStore = () => this.env.RECORDINGS;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
  }

  /** Keeps one chunk, unless its seq is already here or it would pass a cap of the session. */
  async append(input: AppendInput): Promise<AppendResult> {
    const now = this.now();
    const result = this.ctx.storage.transactionSync((): AppendResult => {
      const s = this.session();
      if (s?.erased) return { status: "erased" };
      if (s && this.sql.exec("SELECT 1 FROM chunks WHERE seq = ?", input.seq).toArray().length > 0) {
        return { status: "duplicate", r2Prefix: s.prefix };
      }
      const bytes = (s?.bytes ?? 0) + input.bytes;
      const chunks = (s?.chunks ?? 0) + 1;
      const firstTs = Math.min(s?.first_ts ?? input.firstTs, input.firstTs);
      const lastTs = Math.max(s?.last_ts ?? input.lastTs, input.lastTs);
      if (chunks > R.maxChunksPerSession) return { status: "limit", limit: "chunks" };
      if (bytes > R.maxSessionBytes) return { status: "limit", limit: "bytes" };
      if (lastTs - firstTs > R.maxSessionDurationMs) return { status: "limit", limit: "duration" };
      // Fixed by the first chunk that arrives: every part of the session lands under it.
      const prefix = s?.prefix ?? recordingPrefix(input.siteId, input.firstTs, input.sessionId);
      this.sql.exec(
        "INSERT INTO chunks (seq, events, size, received_at) VALUES (?, ?, ?, ?)",
        input.seq,
        input.events,
        input.events.length,
        now,
      );
      this.sql.exec(
        `INSERT INTO session (id, site_id, session_id, prefix, bytes, chunks, first_ts, last_ts, last_at)
         VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET bytes = excluded.bytes, chunks = excluded.chunks,
           first_ts = excluded.first_ts, last_ts = excluded.last_ts, last_at = excluded.last_at`,
        input.siteId,
        input.sessionId,
        prefix,
        bytes,
        chunks,
        firstTs,
        lastTs,
        now,
      );
      return { status: "stored", r2Prefix: prefix };
    });
    if (result.status === "stored") await this.schedule(now);
    return result;
  }

  /**
   * Forgets the session's unwritten chunks and refuses its later ones until the purge (a
   * grant's life after now). The caller deletes what R2 already holds under the prefix.
   */
  async erase(siteId: string, sessionId: string): Promise<void> {
    const now = this.now();
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("UPDATE chunks SET events = NULL");
      this.sql.exec(
        `INSERT INTO session (id, site_id, session_id, prefix, bytes, chunks, first_ts, last_ts, last_at, erased)
         VALUES (1, ?, ?, '', 0, 0, ?, ?, ?, 1)
         ON CONFLICT (id) DO UPDATE SET erased = 1, last_at = excluded.last_at`,
        siteId,
        sessionId,
        now,
        now,
        now,
      );
    });
    this.log.info("recording erased", { site: siteId });
    if (!this.alarmRunning) await this.rearm(null);
  }

  /** Brings the alarm forward to when the buffer is due, unless it is running or backing off. */
  private async schedule(now: number): Promise<void> {
    if (this.alarmRunning) return;
    const due = this.dueAt(now);
    if (due === null) return;
    const failing = (this.session()?.failures ?? 0) > 0;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || (!failing && due < current)) await this.ctx.storage.setAlarm(due);
  }

  /** When the unwritten chunks must be written: now past flushBytes, else flushAgeMs after the oldest. */
  private dueAt(now: number): number | null {
    const b = this.sql
      .exec<{ n: number; size: number | null; oldest: number | null }>(
        "SELECT count(*) AS n, sum(size) AS size, min(received_at) AS oldest FROM chunks WHERE events IS NOT NULL",
      )
      .one();
    if (b.n === 0) return null;
    if ((b.size ?? 0) >= R.flushBytes) return now;
    return (b.oldest ?? now) + R.flushAgeMs;
  }

  override async alarm(): Promise<void> {
    this.alarmRunning = true;
    let retryAt: number | null = null;
    try {
      await this.flush();
    } catch (err) {
      const failures = (this.session()?.failures ?? 0) + 1;
      this.sql.exec("UPDATE session SET failures = ?", failures);
      retryAt = this.now() + nextFlushDelayMs(failures);
      this.log.error("recording flush failed", { failures, ...describeError(err) });
      if (failures === 1 || failures % 10 === 0) this.report(err);
    } finally {
      this.alarmRunning = false;
      // Alarms retry only a few times on their own: always leave the next one armed.
      await this.rearm(retryAt);
    }
  }

  /**
   * Writes every unwritten chunk to R2, in seq order, as parts of about flushBytes each. A
   * part's chunks are marked written only once R2 has it; a failure leaves the rest for the
   * retry (an object written twice holds the same chunks under the same key).
   */
  async flush(): Promise<number> {
    const s = this.session();
    if (!s) return 0;
    const pending = this.sql
      .exec<{ seq: number; size: number }>("SELECT seq, size FROM chunks WHERE events IS NOT NULL ORDER BY seq")
      .toArray();
    let written = 0;
    let part: number[] = [];
    let size = 0;
    for (let i = 0; i < pending.length; i++) {
      const c = pending[i] as { seq: number; size: number };
      part.push(c.seq);
      size += c.size;
      if (size >= R.flushBytes || i === pending.length - 1) {
        await this.writePart(s.prefix, part);
        written++;
        part = [];
        size = 0;
      }
    }
    if (written > 0) {
      this.sql.exec("UPDATE session SET failures = 0, parts = parts + ?", written);
      this.log.info("recording flush", { parts: written, chunks: pending.length });
    }
    return written;
  }

  private async writePart(prefix: string, seqs: number[]): Promise<void> {
    // Erased while an earlier part of this flush was on its way: its chunks are gone.
    if (this.session()?.erased) return;
    const bodies: string[] = [];
    for (let i = 0; i < seqs.length; i += MAX_PARAMS) {
      const part = seqs.slice(i, i + MAX_PARAMS);
      const rows = this.sql
        .exec<{ events: string }>(
          `SELECT events FROM chunks WHERE seq IN (${part.map(() => "?").join(", ")}) ORDER BY seq`,
          ...part,
        )
        .toArray();
      for (const r of rows) {
        // Each is a JSON array: its elements, without the brackets, join into one array.
        const inner = r.events.slice(1, -1).trim();
        if (inner.length > 0) bodies.push(inner);
      }
    }
    const gz = await gzip(`[${bodies.join(",")}]`);
    const key = recordingPartKey(prefix, seqs[0] as number);
    // The bytes are the gzip file itself (`.json.gz`), not a JSON object served compressed.
    await this.store().put(key, gz, { httpMetadata: { contentType: "application/gzip" } });
    // An erase can run while the put is in flight (R2 is I/O, not storage: the object takes
    // other calls meanwhile), and the API's delete of the prefix can go before the put lands.
    if (this.session()?.erased) {
      await this.store().delete(key);
      return;
    }
    for (let i = 0; i < seqs.length; i += MAX_PARAMS) {
      const part = seqs.slice(i, i + MAX_PARAMS);
      this.sql.exec(`UPDATE chunks SET events = NULL WHERE seq IN (${part.map(() => "?").join(", ")})`, ...part);
    }
  }

  /** The next alarm: a retry, the buffer's due time, or the purge once written and idle. */
  private async rearm(retryAt: number | null): Promise<void> {
    const now = this.now();
    const s = this.session();
    if (!s) return;
    const due = retryAt ?? this.dueAt(now);
    if (due !== null) {
      await this.ctx.storage.setAlarm(due);
      return;
    }
    const purgeAt = s.last_at + R.grantTtlMs;
    if (now >= purgeAt) {
      await this.ctx.storage.deleteAlarm();
      await this.ctx.storage.deleteAll();
      this.sql.exec(SCHEMA);
      return;
    }
    await this.ctx.storage.setAlarm(purgeAt);
  }

  async state(): Promise<BufferState> {
    const b = this.sql
      .exec<{ n: number; size: number | null }>(
        "SELECT count(*) AS n, sum(size) AS size FROM chunks WHERE events IS NOT NULL",
      )
      .one();
    const written = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM chunks WHERE events IS NULL").one().n;
    return {
      session: this.session(),
      buffered: { chunks: b.n, size: b.size ?? 0 },
      written,
      alarm: await this.ctx.storage.getAlarm(),
    };
  }

  private session(): SessionRow | null {
    return (
      this.sql
        .exec<SessionRow & Record<string, SqlStorageValue>>(
          "SELECT site_id, session_id, prefix, bytes, chunks, first_ts, last_ts, last_at, failures, parts, erased FROM session",
        )
        .toArray()[0] ?? null
    );
  }

  private report(err: unknown): void {
    const sentry = sentryFor(this.env as SentryEnv, this.ctx);
    if (!sentry) return;
    sentry.setTag("durableObject", "RecordingBuffer");
    sentry.captureException(err);
  }
}

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
