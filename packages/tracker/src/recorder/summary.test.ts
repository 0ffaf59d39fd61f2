import { LIMITS } from "@sightline/shared/limits";
import { chunkSummary } from "@sightline/shared/recording";
import { pagePath } from "@sightline/shared/wire";
import { describe, expect, it } from "vitest";
import {
  ACTIVE_GAP_MS,
  CUSTOM,
  ERROR_TAG,
  PAGE_TAG,
  pagePathOf,
  type RecEvent,
  rageDetector,
  summarizer,
} from "./summary.ts";

const R = LIMITS.recording;
const T0 = 1_000_000;
const meta = (t: number, href: string): RecEvent => ({
  type: 4,
  timestamp: t,
  data: { href, width: 800, height: 600 },
});
const full = (t: number): RecEvent => ({
  type: 2,
  timestamp: t,
  data: { node: {}, initialOffset: { top: 0, left: 0 } },
});
const click = (t: number, x: number, y: number): RecEvent => ({
  type: 3,
  timestamp: t,
  data: { source: 2, type: 2, id: 7, x, y },
});
const move = (t: number): RecEvent => ({ type: 3, timestamp: t, data: { source: 1, positions: [] } });
const input = (t: number): RecEvent => ({ type: 3, timestamp: t, data: { source: 5, id: 3, text: "***" } });
const mutation = (t: number): RecEvent => ({ type: 3, timestamp: t, data: { source: 0, adds: [] } });
const page = (t: number, href: string): RecEvent => ({
  type: CUSTOM,
  timestamp: t,
  data: { tag: PAGE_TAG, payload: { href } },
});
const error = (t: number): RecEvent => ({ type: CUSTOM, timestamp: t, data: { tag: ERROR_TAG } });

describe("rageDetector", () => {
  it("counts a burst once, at its third click within the window and radius of the one before", () => {
    const rage = rageDetector();
    const hits = [
      rage(100, 100, 0),
      rage(110, 105, 300),
      rage(105, 100, 700), // third: rage
      rage(100, 100, 900), // fourth of the same burst: not again
    ];
    expect(hits).toEqual([false, false, true, false]);
  });

  it("restarts the burst on a click too far away or too late", () => {
    const rage = rageDetector();
    const far = [rage(0, 0, 0), rage(0, 0, 100), rage(0, R.rageRadiusPx + 1, 200), rage(0, R.rageRadiusPx + 1, 300)];
    expect(far).toEqual([false, false, false, false]);
    const late = rageDetector();
    const slow = [late(0, 0, 0), late(0, 0, R.rageWindowMs + 1), late(0, 0, 2 * R.rageWindowMs + 2)];
    expect(slow).toEqual([false, false, false]);
    const edge = rageDetector();
    expect([
      edge(0, 0, 0),
      edge(R.rageRadiusPx, 0, R.rageWindowMs),
      edge(R.rageRadiusPx, 0, 2 * R.rageWindowMs),
    ]).toEqual([false, false, true]);
  });
});

describe("pagePathOf", () => {
  it.each([
    ["https://site.test/pricing?plan=pro#faq", false],
    ["https://site.test/app#/active?x=1", true],
    ["https://site.test/app#!/done#anchor", true],
    ["https://site.test/app#/active", false],
    ["https://site.test/", true],
    ["https://site.test/a/../b/%7euser", false],
  ])("names %s as the ingest worker's pagePath does (hashRoutes %s)", (href, hashRoutes) => {
    expect(pagePathOf(href, hashRoutes)).toBe(pagePath(href, { hashRoutes }));
  });
});

describe("summarizer", () => {
  it("counts a chunk: times, pages, clicks, rage clicks, errors, events", () => {
    const summarize = summarizer(true);
    const events = [
      meta(T0, "https://site.test/home?q=1"),
      full(T0 + 1),
      click(T0 + 100, 10, 10),
      click(T0 + 200, 12, 10),
      click(T0 + 300, 14, 10),
      error(T0 + 400),
      page(T0 + 500, "https://site.test/app#/list"),
      mutation(T0 + 600),
      page(T0 + 700, "https://site.test/app#/list#top"),
      click(T0 + 6_000, 400, 400),
    ];
    const s = summarize(events);
    expect(s).toEqual({
      firstTs: T0,
      lastTs: T0 + 6_000,
      activeMs: 200,
      pages: ["/home", "/app#/list"],
      clicks: 4,
      rageClicks: 1,
      errors: 1,
      events: events.length,
    });
    expect(chunkSummary.safeParse(s).success).toBe(true);
  });

  it("carries the page, the last input and a click burst over to the next chunk", () => {
    const summarize = summarizer(false);
    summarize([meta(T0, "https://site.test/a"), click(T0 + 10, 5, 5), click(T0 + 20, 5, 5)]);
    const next = summarize([click(T0 + 30, 5, 5), move(T0 + 1_030)]);
    expect(next).toMatchObject({ pages: ["/a"], clicks: 1, rageClicks: 1, activeMs: 1_010 });
    // A checkout repeats the page: listed once.
    expect(summarize([meta(T0 + 2_000, "https://site.test/a"), full(T0 + 2_001)]).pages).toEqual(["/a"]);
  });

  it("counts activity only between inputs closer than ACTIVE_GAP_MS", () => {
    const summarize = summarizer(false);
    const s = summarize([
      input(T0),
      input(T0 + 1_000),
      move(T0 + 1_000 + ACTIVE_GAP_MS + 1),
      move(T0 + 1_500 + ACTIVE_GAP_MS + 1),
      mutation(T0 + 100_000),
    ]);
    expect(s.activeMs).toBe(1_500);
    expect(s.clicks).toBe(0);
  });

  it("keeps at most maxPagesPerRecording pages", () => {
    const summarize = summarizer(false);
    const events = Array.from({ length: R.maxPagesPerRecording + 10 }, (_, i) =>
      page(T0 + i, `https://site.test/p${i}`),
    );
    const s = summarize(events);
    expect(s.pages).toHaveLength(R.maxPagesPerRecording);
    expect(chunkSummary.safeParse(s).success).toBe(true);
  });
});
