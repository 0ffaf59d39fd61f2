import type { RateLimiter, RateLimitRule } from "./interface.ts";

/** For limits switched off on purpose: lets everything through and stores nothing. */
export function noopRateLimiter(rule: RateLimitRule, now: () => number = Date.now): RateLimiter {
  return {
    limit: async () => ({ success: true, limit: rule.limit, remaining: rule.limit, resetMs: now() + rule.windowMs }),
  };
}
