/**
 * The sampling rule alone, without zod, so the tracker core can bundle it for a few bytes
 * (`@sightline/shared/recording/sample`); `../recording` re-exports it.
 */
import { fnv1a32 } from "../hash/index.ts";

/** Whether the site samples this session: deterministic, so every page of a session agrees. */
export function sessionSampled(siteKey: string, sessionId: string, sampleRate: number): boolean {
  if (sampleRate <= 0) return false;
  if (sampleRate >= 1) return true;
  return fnv1a32(`rec:${siteKey}:${sessionId}`) % 10_000 < Math.round(sampleRate * 10_000);
}
