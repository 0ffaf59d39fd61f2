export { type FailOpenOptions, failOpen } from "./fail-open.ts";
export type { RateLimiter, RateLimitResult, RateLimitRule } from "./interface.ts";
export { noopRateLimiter } from "./noop.ts";
export { assertRule } from "./rule.ts";
export { type SlidingWindowState, slidingWindowExpiresAt, slidingWindowLimit } from "./sliding-window.ts";
