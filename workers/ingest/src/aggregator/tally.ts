/**
 * What one ingest call counts, before storage: pageviews per key and hour, and which keys
 * each session touched in each hour. A key is a page or a breakdown value, written as a
 * one-letter tag and the value ("p/docs", "rwww.example.com"); the site total has the empty
 * key. Whether a session is new to a key is decided against storage (SiteAggregator).
 */
import { hourOf } from "@sightline/core/aggregate";
import { type Dimension, type IngestMessage, UNKNOWN_VALUE } from "@sightline/shared/wire";

export const SITE_KEY = "";
export const PAGE_TAG = "p";
export const DIMENSION_TAGS: Record<Dimension, string> = { referrer: "r", device: "d", country: "c" };
const DIMENSION_OF_TAG = new Map(Object.entries(DIMENSION_TAGS).map(([d, t]) => [t, d as Dimension]));

/** The dimension a key counts in, or undefined for the site and for pages. */
export function dimensionOf(key: string): Dimension | undefined {
  return DIMENSION_OF_TAG.get(key.charAt(0));
}

/** One key in one hour: pageviews, and the sessions new to it (set by the caller). */
export interface Count {
  hour: number;
  key: string;
  pageviews: number;
  sessions: number;
}

/** The keys one session touched in one hour. */
export interface Visit {
  hour: number;
  session: string;
  keys: Set<string>;
}

export class Tally {
  readonly counts = new Map<string, Count>();
  readonly visits = new Map<string, Visit>();
  total = 0;
  counted = 0;

  /** Counts the events of `messages` whose ids are in `fresh`; an id counts once. */
  constructor(messages: readonly IngestMessage[], fresh: Set<string>) {
    for (const m of messages) {
      // Messages queued before device and country existed count as "unknown" there, so each
      // breakdown still sums to the site's pageviews.
      const device = DIMENSION_TAGS.device + (m.device ?? UNKNOWN_VALUE);
      const country = DIMENSION_TAGS.country + (m.country ?? UNKNOWN_VALUE);
      let visit: Visit | undefined;
      for (const e of m.events) {
        this.total++;
        // delete, not has: an id repeated within this call counts once too.
        if (!fresh.delete(e.id)) continue;
        this.counted++;
        const hour = hourOf(e.ts);
        if (visit?.hour !== hour) visit = this.visit(m.sessionId, hour);
        const page = PAGE_TAG + e.path;
        this.touch(visit, SITE_KEY);
        this.touch(visit, page);
        this.touch(visit, device);
        this.touch(visit, country);
        if (e.ref !== undefined) this.touch(visit, DIMENSION_TAGS.referrer + e.ref);
      }
    }
  }

  /** Where a session turned out to be new to `key` in `hour`. */
  freshSession(hour: number, key: string): void {
    const c = this.counts.get(hourKey(hour, key));
    if (c) c.sessions++;
  }

  private visit(session: string, hour: number): Visit {
    const id = hourKey(hour, session);
    let v = this.visits.get(id);
    if (!v) {
      v = { hour, session, keys: new Set() };
      this.visits.set(id, v);
    }
    return v;
  }

  private touch(visit: Visit, key: string): void {
    if (key !== SITE_KEY) visit.keys.add(key);
    const id = hourKey(visit.hour, key);
    let c = this.counts.get(id);
    if (!c) {
      c = { hour: visit.hour, key, pageviews: 0, sessions: 0 };
      this.counts.set(id, c);
    }
    c.pageviews++;
  }
}

/** A map key for a session or a count key in one hour; \0 cannot occur in an hour. */
export function hourKey(hour: number, key: string): string {
  return `${hour}\0${key}`;
}

/**
 * Adds a visit's keys to what was stored for that session and hour, up to `max` keys, and
 * returns the keys that were new. Past `max`, further keys count pageviews but not sessions:
 * one session cannot grow its row without bound.
 */
export function mergeVisit(stored: Set<string>, visit: Visit, max: number): string[] {
  const added: string[] = [];
  for (const k of visit.keys) {
    if (stored.has(k) || stored.size >= max) continue;
    stored.add(k);
    added.push(k);
  }
  return added;
}
