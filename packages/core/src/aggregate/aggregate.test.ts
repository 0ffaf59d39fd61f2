import { LIMITS } from "@sightline/shared/limits";
import { describe, expect, it } from "vitest";
import { aggregatorName, hourOf, nextFlushDelayMs, parseAggregatorName, queueRetryDelaySeconds } from "./index.ts";

describe("hourOf", () => {
  it("floors to the UTC hour", () => {
    const t = Date.UTC(2026, 10, 30, 13, 59, 59, 999);
    expect(hourOf(t)).toBe(Date.UTC(2026, 10, 30, 13));
    expect(hourOf(Date.UTC(2026, 10, 30, 14))).toBe(Date.UTC(2026, 10, 30, 14));
  });
});

describe("aggregatorName", () => {
  it("keeps a session on one shard and spreads sessions over shards", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const sid = `0192f0c0-0000-7000-8000-${i.toString().padStart(12, "0")}`;
      const a = aggregatorName("site_a", sid, 4);
      expect(aggregatorName("site_a", sid, 4)).toBe(a);
      seen.add(a);
    }
    expect([...seen].sort()).toEqual(["site_a:0", "site_a:1", "site_a:2", "site_a:3"]);
  });

  it("uses shard 0 for an unsharded site and round-trips through its parser", () => {
    const name = aggregatorName("site_x:y", "s", 1);
    expect(name).toBe("site_x:y:0");
    expect(parseAggregatorName(name)).toEqual({ siteId: "site_x:y", shard: 0 });
    expect(parseAggregatorName("nonsense")).toBeNull();
    expect(parseAggregatorName("site:-1")).toBeNull();
  });
});

describe("backoff", () => {
  it("flushes on the interval while healthy and backs off to a ceiling", () => {
    const { flushIntervalMs, maxFlushBackoffMs } = LIMITS.aggregate;
    expect(nextFlushDelayMs(0)).toBe(flushIntervalMs);
    expect(nextFlushDelayMs(1)).toBe(flushIntervalMs * 2);
    expect(nextFlushDelayMs(3)).toBe(flushIntervalMs * 8);
    expect(nextFlushDelayMs(1_000)).toBe(maxFlushBackoffMs);
    // Counts must catch up within 60 s of Postgres' return: one backoff and one flush.
    expect(maxFlushBackoffMs + flushIntervalMs).toBeLessThanOrEqual(60_000);
    expect(queueRetryDelaySeconds(0)).toBe(2);
    expect(queueRetryDelaySeconds(4)).toBe(16);
    expect(queueRetryDelaySeconds(99)).toBe(300);
  });
});
