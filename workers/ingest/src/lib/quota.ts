/**
 * Sites whose daily event quota is spent, as the edge knows it. The aggregator counts the
 * day and stops counting past the quota; the queue consumer then marks the site here (this
 * isolate at once) and in KV (`quota:<siteId>`, every location within about a minute), and
 * collect refuses the site's batches until the next UTC day. Each isolate re-reads a site's
 * mark at most every `quotaMarkCacheMs`, so a location overshoots by what it accepts in that
 * time plus KV's propagation; the aggregator never counts the overshoot.
 */
import { dayOf } from "@sightline/core/aggregate";
import { BoundedMap } from "@sightline/shared/cache";
import { LIMITS } from "@sightline/shared/limits";

const DAY_MS = 86_400_000;
const marks = new BoundedMap<string, { day: number | null; until: number }>(LIMITS.isolate.siteCacheEntries);

export const quotaKvKey = (siteId: string) => `quota:${siteId}`;

/** Whether the site's quota for the UTC day of `now` is spent. */
export async function quotaSpent(kv: KVNamespace, siteId: string, now: number): Promise<boolean> {
  const today = dayOf(now);
  let mark = marks.get(siteId);
  if (!mark || mark.until <= now) {
    const raw = await kv.get(quotaKvKey(siteId), { cacheTtl: 60 });
    const day = raw === null ? null : Number(raw);
    mark = { day: Number.isInteger(day) ? day : null, until: now + LIMITS.loader.quotaMarkCacheMs };
    marks.set(siteId, mark);
  }
  return mark.day === today;
}

/** Marks the site spent for `day`; writes KV only when this isolate did not know it yet. */
export async function markQuotaSpent(kv: KVNamespace, siteId: string, day: number): Promise<void> {
  const known = marks.get(siteId);
  const endOfDay = (day + 1) * DAY_MS;
  marks.set(siteId, { day, until: endOfDay });
  if (known?.day === day) return;
  // KV wants an expiration at least 60 s ahead; the mark is worthless after its day.
  const expiration = Math.max(Math.ceil(endOfDay / 1000), Math.ceil(Date.now() / 1000) + 60);
  await kv.put(quotaKvKey(siteId), String(day), { expiration });
}

/** Tests change KV between requests; production never needs this. */
export function clearQuotaMarks(): void {
  marks.clear();
}
