import { LIMITS } from "@sightline/shared/limits";

/**
 * A recording's pages: the distinct pages of `earlier` then of `later`, in first-seen order,
 * at most LIMITS.recording.maxPagesPerRecording (Postgres merges rows the same way).
 */
export function mergePages(earlier: readonly string[], later: readonly string[]): string[] {
  const max = LIMITS.recording.maxPagesPerRecording;
  const seen = new Set<string>();
  for (const p of earlier) {
    if (seen.size >= max) break;
    seen.add(p);
  }
  for (const p of later) {
    if (seen.size >= max) break;
    seen.add(p);
  }
  return [...seen];
}
