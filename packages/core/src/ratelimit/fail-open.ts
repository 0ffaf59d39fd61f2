import type { RateLimiter, RateLimitResult, RateLimitRule } from "./interface.ts";

export interface FailOpenOptions {
  /** How long to wait for the store before letting the request through. */
  timeoutMs: number;
  /** Told about each failure (not timeouts), to log it; the request still goes ahead. */
  onError?: (error: unknown) => void;
  now?: () => number;
}

/**
 * A limiter whose store is down must not take the API down with it: after `timeoutMs`, or
 * on an error, the request is allowed and the result says so in `failedOpen`.
 */
export function failOpen(inner: RateLimiter, rule: RateLimitRule, opts: FailOpenOptions): RateLimiter {
  const now = opts.now ?? Date.now;
  const open = (reason: "timeout" | "error"): RateLimitResult => ({
    success: true,
    limit: rule.limit,
    remaining: rule.limit,
    resetMs: now() + rule.windowMs,
    failedOpen: reason,
  });
  return {
    async limit(key) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<RateLimitResult>((resolve) => {
        timer = setTimeout(() => resolve(open("timeout")), opts.timeoutMs);
      });
      const attempt = inner.limit(key).catch((error: unknown) => {
        opts.onError?.(error);
        return open("error");
      });
      try {
        return await Promise.race([attempt, timeout]);
      } finally {
        if (timer !== undefined) clearTimeout(timer);
      }
    },
  };
}
