/**
 * FNV-1a, 32 bit: the one hash used on both sides (browser and worker) wherever a key must
 * land in the same bucket: shard selection today, flag rollout next.
 */
export function fnv1a32(input: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < input.length; i++) {
    h ^= input.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A stable bucket in [0, buckets) for a key. */
export function bucketOf(key: string, buckets: number): number {
  return buckets <= 1 ? 0 : fnv1a32(key) % buckets;
}
