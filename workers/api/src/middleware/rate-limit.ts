/**
 * Per-caller limits: Upstash when configured, else a Durable Object (see ../ratelimit). A
 * refusal is 429 RATE_LIMITED with Retry-After; every answer carries the remaining budget.
 */
import type { RateLimitRule } from "@sightline/core/ratelimit";
import { errorJson } from "@sightline/http";
import type { Context, MiddlewareHandler } from "hono";
import type { HonoEnv } from "../env.ts";
import { createRateLimiter } from "../ratelimit/index.ts";

export function rateLimit(
  prefix: string,
  rule: RateLimitRule,
  keyOf: (c: Context<HonoEnv>) => Promise<string> | string,
): MiddlewareHandler<HonoEnv> {
  return async function rateLimit(c, next) {
    const log = c.get("log");
    const limiter = createRateLimiter({ ...c.get("env"), RATE_LIMITER: c.env.RATE_LIMITER }, rule, {
      prefix: `sightline:${prefix}`,
      onError: (err) => log.warn("rate limiter unavailable; letting the request through", { prefix, err: String(err) }),
    });
    const result = await limiter.limit(await keyOf(c));
    c.header("X-RateLimit-Limit", String(result.limit));
    c.header("X-RateLimit-Remaining", String(Math.max(0, result.remaining)));
    if (!result.success) {
      c.get("logFields").limited = prefix;
      const retry = Math.max(1, Math.ceil((result.resetMs - Date.now()) / 1000));
      return errorJson(c, "RATE_LIMITED", "Too many requests; retry later.", { "Retry-After": String(retry) });
    }
    await next();
  };
}
