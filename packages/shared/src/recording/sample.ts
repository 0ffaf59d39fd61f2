/**
 * The sampling rule alone, without zod, so the tracker core can bundle it for a few bytes
 * (`@sightline/shared/recording/sample`); `../recording` re-exports it.
 */

/**
 * Whether the site samples this session: deterministic, so every page of a session agrees.
 * A session id is a UUIDv7 whose last 8 hex digits are random, so they read as a uniform
 * fraction of 2^32; a rate of 0 picks none and 1 picks all. Anything else (not hex) picks none.
 */
export function sessionSampled(sessionId: string, sampleRate: number): boolean {
  return Number.parseInt(sessionId.slice(-8), 16) < sampleRate * 2 ** 32;
}
