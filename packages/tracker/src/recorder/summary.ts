/**
 * What one chunk adds to the recording's index row (`ChunkSummary`), counted from the rrweb
 * events in it, so the edge never parses them. State that spans chunks (the page shown, the
 * last input, a burst of clicks) is kept between calls.
 */
import { LIMITS } from "@sightline/shared/limits";
import type { ChunkSummary } from "@sightline/shared/recording";

const R = LIMITS.recording;

/** An rrweb event as far as the counting needs it (`eventWithTime` of @rrweb/types). */
export interface RecEvent {
  type: number;
  timestamp: number;
  // biome-ignore lint/suspicious/noExplicitAny: rrweb's event data is a union of a dozen shapes; read defensively below.
  data?: any;
}

/** rrweb's EventType and IncrementalSource numbers (@rrweb/types), stable since rrweb 1. */
export const META = 4;
export const INCREMENTAL = 3;
export const CUSTOM = 5;
const MOUSE_INTERACTION = 2;
const CLICK = 2;
/** MouseMove, MouseInteraction, Scroll, Input, TouchMove, Drag: a person doing something. */
const INPUT_SOURCES = [1, 2, 3, 5, 6, 12];

/** Custom events the recorder adds to the stream: a page change within the document, an uncaught error. */
export const PAGE_TAG = "sl:page";
export const ERROR_TAG = "sl:error";

/** Input events closer than this count as one stretch of activity; a longer gap is idle. */
export const ACTIVE_GAP_MS = 5_000;

/**
 * PostHog's rule: a click within rageWindowMs and rageRadiusPx of the one before extends the
 * burst; the burst counts once, at its rageClicks-th click.
 */
export function rageDetector(): (x: number, y: number, t: number) => boolean {
  let n = 0;
  let last: { x: number; y: number; t: number } | undefined;
  return (x, y, t) => {
    const near = last && t - last.t <= R.rageWindowMs && Math.hypot(x - last.x, y - last.y) <= R.rageRadiusPx;
    n = near ? n + 1 : 1;
    last = { x, y, t };
    return n === R.rageClicks;
  };
}

/** The page an href stands for, as reports name it: the path, and a hash route when the site counts them. */
export function pagePathOf(href: string, hashRoutes: boolean): string {
  // The hrefs come from location and rrweb's Meta events: always absolute.
  const u = new URL(href);
  const route = hashRoutes ? (/^#!?\/[^?#]*/.exec(u.hash)?.[0] ?? "") : "";
  return (u.pathname + route).slice(0, LIMITS.collect.maxUrlLength);
}

export function summarizer(hashRoutes: boolean) {
  let page = "";
  let lastInput: number | undefined;
  const rage = rageDetector();

  return (events: readonly RecEvent[]): ChunkSummary => {
    // rrweb emits in time order, and the recorder's own events take the time of their neighbours.
    const s: ChunkSummary = {
      firstTs: Math.round(events[0]?.timestamp ?? 0),
      lastTs: Math.round(events[events.length - 1]?.timestamp ?? 0),
      activeMs: 0,
      pages: page ? [page] : [],
      clicks: 0,
      rageClicks: 0,
      errors: 0,
      events: events.length,
    };
    const show = (href: unknown) => {
      const p = typeof href === "string" ? pagePathOf(href, hashRoutes) : "";
      if (!p || p === page) return;
      page = p;
      if (s.pages[s.pages.length - 1] !== p && s.pages.length < R.maxPagesPerRecording) s.pages.push(p);
    };
    for (const e of events) {
      const t = e.timestamp;
      const d = e.data ?? {};
      if (e.type === META) show(d.href);
      else if (e.type === CUSTOM) {
        if (d.tag === PAGE_TAG) show(d.payload?.href);
        else if (d.tag === ERROR_TAG) s.errors++;
      } else if (e.type === INCREMENTAL && INPUT_SOURCES.includes(d.source)) {
        if (lastInput !== undefined && t >= lastInput && t - lastInput <= ACTIVE_GAP_MS) s.activeMs += t - lastInput;
        lastInput = t;
        if (d.source === MOUSE_INTERACTION && d.type === CLICK) {
          s.clicks++;
          if (rage(Number(d.x) || 0, Number(d.y) || 0, t)) s.rageClicks++;
        }
      }
    }
    s.activeMs = Math.min(s.activeMs, R.maxSessionDurationMs);
    return s;
  };
}

export type Summarize = ReturnType<typeof summarizer>;
