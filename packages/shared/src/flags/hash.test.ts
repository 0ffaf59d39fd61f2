import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bucket, pickVariant, SPLIT_BASIS_POINTS } from "./hash.ts";

describe("bucket", () => {
  // GrowthBook's own vectors, verbatim: the "hash" section of packages/sdk-js/test/cases.json
  // (growthbook/growthbook at 8f1db44, specVersion 0.8.0), every case of version 2, as
  // [seed, value, expected]. The design's ("seed","a") 0.0505 and ("foo","ab") 0.2575 are among
  // them: v2 results, not v1 (`fnv1a32(value + seed) % 1000 / 1000`).
  const growthbookV2: [string, string, number][] = [
    ["seed", "a", 0.0505],
    ["seed", "b", 0.2696],
    ["foo", "ab", 0.2575],
    ["foo", "def", 0.2019],
    ["89123klj", "8952klfjas09ujkasdf", 0.124],
    ["90850943850283058242805", "123", 0.7516],
    ["()**(%$##$%#$#", '___)((*":&', 0.0128],
  ];

  it.each(growthbookV2)("matches GrowthBook v2 for (%j, %j)", (seed, value, expected) => {
    expect(bucket(seed, value)).toBe(expected);
  });

  it("is a multiple of 1/10,000 in [0, 1)", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (seed, id) => {
        const b = bucket(seed, id);
        expect(b).toBeGreaterThanOrEqual(0);
        expect(b).toBeLessThan(1);
        expect(Number.isInteger(Math.round(b * SPLIT_BASIS_POINTS))).toBe(true);
      }),
    );
  });
});

describe("pickVariant", () => {
  const weights = { a: 2_500, b: 0, c: 7_500 };

  it("walks the variants in the record's key order with cumulative basis points", () => {
    expect(pickVariant(weights, 0)).toBe("a");
    expect(pickVariant(weights, 0.2499)).toBe("a");
    expect(pickVariant(weights, 0.25)).toBe("c");
    expect(pickVariant(weights, 0.9999)).toBe("c");
    expect(pickVariant({ c: 7_500, a: 2_500 }, 0)).toBe("c");
  });

  it("never picks a variant of weight 0", () => {
    for (let n = 0; n < SPLIT_BASIS_POINTS; n++) expect(pickVariant(weights, n / SPLIT_BASIS_POINTS)).not.toBe("b");
  });

  it("keeps the first part of each share under a coverage, and nothing outside it", () => {
    expect(pickVariant(weights, 0.0499, 0.2)).toBe("a");
    expect(pickVariant(weights, 0.05, 0.2)).toBeUndefined();
    expect(pickVariant(weights, 0.25, 0.2)).toBe("c");
    expect(pickVariant(weights, 0.3999, 0.2)).toBe("c");
    expect(pickVariant(weights, 0.4, 0.2)).toBeUndefined();
    expect(pickVariant(weights, 0, 0)).toBeUndefined();
  });

  it("only adds buckets as coverage grows, never moves one", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: SPLIT_BASIS_POINTS - 1 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        (n, p, q) => {
          const [low, high] = p <= q ? [p, q] : [q, p];
          const before = pickVariant(weights, n / SPLIT_BASIS_POINTS, low / 100);
          if (before !== undefined) expect(pickVariant(weights, n / SPLIT_BASIS_POINTS, high / 100)).toBe(before);
        },
      ),
    );
  });
});
