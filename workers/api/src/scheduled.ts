/**
 * The Cron Trigger: applies every site's retention (`applyRetention` in packages/db) and logs
 * one line per run. A failure is logged and reported to Sentry, never thrown: the next run
 * starts over where this one stopped.
 */
import { applyRetention, createDb, type RetentionResult } from "@sightline/db";
import { createLogger, describeError, type SentryEnv, sentryFor } from "@sightline/http";
import { LIMITS } from "@sightline/shared/limits";
import { apiEnv } from "./env.ts";

const log = createLogger({ service: "api-retention" });

export interface RetentionBounds {
  batchRows?: number;
  maxStatements?: number;
}

export async function scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
  await runRetention(env, ctx, new Date(controller.scheduledTime));
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
