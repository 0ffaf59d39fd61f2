import { LIMITS } from "@sightline/shared/limits";

/**
 * Delay before the next flush: the normal interval while Postgres answers, doubling per
 * consecutive failure up to a ceiling, so a database outage is not hammered.
 */
export function nextFlushDelayMs(consecutiveFailures: number): number {
  const { flushIntervalMs, maxFlushBackoffMs } = LIMITS.aggregate;
  if (consecutiveFailures <= 0) return flushIntervalMs;
  return Math.min(flushIntervalMs * 2 ** Math.min(consecutiveFailures, 20), maxFlushBackoffMs);
}

/** Seconds a Queue message waits before its next delivery, by attempts so far. */
export function queueRetryDelaySeconds(attempts: number): number {
  return Math.min(2 ** Math.max(attempts, 1), 300);
}
