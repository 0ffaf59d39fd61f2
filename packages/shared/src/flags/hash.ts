/**
 * Flag bucketing: which share of [0, 1) a targeting key falls in, the same in the browser and
 * at the edge. GrowthBook's published hash v2, so its test vectors hold for ours.
 */
import { fnv1a32 } from "../hash/index.ts";
import type { SplitWeights } from "./schema.ts";

/** GrowthBook v2 has 10,000 buckets; split weights are basis points, one bucket each. */
export const SPLIT_BASIS_POINTS = 10_000;

/** GrowthBook's hash v2: `fnv1a32(String(fnv1a32(seed + id))) % 10000 / 10000`, in [0, 1). */
export function bucket(seed: string, id: string): number {
  return (fnv1a32(String(fnv1a32(seed + id))) % SPLIT_BASIS_POINTS) / SPLIT_BASIS_POINTS;
}

/**
 * The variant whose share of [0, 1) holds `bucket`. Variants take their weights one after the
 * other in the record's own key order, which is the stored order as JSON.parse gives it, so
 * every runtime agrees; two caveats: names that are array indices ("0", "12") come first in
 * ascending order (ECMAScript property order), and Postgres `jsonb` re-sorts keys, so a record
 * kept there must not be re-serialised from it. Reordering variants reassigns visitors.
 *
 * With `coverage` below 1 each variant keeps only the first part of its share (GrowthBook's
 * bucket ranges): raising coverage adds visitors without moving any, and a bucket outside
 * every kept part gets undefined.
 */
export function pickVariant(weights: SplitWeights, bucket: number, coverage = 1): string | undefined {
  let start = 0;
  for (const [variant, weight] of Object.entries(weights)) {
    // Bounds divided as `bucket` was, so a bucket on an edge lands on the same side everywhere.
    if (bucket >= start / SPLIT_BASIS_POINTS && bucket < (start + weight * coverage) / SPLIT_BASIS_POINTS) {
      return variant;
    }
    start += weight;
  }
  return undefined;
}
