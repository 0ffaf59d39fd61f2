/**
 * Per-key limits: Upstash when configured, else a Durable Object (see ../ratelimit). A
 * refusal is 429 RATE_LIMITED with Retry-After; an answer carries the remaining budget of the
 * caller's own limit.
 */
import type { RateLimitRule } from "@sightline/core/ratelimit";
import { errorJson } from "@sightline/http";
import type { Context, MiddlewareHandler } from "hono";
import type { HonoEnv } from "../env.ts";
import { createRateLimiter } from "../ratelimit/index.ts";

export interface LimitOptions {
  /** Put `X-RateLimit-*` on the answer; off for the limits behind the caller's own. */
  headers?: boolean;
}

/** Counts one unit of `key` under `rule`: the 429 to answer when it is spent, else null. */
export async function spend(
  c: Context<HonoEnv>,
  prefix: string,
  rule: RateLimitRule,
  key: string,
  opts: LimitOptions = {},
): Promise<Response | null> {
  const log = c.get("log");
  const limiter = createRateLimiter({ ...c.get("env"), RATE_LIMITER: c.env.RATE_LIMITER }, rule, {
    prefix: `sightline:${prefix}`,
    onError: (err) => log.warn("rate limiter unavailable; letting the request through", { prefix, err: String(err) }),
  });
  const result = await limiter.limit(key);
  const headers = opts.headers ?? true;
  if (headers) {
    c.header("X-RateLimit-Limit", String(result.limit));
    c.header("X-RateLimit-Remaining", String(Math.max(0, result.remaining)));
  }
  if (result.success) return null;
  c.get("logFields").limited = prefix;
  const retry = Math.max(1, Math.ceil((result.resetMs - Date.now()) / 1000));
  return errorJson(c, "RATE_LIMITED", "Too many requests; retry later.", { "Retry-After": String(retry) });
}

/** Middleware form of `spend`: a refusal is returned, so the chain ends with a Response. */
export function rateLimit(
  prefix: string,
  rule: RateLimitRule,
  keyOf: (c: Context<HonoEnv>) => Promise<string> | string,
  opts: LimitOptions = {},
): MiddlewareHandler<HonoEnv> {
  return async function rateLimit(c, next) {
    const refused = await spend(c, prefix, rule, await keyOf(c), opts);
    if (refused) return refused;
    await next();
  };
}

/** The client's address as Cloudflare saw it; locally, without the header, one shared key. */
export function clientAddress(c: Context<HonoEnv>): string {
  return c.req.header("cf-connecting-ip") ?? "unknown";
}
