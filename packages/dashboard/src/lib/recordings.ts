/**
 * The Recordings page's pure parts: its filters to and from the address bar and the API's
 * query, durations as people read them, and the timeline's marks (page changes and clicks)
 * read from rrweb events.
 */
import { FLAG_VARIANT } from "@sightline/shared/limits/flags";
import type { RecordingConsent } from "@sightline/shared/site";
import type { RecordingFilters, RecordingSort, RrwebEvent } from "../api/types.ts";

const SORTS: RecordingSort[] = ["start", "duration", "activity"];
const DEVICES = ["desktop", "mobile", "tablet"];
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The filters as the address bar holds them: days, seconds and flags a person can read. */
export interface FilterForm {
  sort: RecordingSort;
  /** Local days, "2026-12-01", both included. */
  from: string;
  to: string;
  minSeconds: string;
  maxSeconds: string;
  page: string;
  device: string;
  country: string;
  referrer: string;
  rageClicks: boolean;
  errors: boolean;
  /** A flag variant the session was served, `new-checkout=b`. */
  flag: string;
}

export const EMPTY_FILTERS: FilterForm = {
  sort: "start",
  from: "",
  to: "",
  minSeconds: "",
  maxSeconds: "",
  page: "",
  device: "",
  country: "",
  referrer: "",
  rageClicks: false,
  errors: false,
  flag: "",
};

const seconds = (v: string | null) => (v && /^\d{1,6}$/.test(v) ? v : "");

export function formFromQuery(search: string): FilterForm {
  const q = new URLSearchParams(search);
  const sort = q.get("sort") as RecordingSort | null;
  const country = (q.get("country") ?? "").trim().toUpperCase();
  return {
    sort: sort && SORTS.includes(sort) ? sort : "start",
    from: DAY.test(q.get("from") ?? "") ? (q.get("from") as string) : "",
    to: DAY.test(q.get("to") ?? "") ? (q.get("to") as string) : "",
    minSeconds: seconds(q.get("min")),
    maxSeconds: seconds(q.get("max")),
    page: (q.get("page") ?? "").slice(0, 2048),
    device: DEVICES.includes(q.get("device") ?? "") ? (q.get("device") as string) : "",
    country: /^[A-Z][A-Z0-9]$/.test(country) ? country : "",
    referrer: (q.get("referrer") ?? "").slice(0, 2048),
    rageClicks: q.get("rage") === "1",
    errors: q.get("errors") === "1",
    flag: FLAG_VARIANT.test(q.get("flag") ?? "") ? (q.get("flag") as string) : "",
  };
}

/** The address bar's query for these filters ("" when none is set). */
export function formToQuery(f: FilterForm): string {
  const q = new URLSearchParams();
  if (f.sort !== "start") q.set("sort", f.sort);
  if (f.from) q.set("from", f.from);
  if (f.to) q.set("to", f.to);
  if (f.minSeconds) q.set("min", f.minSeconds);
  if (f.maxSeconds) q.set("max", f.maxSeconds);
  if (f.page.trim()) q.set("page", f.page.trim());
  if (f.device) q.set("device", f.device);
  if (f.country) q.set("country", f.country);
  if (f.referrer.trim()) q.set("referrer", f.referrer.trim());
  if (f.rageClicks) q.set("rage", "1");
  if (f.errors) q.set("errors", "1");
  if (f.flag.trim()) q.set("flag", f.flag.trim());
  return q.toString();
}

/** Local midnight of a "YYYY-MM-DD" day, plus `days`. */
function localMidnight(day: string, days = 0): Date {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(y as number, (m as number) - 1, (d as number) + days);
}

/** The API's filters: days become instants (the `to` day included), seconds milliseconds. */
export function formToFilters(f: FilterForm): RecordingFilters {
  const out: RecordingFilters = { sort: f.sort };
  if (f.from) out.from = localMidnight(f.from).toISOString();
  if (f.to) out.to = localMidnight(f.to, 1).toISOString();
  if (f.minSeconds) out.minDurationMs = Number(f.minSeconds) * 1000;
  if (f.maxSeconds) out.maxDurationMs = Number(f.maxSeconds) * 1000;
  if (f.page.trim()) out.page = f.page.trim();
  if (f.device) out.device = f.device;
  if (f.country) out.country = f.country;
  if (f.referrer.trim()) out.referrer = f.referrer.trim();
  if (f.rageClicks) out.hasRageClicks = true;
  if (f.errors) out.hasErrors = true;
  if (f.flag.trim()) out.flag = f.flag.trim();
  return out;
}

/** 65_000 -> "1:05", 3_723_000 -> "1:02:03". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

export interface TimelineMark {
  /** Milliseconds from the recording's first event. */
  at: number;
  kind: "page" | "click";
  /** The page's address for a page change. */
  label: string;
}

// rrweb's enums (@rrweb/types): EventType.Meta = 4, IncrementalSnapshot = 3;
// IncrementalSource.MouseInteraction = 2; MouseInteractions.Click = 2.
const META = 4;
const INCREMENTAL = 3;
const MOUSE_INTERACTION = 2;
const CLICK = 2;

const record = (v: unknown): Record<string, unknown> | null =>
  typeof v === "object" && v !== null ? (v as Record<string, unknown>) : null;

