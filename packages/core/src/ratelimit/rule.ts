import type { RateLimitRule } from "./interface.ts";

/** Throws a RangeError for a rule no limiter can enforce; rules come from code, not users. */
export function assertRule(rule: RateLimitRule): void {
  if (!Number.isSafeInteger(rule.limit) || rule.limit < 1) {
    throw new RangeError(`rate limit must be a positive integer, got ${rule.limit}`);
  }
  if (!Number.isSafeInteger(rule.windowMs) || rule.windowMs < 1) {
    throw new RangeError(`rate limit window must be a positive integer of ms, got ${rule.windowMs}`);
  }
}
