import type { RateLimitResult, RateLimitRule } from "./interface.ts";

/**
 * The sliding-window approximation @upstash/ratelimit uses (its `slidingWindow` Lua script),
 * so every backend counts alike: the count in the current fixed window plus the previous
 * window's count weighted by how much of it still overlaps the sliding window.
 */
export interface SlidingWindowState {
  windowMs: number;
  /** Index of the fixed window the counts belong to: floor(epoch ms / windowMs). */
  window: number;
  current: number;
  previous: number;
}

export function slidingWindowLimit(
  state: SlidingWindowState | undefined,
  rule: RateLimitRule,
  nowMs: number,
): { result: RateLimitResult; state: SlidingWindowState } {
  const { limit, windowMs } = rule;
  const window = Math.floor(nowMs / windowMs);
  let current = 0;
  let previous = 0;
  // A state kept under another window length says nothing about this rule: start afresh.
  if (state && state.windowMs === windowMs) {
    if (state.window === window) {
      current = state.current;
      previous = state.previous;
    } else if (state.window === window - 1) {
      previous = state.current;
    }
  }
  const weightedPrevious = Math.floor((1 - (nowMs % windowMs) / windowMs) * previous);
  const resetMs = (window + 1) * windowMs;
  if (weightedPrevious + current >= limit) {
    return {
      result: { success: false, limit, remaining: 0, resetMs },
      state: { windowMs, window, current, previous },
    };
  }
  current += 1;
  return {
    result: { success: true, limit, remaining: Math.max(0, limit - current - weightedPrevious), resetMs },
    state: { windowMs, window, current, previous },
  };
}

/** From this epoch ms on the state counts for nothing and may be dropped. */
export function slidingWindowExpiresAt(state: SlidingWindowState): number {
  return (state.window + 2) * state.windowMs;
}
