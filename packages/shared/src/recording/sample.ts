/**
 * The sampling rule alone, without zod, so the tracker core can bundle it for a few bytes
 * (`@sightline/shared/recording/sample`); `../recording` re-exports it.
 */
import { fnv1a32 } from "../hash/index.ts";

/** Whether the site samples this session: deterministic, so every page of a session agrees. */
export function sessionSampled(siteKey: string, sessionId: string, sampleRate: number): boolean {
  // A rate of 0 picks none (nothing is below 0) and 1 picks all (every bucket is below 10,000).
  return fnv1a32(`rec:${siteKey}:${sessionId}`) % 10_000 < Math.round(sampleRate * 10_000);
}