/** Page changes (each Meta event's address) and clicks, in order, relative to the first event. */
export function timelineMarks(events: RrwebEvent[]): TimelineMark[] {
  const first = events[0]?.timestamp ?? 0;
  const marks: TimelineMark[] = [];
  for (const e of events) {
    const data = record(e.data);
    if (e.type === META && typeof data?.href === "string") {
      marks.push({ at: e.timestamp - first, kind: "page", label: data.href });
    } else if (e.type === INCREMENTAL && data?.source === MOUSE_INTERACTION && data.type === CLICK) {
      marks.push({ at: e.timestamp - first, kind: "click", label: "" });
    }
  }
  return marks;
}

/** The path and query of an address, for a page list ("https://a.example/p?x=1" -> "/p?x=1"). */
export function pathOf(href: string): string {
  try {
    const u = new URL(href);
    return `${u.pathname}${u.search}${u.hash}`;
  } catch {
    return href;
  }
}

/** The site form's recording settings, as typed. */
export interface RecordingSettingsInput {
  /** Percent of sessions, 0 to 100. */
  samplePercent: string;
  dailyQuota: string;
  retentionDays: string;
  maskAllText: boolean;
  /** Record only once the visitor consents (opt-in). */
  consentRequired: boolean;
}

export type RecordingSettingsResult =
  | {
      ok: true;
      body: {
        recordingSampleRate: number;
        recordingDailyQuota: number;
        recordingRetentionDays: number;
        maskAllText: boolean;
        recordingConsent: RecordingConsent;
      };
    }
  | { ok: false; error: string; field: keyof RecordingSettingsInput };

const WHOLE = /^\d{1,12}$/;

/** Reads the recording settings against the API's bounds (`LIMITS.recording`). */
export function readRecordingSettings(
  input: RecordingSettingsInput,
  bounds: { maxDailyQuota: number; maxRetentionDays: number },
): RecordingSettingsResult {
  const percent = input.samplePercent.trim();
  const rate = Number(percent);
  if (percent === "" || !Number.isFinite(rate) || rate < 0 || rate > 100) {
    return { ok: false, error: "Sessions recorded is a percentage from 0 to 100.", field: "samplePercent" };
  }
  const quota = input.dailyQuota.trim();
  if (!WHOLE.test(quota) || Number(quota) > bounds.maxDailyQuota) {
    return {
      ok: false,
      error: `Recordings per day is a whole number up to ${bounds.maxDailyQuota.toLocaleString("en")}.`,
      field: "dailyQuota",
    };
  }
  const days = input.retentionDays.trim();
  if (!WHOLE.test(days) || Number(days) < 1 || Number(days) > bounds.maxRetentionDays) {
    return {
      ok: false,
      error: `Recordings are kept from 1 to ${bounds.maxRetentionDays} days.`,
      field: "retentionDays",
    };
  }
  return {
    ok: true,
    body: {
      // Hundredths of a percent are the finest the edge's sampling tells apart.
      recordingSampleRate: Math.round(rate * 100) / 10_000,
      recordingDailyQuota: Number(quota),
      recordingRetentionDays: Number(days),
      maskAllText: input.maskAllText,
      recordingConsent: input.consentRequired ? "opt-in" : "opt-out",
    },
  };
}

// rrweb-snapshot's NodeType.Element; IncrementalSource.Mutation; EventType.FullSnapshot.
const ELEMENT = 2;
const MUTATION = 0;
const FULL_SNAPSHOT = 2;

/** An attribute a replayed page must not keep: inline handlers and javascript: URLs. */
const scripted = (name: string, value: unknown) =>
  /^on/i.test(name) || (typeof value === "string" && /^\s*javascript:/i.test(value));

function cleanAttributes(attrs: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(attrs)) if (scripted(name, value)) delete attrs[name];
}

function cleanNode(node: unknown): void {
  const n = record(node);
  if (!n) return;
  if (n.type === ELEMENT) {
    if (n.tagName === "script") {
      // Kept as an inert element so later events that name its id still find it.
      n.tagName = "noscript";
      n.attributes = {};
      n.childNodes = [];
      return;
    }
    const attrs = record(n.attributes);
    if (attrs) cleanAttributes(attrs);
  }
  if (Array.isArray(n.childNodes)) for (const c of n.childNodes) cleanNode(c);
}

/**
 * Takes what could run code out of recorded pages before they are replayed: scripts become
 * inert `<noscript>` elements and inline handlers and javascript: URLs are dropped. The
 * replay frame is sandboxed without scripts anyway; this keeps the browser from even trying
 * (each try is a console error). Changes the events in place and returns them.
 */
export function inertEvents(events: RrwebEvent[]): RrwebEvent[] {
  for (const e of events) {
    const data = record(e.data);
    if (!data) continue;
    if (e.type === FULL_SNAPSHOT) cleanNode(data.node);
    else if (e.type === INCREMENTAL && data.source === MUTATION) {
      if (Array.isArray(data.adds)) for (const add of data.adds) cleanNode(record(add)?.node);
      if (Array.isArray(data.attributes)) {
        for (const change of data.attributes) {
          const attrs = record(record(change)?.attributes);
          if (attrs) cleanAttributes(attrs);
        }
      }
    }
  }
  return events;
}
