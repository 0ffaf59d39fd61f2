/**
 * The overview's time ranges and the chart's buckets. A range is a preset relative to now or
 * whole days picked by hand, both counted in the site's time zone. Buckets are what the API
 * makes: UTC hours, and days of the site's time zone starting at local midnight. A preset
 * always ends after the current bucket, so today counts.
 */
import type { Interval, TimeseriesPoint } from "../api/types.ts";
import { addDays, type Day, dayOf, daysBetween, parseDay, startOfDay } from "./zone.ts";

export const PRESETS = ["today", "24h", "7d", "30d"] as const;
export type Preset = (typeof PRESETS)[number];

export const PRESET_LABELS: Record<Preset, string> = {
  today: "Today",
  "24h": "Last 24 hours",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
};

/** What the URL holds: a preset, or the first and last day of a range picked by hand. */
export type RangeSpec = { preset: Preset } | { from: Day; to: Day };

const DEFAULT_PRESET: Preset = "7d";
export const DEFAULT_SPEC: RangeSpec = { preset: DEFAULT_PRESET };

/** The API's `LIMITS.api.maxRangeDays`; range.test.ts holds the two equal. */
export const MAX_RANGE_DAYS = 366;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface Range {
  spec: RangeSpec;
  from: Date;
  to: Date;
  interval: Interval;
  timeZone: string;
}

export function isPreset(v: string | null | undefined): v is Preset {
  return (PRESETS as readonly string[]).includes(v ?? "");
}

export function rangeFor(spec: RangeSpec, now: Date, timeZone: string): Range {
  if ("from" in spec) {
    const from = startOfDay(spec.from, timeZone);
    const to = startOfDay(addDays(spec.to, 1), timeZone);
    // One day reads best by the hour.
    return { spec, from, to, interval: spec.from === spec.to ? "hour" : "day", timeZone };
  }
  const t = now.getTime();
  if (spec.preset === "24h") {
    const to = Math.floor(t / HOUR) * HOUR + HOUR;
    return { spec, from: new Date(to - 24 * HOUR), to: new Date(to), interval: "hour", timeZone };
  }
  const today = dayOf(t, timeZone);
  const to = startOfDay(addDays(today, 1), timeZone);
  if (spec.preset === "today") return { spec, from: startOfDay(today, timeZone), to, interval: "hour", timeZone };
  const days = spec.preset === "7d" ? 7 : 30;
  return { spec, from: startOfDay(addDays(today, 1 - days), timeZone), to, interval: "day", timeZone };
}

/** The first and last day a range touches in its time zone, for the date fields. */
export function rangeDays(r: Range): { from: Day; to: Day } {
  return { from: dayOf(r.from.getTime(), r.timeZone), to: dayOf(r.to.getTime() - 1, r.timeZone) };
}

export type CustomRange = { ok: true; spec: { from: Day; to: Day } } | { ok: false; error: string };

/** Two dates typed or picked by a person, checked the way the API will check the range. */
export function customRange(fromText: string, toText: string, timeZone: string): CustomRange {
  const from = parseDay(fromText.trim());
  const to = parseDay(toText.trim());
  if (!from || !to) return { ok: false, error: "Pick a start date and an end date." };
  if (daysBetween(from, to) < 0) return { ok: false, error: "The start date is after the end date." };
  const days = daysBetween(from, to) + 1;
  const r = rangeFor({ from, to }, new Date(0), timeZone);
  if (days > MAX_RANGE_DAYS) return { ok: false, error: `Pick at most ${MAX_RANGE_DAYS} days (this is ${days}).` };
  // The API counts the limit in hours, and a clock change can add one.
  if (r.to.getTime() - r.from.getTime() > MAX_RANGE_DAYS * DAY) {
    return { ok: false, error: `Pick one day fewer: a clock change makes these ${days} days an hour too long.` };
  }
  return { ok: true, spec: { from, to } };
}

/** The range a URL's query names; anything unreadable is the default. */
export function specFromQuery(search: string): RangeSpec {
  const params = new URLSearchParams(search);
  const from = parseDay(params.get("from"));
  const to = parseDay(params.get("to"));
  if (from && to) {
    const days = daysBetween(from, to) + 1;
    if (days >= 1 && days <= MAX_RANGE_DAYS) return { from, to };
  }
  const preset = params.get("range");
  return isPreset(preset) ? { preset } : DEFAULT_SPEC;
}

/** The query string for a range ("" for the default), the inverse of specFromQuery. */
export function specQuery(spec: RangeSpec): string {
  if ("from" in spec) return new URLSearchParams({ from: spec.from, to: spec.to }).toString();
  return spec.preset === DEFAULT_PRESET ? "" : `range=${spec.preset}`;
}

/** Where each bucket of the range starts, in ms: UTC hours, or local midnights. */
export function bucketStarts(r: Range): number[] {
  const from = r.from.getTime();
  const to = r.to.getTime();
  const out: number[] = [];
  if (r.interval === "hour") {
    for (let t = Math.ceil(from / HOUR) * HOUR; t < to; t += HOUR) out.push(t);
    return out;
  }
  let day = dayOf(from, r.timeZone);
  for (let i = 0; i <= MAX_RANGE_DAYS + 1; i++) {
    const t = startOfDay(day, r.timeZone).getTime();
    if (t >= to) break;
    if (t >= from) out.push(t);
    day = addDays(day, 1);
  }
  return out;
}

export interface Series {
  /** Bucket starts, in seconds (uPlot's x unit). */
  x: number[];
  pageviews: number[];
  sessions: number[];
}

/**
 * One value per bucket, zero where the API sent no point. Should a point fall between
 * buckets (an API bucketing differently), the API's own points are used as sent rather than
 * dropping any.
 */
export function fillSeries(points: readonly TimeseriesPoint[], buckets: readonly number[]): Series {
  const known = new Set(buckets);
  const byBucket = new Map<number, TimeseriesPoint>();
  let aligned = true;
  for (const p of points) {
    const t = Date.parse(p.t);
    if (known.has(t)) byBucket.set(t, p);
    else aligned = false;
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
  for (const t of buckets) {
    const p = byBucket.get(t);
    out.x.push(t / 1000);
    out.pageviews.push(p?.pageviews ?? 0);
    out.sessions.push(p?.sessions ?? 0);
  }
  return out;
}
