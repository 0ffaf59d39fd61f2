/**
 * The Cron Trigger: applies every site's retention (`applyRetention` in packages/db) to its
 * statistics, then erases recordings past the site's `recordingRetentionDays` (and those of
 * deleted sites), and logs one line per job. A failure is logged and reported to Sentry, never
 * thrown: the next run starts over where this one stopped.
 */
import { applyRetention, createDb, type RetentionResult, recordingsData } from "@sightline/db";
import { createLogger, describeError, type SentryEnv, sentryFor } from "@sightline/http";
import { LIMITS } from "@sightline/shared/limits";
import { apiEnv } from "./env.ts";
import { checkedPrefix, deleteUnder } from "./lib/recording-objects.ts";

const log = createLogger({ service: "api-retention" });

export interface RetentionBounds {
  batchRows?: number;
  maxStatements?: number;
}

export async function scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
  const now = new Date(controller.scheduledTime);
  await runRetention(env, ctx, now);
  await runRecordingRetention(env, ctx, now);
}

/** One retention run at `now`; the bounds default to `LIMITS.retention`. */
export async function runRetention(
  rawEnv: Env,
  ctx: ExecutionContext,
  now: Date,
  bounds: RetentionBounds = {},
): Promise<RetentionResult | null> {
  const started = performance.now();
  let close: (() => Promise<void>) | undefined;
  try {
    const env = apiEnv(rawEnv);
    const conn = createDb({
      connectionString: env.DATABASE_URL,
      wsProxy: env.PG_WS_PROXY,
      connectTimeoutMs: LIMITS.db.connectTimeoutMs,
    });
    close = conn.close;
    const result = await applyRetention(conn.db, { now, ...bounds });
    log.info("retention run", {
      now: now.toISOString(),
      sites: result.sites,
      ...result.deleted,
      batches: result.batches,
      stoppedAtBound: result.stoppedAtBound,
      ms: Math.round(performance.now() - started),
    });
    return result;
  } catch (err) {
    log.error("retention failed", {
      now: now.toISOString(),
      ...describeError(err),
      ms: Math.round(performance.now() - started),
    });
    const sentry = sentryFor(rawEnv as SentryEnv, ctx);
    sentry?.setTag("job", "retention");
    sentry?.captureException(err);
    return null;
  } finally {
    if (close) ctx.waitUntil(close().catch(() => undefined));
  }
}

export interface RecordingRetentionBounds {
  batch?: number;
  maxPerRun?: number;
}

export interface RecordingRetentionResult {
  recordings: number;
  objects: number;
  /** Erasure marks (erased_recordings) older than LIMITS.recording.maxRetentionDays dropped. */
  erasuresForgotten: number;
  /** The run erased its bound; more may be due, for the next run. */
  stoppedAtBound: boolean;
}

/**
 * A recording's R2 objects. A row whose prefix is not its own recording's folder (a corrupt
 * row) loses only its row: no listing outside that folder, and the run is not stuck on it;
 * the bucket's lifecycle rule takes what it leaves.
 */
async function eraseObjects(env: Env, r: recordingsData.ExpiredRecording): Promise<number> {
  let prefix: string;
  try {
    prefix = checkedPrefix(r.siteId, r.r2Prefix);
  } catch {
    log.warn("recording with an invalid prefix erased without its objects", { id: r.id, siteId: r.siteId });
    return 0;
  }
  return deleteUnder(env.RECORDINGS, prefix);
}

/** R2 calls in flight at once while a batch is erased. */
const R2_CONCURRENCY = 6;

/**
 * Erases recordings due at `now`, a batch at a time: each one's R2 objects first, then the
 * batch's rows, so a failure part way leaves rows that the next run finds again. At most
 * `maxPerRun` (default `LIMITS.retention.maxRecordingsPerRun`) per run.
 */
export async function runRecordingRetention(
  rawEnv: Env,
  ctx: ExecutionContext,
  now: Date,
  bounds: RecordingRetentionBounds = {},
): Promise<RecordingRetentionResult | null> {
  const started = performance.now();
  const batch = bounds.batch ?? LIMITS.retention.recordingBatch;
  const maxPerRun = bounds.maxPerRun ?? LIMITS.retention.maxRecordingsPerRun;
  const result: RecordingRetentionResult = { recordings: 0, objects: 0, erasuresForgotten: 0, stoppedAtBound: false };
  let close: (() => Promise<void>) | undefined;
  try {
    const env = apiEnv(rawEnv);
    const conn = createDb({
      connectionString: env.DATABASE_URL,
      wsProxy: env.PG_WS_PROXY,
      connectTimeoutMs: LIMITS.db.connectTimeoutMs,
    });
    close = conn.close;
    for (;;) {
      const room = maxPerRun - result.recordings;
      if (room <= 0) {
        result.stoppedAtBound = true;
        break;
      }
      const due = await recordingsData.expiredRecordings(conn.db, now, Math.min(batch, room));
      if (due.length === 0) break;
      for (let i = 0; i < due.length; i += R2_CONCURRENCY) {
        const counts = await Promise.all(due.slice(i, i + R2_CONCURRENCY).map((r) => eraseObjects(rawEnv, r)));
        for (const n of counts) result.objects += n;
      }
      result.recordings += await recordingsData.deleteRecordingsById(
        conn.db,
        due.map((r) => r.id),
      );
      if (due.length < Math.min(batch, room)) break;
    }
    const keepErasuresFrom = new Date(now.getTime() - LIMITS.recording.maxRetentionDays * 24 * 3_600_000);
    result.erasuresForgotten = await recordingsData.pruneErasedRecordings(conn.db, keepErasuresFrom, maxPerRun);
    log.info("recording retention run", {
      now: now.toISOString(),
      ...result,
      ms: Math.round(performance.now() - started),
    });
    return result;
  } catch (err) {
    log.error("recording retention failed", {
      now: now.toISOString(),
      ...result,
      ...describeError(err),
      ms: Math.round(performance.now() - started),
    });
    const sentry = sentryFor(rawEnv as SentryEnv, ctx);
    sentry?.setTag("job", "recording-retention");
    sentry?.captureException(err);
    return null;
  } finally {
    if (close) ctx.waitUntil(close().catch(() => undefined));
  }
}
