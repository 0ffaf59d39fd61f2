/**
 * A rate limiter, whatever stores its counters (Upstash Redis, a Durable Object, nothing).
 * Workers pick an implementation; domain code and middleware see only this.
 */

/** At most `limit` requests per key in any `windowMs`-long window (sliding). */
export interface RateLimitRule {
  limit: number;
  windowMs: number;
}

export interface RateLimitResult {
  /** Whether this request may go ahead; a refused request is not counted. */
  success: boolean;
  limit: number;
  /** Requests left in the window after this one; 0 when refused. */
  remaining: number;
  /**
   * Epoch ms at which the current fixed window ends. The sliding window still weighs the
   * window before, so a refused key regains capacity progressively from here on and fully
   * one window later.
   */
  resetMs: number;
  /**
   * Present only when the limiter could not reach its store and let the request through
   * (fail open): "timeout" when it did not answer in time, "error" when it failed.
   */
  failedOpen?: "timeout" | "error";
}

export interface RateLimiter {
  limit(key: string): Promise<RateLimitResult>;
}
