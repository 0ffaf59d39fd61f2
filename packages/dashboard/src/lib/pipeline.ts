/**
 * The pipeline panel's reading of GET /v1/health/pipeline: one line per site from its shards,
 * the words for each state, and the dead-letter replay repeated while the API says `more`.
 */
import type { DeadLetterCount, DeadLetterReplay, PipelineStatus, SitePipelineHealth } from "../api/index.ts";
import { formatCount } from "./format.ts";

export interface SiteSummary {
  /** The latest landed flush over the site's shards. */
  lastFlushAt: string | null;
  pendingPageviews: number;
  pendingRows: number;
  /** The worst shard's consecutive failed flushes. */
  failures: number;
  /** The next try of a failing shard (the soonest); else the soonest flush planned. */
  nextFlushAt: string | null;
  inFlight: boolean;
  shards: number;
}

const later = (a: string | null, b: string | null) =>
  a === null || (b !== null && Date.parse(b) > Date.parse(a)) ? b : a;
const sooner = (a: string | null, b: string | null) =>
  a === null || (b !== null && Date.parse(b) < Date.parse(a)) ? b : a;

export function summarize(site: SitePipelineHealth): SiteSummary {
  let lastFlushAt: string | null = null;
  let nextFlushAt: string | null = null;
  let nextRetryAt: string | null = null;
  let pendingPageviews = 0;
  let pendingRows = 0;
  let failures = 0;
  let inFlight = false;
  for (const s of site.shards) {
    lastFlushAt = later(lastFlushAt, s.lastFlushAt);
    nextFlushAt = sooner(nextFlushAt, s.nextFlushAt);
    if (s.failures > 0) nextRetryAt = sooner(nextRetryAt, s.nextFlushAt);
    pendingPageviews += s.pendingPageviews;
    pendingRows += s.pendingRows;
    failures = Math.max(failures, s.failures);
    inFlight ||= s.inFlight;
  }
  return {
    lastFlushAt,
    pendingPageviews,
    pendingRows,
    failures,
    nextFlushAt: failures > 0 ? nextRetryAt : nextFlushAt,
    inFlight,
    shards: site.shards.length,
  };
}

export const STATUS: Record<PipelineStatus, { label: string; description: string }> = {
  ok: { label: "OK", description: "Events reach the database." },
  behind: {
    label: "Behind",
    description: "Events have waited over a minute without a flush landing.",
  },
  failing: {
    label: "Failing",
    description: "Flushes to the database fail. The aggregator keeps the events and retries with backoff.",
  },
};

const plural = (n: number, one: string, many: string, locale?: string) =>
  `${formatCount(n, locale)} ${n === 1 ? one : many}`;

/** "3 messages in 2 parked batches wait for a replay." */
export function deadLetterSentence(d: DeadLetterCount, locale?: string): string {
  if (d.objects === 0) return "No dead letters are parked.";
  const batches = plural(d.objects, "parked batch", "parked batches", locale);
  const messages = plural(d.messages, "message", "messages", locale);
  return d.more
    ? `${messages} in the first ${batches} wait${d.messages === 1 ? "s" : ""} for a replay; more are parked.`
    : `${messages} in ${batches} wait${d.messages === 1 ? "s" : ""} for a replay.`;
}

export interface ReplayTotal {
  calls: number;
  objects: number;
  replayed: number;
  unreadable: number;
  /** Parked batches remained when the calls stopped. */
  more: boolean;
}

/**
 * Calls `replay` until the API says nothing more is parked, a call moves nothing, or
 * `maxCalls` were made (each call replays at most 50 batches).
 */
export async function replayAll(
  replay: () => Promise<DeadLetterReplay>,
  opts: { maxCalls?: number; onProgress?: (total: ReplayTotal) => void } = {},
): Promise<ReplayTotal> {
  const maxCalls = opts.maxCalls ?? 10;
  const total: ReplayTotal = { calls: 0, objects: 0, replayed: 0, unreadable: 0, more: false };
  while (total.calls < maxCalls) {
    const r = await replay();
    total.calls++;
    total.objects += r.objects;
    total.replayed += r.replayed;
    total.unreadable += r.unreadable;
    total.more = r.more;
    opts.onProgress?.({ ...total });
    if (!r.more || r.objects === 0) break;
  }
  return total;
}

export function replaySentence(t: ReplayTotal, locale?: string): string {
  if (t.objects === 0 && !t.more) return "Nothing was parked: 0 messages replayed.";
  let s = `Replayed ${plural(t.replayed, "message", "messages", locale)} from ${plural(t.objects, "parked batch", "parked batches", locale)}.`;
  if (t.unreadable > 0) {
    s += ` ${plural(t.unreadable, "message was", "messages were", locale)} not readable as events and kept aside.`;
  }
  if (t.more) s += " More are parked: replay again.";
  return s;
}
