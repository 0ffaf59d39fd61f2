import { describe, expect, it } from "vitest";
import {
  assertRule,
  failOpen,
  noopRateLimiter,
  type RateLimiter,
  type SlidingWindowState,
  slidingWindowExpiresAt,
  slidingWindowLimit,
} from "./index.ts";

const rule = { limit: 3, windowMs: 1_000 };

function run(times: number, at: number, state?: SlidingWindowState) {
  const results = [];
  let s = state;
  for (let i = 0; i < times; i++) {
    const out = slidingWindowLimit(s, rule, at);
    results.push(out.result);
    s = out.state;
  }
  return { results, state: s };
}

describe("slidingWindowLimit", () => {
  it("allows up to the limit in a window, then refuses without counting", () => {
    const { results, state } = run(5, 10_250);
    expect(results.map((r) => r.success)).toEqual([true, true, true, false, false]);
    expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0, 0]);
    expect(results.every((r) => r.resetMs === 11_000 && r.limit === 3)).toBe(true);
    expect(state).toEqual({ windowMs: 1_000, window: 10, current: 3, previous: 0 });
  });

  it("weighs the previous window by its overlap, as @upstash/ratelimit does", () => {
    const full = run(3, 10_900).state;
    // 10% into the next window 90% of the previous 3 still count: floor(2.7) = 2.
    const early = run(2, 11_100, full);
    expect(early.results.map((r) => r.success)).toEqual([true, false]);
    expect(early.results[0]?.remaining).toBe(0);
    // Two windows on, nothing is left.
    expect(run(3, 12_100, full).results.every((r) => r.success)).toBe(true);
    expect(slidingWindowExpiresAt(full as SlidingWindowState)).toBe(12_000);
  });

  it("starts afresh when the rule's window length changes", () => {
    const full = run(3, 10_500).state as SlidingWindowState;
    const other = slidingWindowLimit(full, { limit: 3, windowMs: 2_000 }, 10_600);
    expect(other.result).toMatchObject({ success: true, remaining: 2 });
  });
});

describe("assertRule", () => {
  it("refuses rules no limiter can enforce", () => {
    expect(() => assertRule({ limit: 0, windowMs: 1_000 })).toThrow(RangeError);
    expect(() => assertRule({ limit: 1.5, windowMs: 1_000 })).toThrow(RangeError);
    expect(() => assertRule({ limit: 1, windowMs: 0 })).toThrow(RangeError);
    expect(() => assertRule(rule)).not.toThrow();
  });
});

describe("failOpen and noop", () => {
  const never: RateLimiter = { limit: () => new Promise(() => {}) };
  const broken: RateLimiter = { limit: () => Promise.reject(new Error("store down")) };

  it("lets a request through, marked, when the store is slow or failing", async () => {
    const errors: unknown[] = [];
    const slow = failOpen(never, rule, { timeoutMs: 10, now: () => 5_000 });
    expect(await slow.limit("k")).toEqual({
      success: true,
      limit: 3,
      remaining: 3,
      resetMs: 6_000,
      failedOpen: "timeout",
    });
    const failing = failOpen(broken, rule, { timeoutMs: 1_000, onError: (e) => errors.push(e) });
    expect(await failing.limit("k")).toMatchObject({ success: true, failedOpen: "error" });
    expect(errors).toHaveLength(1);
  });

  it("passes a healthy store's answer through untouched", async () => {
    const ok = failOpen(
      noopRateLimiter(rule, () => 1),
      rule,
      { timeoutMs: 1_000 },
    );
    expect(await ok.limit("k")).toEqual({ success: true, limit: 3, remaining: 3, resetMs: 1_001 });
  });
});
