/**
 * Site lookup for the hot path: KV (edge-cached for a minute) behind a short per-isolate
 * cache, so most requests read no storage at all. Unknown keys are cached too, briefly,
 * so a flood of bad keys cannot turn into a flood of KV reads.
 */

import type { Logger } from "@sightline/http";
import { BoundedMap } from "@sightline/shared/cache";
import { LIMITS } from "@sightline/shared/limits";
import { type SiteEdgeRecord, siteEdgeRecord, siteKeySchema, siteKvKey } from "@sightline/shared/site";
import { clearFlagsCache } from "./flags.ts";

const TTL_MS = LIMITS.loader.siteConfigCacheMs;
const cache = new BoundedMap<string, { site: SiteEdgeRecord | null; until: number }>(LIMITS.isolate.siteCacheEntries);

export async function findSite(kv: KVNamespace, siteKey: string, log?: Logger): Promise<SiteEdgeRecord | null> {
  const now = Date.now();
  const hit = cache.get(siteKey);
  if (hit && hit.until > now) return hit.site;
  // The wire schema bounds a key's length only. A key no site can have (a lone surrogate, a
  // slash, a NUL) is unknown without a read: KV refuses some such names with an error, and
  // the rest would cost a read and a cache entry each.
  if (!siteKeySchema.safeParse(siteKey).success) return null;
  const raw = await kv.get(siteKvKey(siteKey), { type: "json", cacheTtl: 60 });
  let site: SiteEdgeRecord | null = null;
  if (raw !== null) {
    const parsed = siteEdgeRecord.safeParse(raw);
    if (parsed.success) site = parsed.data;
    else log?.error("malformed site record in KV", { siteKey });
  }
  cache.set(siteKey, { site, until: now + (site ? TTL_MS : TTL_MS / 10) });
  return site;
}

/** Tests change KV between requests; production never needs this. Sites' flags go too. */
export function clearSiteCache(): void {
  cache.clear();
  clearFlagsCache();
}
