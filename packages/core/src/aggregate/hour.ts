const HOUR_MS = 3_600_000;

/** The start of the UTC hour an instant falls in, in ms. Aggregates are kept per hour. */
export function hourOf(ts: number): number {
  return Math.floor(ts / HOUR_MS) * HOUR_MS;
}
