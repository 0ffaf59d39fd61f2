/** UTC days: quotas and visitor salts turn over at UTC midnight. */
const DAY_MS = 86_400_000;

/** The UTC day an instant falls in, as days since the epoch. */
export function dayOf(ts: number): number {
  return Math.floor(ts / DAY_MS);
}

/** `YYYY-MM-DD` of a day number. */
export function dayString(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Whole seconds from `ts` to the next UTC midnight, at least 1. */
export function secondsToNextDay(ts: number): number {
  return Math.max(1, Math.ceil(((dayOf(ts) + 1) * DAY_MS - ts) / 1000));
}
