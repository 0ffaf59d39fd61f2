import { bucketOf } from "@sightline/shared/hash";

/**
 * The Durable Object a session's events go to. Sharding by session keeps each session on one
 * shard, so distinct-session counts add up across shards without double counting.
 */
export function aggregatorName(siteId: string, sessionId: string, shards: number): string {
  return `${siteId}:${bucketOf(sessionId, shards)}`;
}

export function parseAggregatorName(name: string): { siteId: string; shard: number } | null {
  const i = name.lastIndexOf(":");
  if (i <= 0) return null;
  const shard = Number(name.slice(i + 1));
  return Number.isInteger(shard) && shard >= 0 ? { siteId: name.slice(0, i), shard } : null;
}
