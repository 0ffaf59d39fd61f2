/**
 * What one ingest call counts, before storage: pageviews per key and hour, which keys each
 * session touched (and the hour it first did), and each visitor's first hour. A key is a
 * page or a breakdown value, written as a one-letter tag and the value ("p/docs",
 * "rwww.example.com"); the site total has the empty key. Whether a session or visitor is new
 * is decided against storage (SiteAggregator). Bots count only in the device breakdown.
 */
import { hourOf } from "@sightline/core/aggregate";
import { CAMPAIGN_PARAMS, type Dimension, type IngestMessage, UNKNOWN_VALUE } from "@sightline/shared/wire";

export const SITE_KEY = "";
export const PAGE_TAG = "p";
export const DIMENSION_TAGS: Record<Dimension, string> = {
  referrer: "r",
  device: "d",
  country: "c",
  utm_source: "s",
  utm_medium: "m",
  utm_campaign: "k",
  flag: "f",
};
const DIMENSION_OF_TAG = new Map(Object.entries(DIMENSION_TAGS).map(([d, t]) => [t, d as Dimension]));
const BOT_DEVICE = `${DIMENSION_TAGS.device}bot`;

/** The dimension a key counts in, or undefined for the site and for pages. */
export function dimensionOf(key: string): Dimension | undefined {
  return DIMENSION_OF_TAG.get(key.charAt(0));
}

/** One key in one hour: pageviews, and the sessions and visitors new to it (set by the caller). */
export interface Count {
  hour: number;
  key: string;
  pageviews: number;
  sessions: number;
  visitors: number;
}

/** The keys one session touched in this call, each with the first hour it did. */
export interface Visit {
  session: string;
  /** The hour of the session's first event in this call that counts in the site's totals. */
  firstHour: number;
  /** The latest hour it was seen in: storage forgets sessions by it. */
  lastHour: number;
  /** Whether it counts in the site's totals (bots do not). */
  site: boolean;
  keys: Map<string, number>;
}

export class Tally {
  readonly counts = new Map<string, Count>();
  readonly visits = new Map<string, Visit>();
  /** Visitor hash -> the hour of its first counted event in this call. */
  readonly visitors = new Map<string, number>();
  total = 0;
  counted = 0;

  /** Counts the events of `messages` whose ids are in `fresh`; an id counts once. */
  constructor(messages: readonly IngestMessage[], fresh: Set<string>) {
    for (const m of messages) {
      // Messages queued before device and country existed count as "unknown" there, so each
      // breakdown still sums to the site's pageviews.
      const device = DIMENSION_TAGS.device + (m.device ?? UNKNOWN_VALUE);
      const country = DIMENSION_TAGS.country + (m.country ?? UNKNOWN_VALUE);
      const bot = device === BOT_DEVICE;
      let visit: Visit | undefined;
      for (const e of m.events) {
        this.total++;
        // delete, not has: an id repeated within this call counts once too.
        if (!fresh.delete(e.id)) continue;
        this.counted++;
        const hour = hourOf(e.ts);
        visit ??= this.visit(m.sessionId, hour);
        if (hour > visit.lastHour) visit.lastHour = hour;
        // Crawlers and headless browsers stay out of the headline numbers: their own device row only.
        this.touch(visit, hour, device);
        if (bot) continue;
        if (m.visitor !== undefined && !this.visitors.has(m.visitor)) this.visitors.set(m.visitor, hour);
        this.touch(visit, hour, SITE_KEY);
        this.touch(visit, hour, PAGE_TAG + e.path);
        this.touch(visit, hour, country);
        if (e.ref !== undefined) this.touch(visit, hour, DIMENSION_TAGS.referrer + e.ref);
        for (const p of CAMPAIGN_PARAMS) {
          const v = e[p];
          if (v !== undefined) this.touch(visit, hour, DIMENSION_TAGS[p] + v);
        }
        // Each flag variant the pageview was served: pageviews and sessions per variant.
        if (m.flags) for (const f of m.flags) this.touch(visit, hour, DIMENSION_TAGS.flag + f);
      }
    }
  }

  /** Where a session turned out to be new to `key`, first touched in `hour`. */
  freshSession(hour: number, key: string): void {
    const c = this.counts.get(hourKey(hour, key));
    if (c) c.sessions++;
  }

  /** Where a visitor turned out to be new today, first seen in `hour`. */
  freshVisitor(hour: number): void {
    const c = this.counts.get(hourKey(hour, SITE_KEY));
    if (c) c.visitors++;
  }

  private visit(session: string, hour: number): Visit {
    let v = this.visits.get(session);
    if (!v) {
      v = { session, firstHour: hour, lastHour: hour, site: false, keys: new Map() };
      this.visits.set(session, v);
    }
    return v;
  }

  private touch(visit: Visit, hour: number, key: string): void {
    if (key !== SITE_KEY) {
      const first = visit.keys.get(key);
      if (first === undefined || hour < first) visit.keys.set(key, hour);
    } else {
      if (!visit.site || hour < visit.firstHour) visit.firstHour = hour;
      visit.site = true;
    }
    const id = hourKey(hour, key);
    let c = this.counts.get(id);
    if (!c) {
      c = { hour, key, pageviews: 0, sessions: 0, visitors: 0 };
      this.counts.set(id, c);
    }
    c.pageviews++;
  }
}

/** A map key for a count key in one hour; \0 cannot occur in an hour. */
export function hourKey(hour: number, key: string): string {
  return `${hour}\0${key}`;
}

/**
 * Adds a visit's keys to what was stored for that session, up to `max` keys, and returns the
 * keys that were new with the hour each was first touched. Past `max`, further keys count
 * pageviews but not sessions: one session cannot grow its row without bound.
 */
export function mergeVisit(stored: Set<string>, visit: Visit, max: number): [string, number][] {
  const added: [string, number][] = [];
  for (const [k, hour] of visit.keys) {
    if (stored.has(k) || stored.size >= max) continue;
    stored.add(k);
    added.push([k, hour]);
  }
  return added;
}
