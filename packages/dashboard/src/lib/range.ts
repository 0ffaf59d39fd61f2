/**
 * The overview's time ranges and the chart's buckets. Buckets are UTC hours and UTC days, as
 * the API aggregates them; a range always ends after the current bucket, so today counts.
 */
import type { Interval, TimeseriesPoint } from "../api/types.ts";

export const RANGE_KEYS = ["24h", "7d", "30d"] as const;
export type RangeKey = (typeof RANGE_KEYS)[number];

export const RANGE_LABELS: Record<RangeKey, string> = {
  "24h": "Last 24 hours",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
};

export const DEFAULT_RANGE: RangeKey = "7d";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface Range {
  key: RangeKey;
  from: Date;
  to: Date;
  interval: Interval;
}

export function isRangeKey(v: string | null | undefined): v is RangeKey {
  return (RANGE_KEYS as readonly string[]).includes(v ?? "");
}

export function rangeFor(key: RangeKey, now: Date): Range {
  const t = now.getTime();
  if (key === "24h") {
    const to = Math.floor(t / HOUR) * HOUR + HOUR;
    return { key, from: new Date(to - 24 * HOUR), to: new Date(to), interval: "hour" };
  }
  const days = key === "7d" ? 7 : 30;
  const to = Math.floor(t / DAY) * DAY + DAY;
  return { key, from: new Date(to - days * DAY), to: new Date(to), interval: "day" };
}

export function stepMs(interval: Interval): number {
  return interval === "hour" ? HOUR : DAY;
}

export interface Series {
  /** Bucket starts, in seconds (uPlot's x unit). */
  x: number[];
  pageviews: number[];
  sessions: number[];
}

/**
 * One value per bucket from `from` to `to`, zero where the API sent no point. Should a point
 * fall between buckets (an API bucketing differently), the API's own points are used as sent
 * rather than dropping any.
 */
export function fillSeries(points: readonly TimeseriesPoint[], from: Date, to: Date, interval: Interval): Series {
  const step = stepMs(interval);
  const start = from.getTime();
  const end = to.getTime();
  const byBucket = new Map<number, TimeseriesPoint>();
  let aligned = true;
  for (const p of points) {
    const t = Date.parse(p.t);
    if (Number.isNaN(t) || (t - start) % step !== 0 || t < start || t >= end) aligned = false;
    else byBucket.set(t, p);
  }
  const out: Series = { x: [], pageviews: [], sessions: [] };
  if (!aligned) {
    const sorted = points
      .filter((p) => !Number.isNaN(Date.parse(p.t)))
      .sort((a, b) => Date.parse(a.t) - Date.parse(b.t));
    for (const p of sorted) {
      out.x.push(Date.parse(p.t) / 1000);
      out.pageviews.push(p.pageviews);
      out.sessions.push(p.sessions);
    }
    return out;
  }
  for (let t = start; t < end; t += step) {
    const p = byBucket.get(t);
    out.x.push(t / 1000);
    out.pageviews.push(p?.pageviews ?? 0);
    out.sessions.push(p?.sessions ?? 0);
  }
  return out;
}
