/**
 * Picks the API worker's rate limiter: Upstash Redis when it is configured, else the Durable
 * Object. Either way a store that is slow or down lets requests through (marked `failedOpen`).
 */
import type { RateLimiter, RateLimitRule } from "@sightline/core/ratelimit";
import { failOpen } from "@sightline/core/ratelimit";
import { durableObjectRateLimiter, type RateLimiterObject } from "./durable-object.ts";
import { upstashRateLimiter } from "./upstash.ts";

export { noopRateLimiter } from "@sightline/core/ratelimit";
export { durableObjectRateLimiter, RateLimiterObject } from "./durable-object.ts";
export { upstashRateLimiter } from "./upstash.ts";

export interface RateLimiterEnv {
  UPSTASH_REDIS_REST_URL?: string | undefined;
  UPSTASH_REDIS_REST_TOKEN?: string | undefined;
  RATE_LIMITER: DurableObjectNamespace<RateLimiterObject>;
}

export interface RateLimiterOptions {
  /** Keeps one rule's counters apart from another's: e.g. "api:token". */
  prefix?: string;
  /** How long to wait for the store before letting the request through. */
  timeoutMs?: number;
  /** Told about each store failure, to log it. */
  onError?: (error: unknown) => void;
}

// Upstash answers in a few ms from the same region and a Durable Object in less; a second
// means the store is in trouble, and the API should not wait on it.
const DEFAULT_TIMEOUT_MS = 1_000;
const DEFAULT_PREFIX = "sightline:ratelimit";

export type RateLimitBackend = "upstash" | "durable-object";

export function rateLimitBackend(env: RateLimiterEnv): RateLimitBackend {
  return env.UPSTASH_REDIS_REST_URL && env.UPSTASH_REDIS_REST_TOKEN ? "upstash" : "durable-object";
}

export function createRateLimiter(
  env: RateLimiterEnv,
  rule: RateLimitRule,
  opts: RateLimiterOptions = {},
): RateLimiter {
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  const url = env.UPSTASH_REDIS_REST_URL;
  const token = env.UPSTASH_REDIS_REST_TOKEN;
  const inner =
    url && token
      ? upstashRateLimiter({ url, token, rule, prefix })
      : durableObjectRateLimiter(env.RATE_LIMITER, rule, { prefix });
  return failOpen(inner, rule, { timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, onError: opts.onError });
}
