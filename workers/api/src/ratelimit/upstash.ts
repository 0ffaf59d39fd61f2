/**
 * The rate limiter on Upstash Redis: @upstash/ratelimit's sliding window over the REST client.
 * One global counter per key, the same in every location.
 */
import type { RateLimiter, RateLimitRule } from "@sightline/core/ratelimit";
import { assertRule } from "@sightline/core/ratelimit";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis/cloudflare";

export interface UpstashRateLimiterConfig {
  url: string;
  token: string;
  rule: RateLimitRule;
  /** Prefix of every Redis key it writes. */
  prefix: string;
}

export function upstashRateLimiter(config: UpstashRateLimiterConfig): RateLimiter {
  assertRule(config.rule);
  // No env auto-read (`fromEnv`) and no telemetry headers.
  const redis = new Redis({ url: config.url, token: config.token, enableTelemetry: false });
  const ratelimit = new Ratelimit({
    redis,
    limiter: Ratelimit.slidingWindow(config.rule.limit, `${config.rule.windowMs} ms`),
    prefix: config.prefix,
    // Off: analytics writes extra keys on every call. The ephemeral cache answers a blocked key
    // from isolate memory without asking Redis, so a refusal would stop reflecting Redis.
    analytics: false,
    ephemeralCache: false,
    enableTelemetry: false,
    // Its own timeout would answer success with limit 0; `failOpen` around it does that
    // uniformly for every backend instead.
    timeout: 0,
  });
  return {
    async limit(key) {
      const r = await ratelimit.limit(key);
      return { success: r.success, limit: r.limit, remaining: r.remaining, resetMs: r.reset };
    },
  };
}
