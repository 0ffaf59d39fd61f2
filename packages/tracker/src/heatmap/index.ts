/**
 * Heatmap capture in the core tracker: clicks (with rage clicks) and the scroll depth of each
 * pageview. Moves, dead clicks and page snapshots are the interactions chunk's.
 */
import { uuidv7 } from "@sightline/shared/ids";
import { COLLECT_LIMITS } from "@sightline/shared/limits/collect";
import type { ClickEvent, ScrollEvent } from "@sightline/shared/wire";
import { MAX_PAGE_PX, MAX_VIEWPORT_PX, RAGE_CLICKS, RAGE_RADIUS_PX, RAGE_WINDOW_MS } from "./limits.ts";
import { type SelectorElement, selectorOf } from "./selector.ts";

interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

interface ClickTarget extends SelectorElement {
  getBoundingClientRect(): Box;
}

/** What of a click the tracker reads; `detail` is 0 for a keyboard activation, absent on a plain Event. */
export interface ClickLike {
  target: unknown;
  clientX: number;
  clientY: number;
  detail?: number;
}

export interface HeatHost {
  location: { href: string };
  scrollX: number;
  scrollY: number;
  innerWidth: number;
  innerHeight: number;
  document: {
    documentElement: { scrollHeight: number };
    addEventListener(type: "click", fn: (e: ClickLike) => void, capture: boolean): void;
  };
  addEventListener(type: "scroll", fn: () => void, opts: { passive: boolean }): void;
}

/**
 * Values kept inside the wire's bounds: the edge refuses a batch with one event out of them,
 * pageviews included. Page positions go negative on a right-to-left page scrolled sideways
 * (scrollX <= 0) or in iOS's overscroll bounce; a browser zoomed far out is wider than
 * maxViewportPx; a URL is cut as the pageview's is.
 */
export const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.round(v)));
const fraction = (v: number) => clamp(v * 1000, 0, 1000) / 1000;
export const pagePx = (v: number) => clamp(v, 0, MAX_PAGE_PX);
export const viewport = (w: { innerWidth: number }) => clamp(w.innerWidth, 1, MAX_VIEWPORT_PX);
export const href = (w: { location: { href: string } }) => w.location.href.slice(0, COLLECT_LIMITS.maxUrlLength);

/**
 * A click's heatmap fields: the target's selector with the position inside its box, the page
 * position and the viewport width; undefined without an element. Shared with the interactions
 * chunk's dead clicks.
 */
export function clickAt(w: Omit<HeatHost, "document" | "addEventListener">, e: ClickLike, ts: number) {
  const el = e.target as ClickTarget | null;
  if (!el?.getBoundingClientRect) return;
  const r = el.getBoundingClientRect();
  // A keyboard activation has no pointer: it counts at the element's centre.
  // So does a script's `new Event("click")`, which has no detail and no pointer position at all.
  const key = !e.detail;
  const cx = key ? r.left + r.width / 2 : e.clientX;
  const cy = key ? r.top + r.height / 2 : e.clientY;
  const click: ClickEvent = {
    type: "click",
    id: uuidv7(ts),
    ts,
    url: href(w),
    x: pagePx(cx + w.scrollX),
    y: pagePx(cy + w.scrollY),
    vw: viewport(w),
  };
  const sel = selectorOf(el);
  if (sel) {
    click.sel = sel;
    // A box without width or height (0 / 0) counts at its edge.
    click.ex = fraction((cx - r.left) / r.width || 0);
    click.ey = fraction((cy - r.top) / r.height || 0);
  }
  return click;
}

/**
 * Starts capture on the current pageview. `page()` is called when navigation starts the next
 * one (sending this one's depth first, under its URL); `leave()` when the page is hidden or
 * left. Each pageview sends its depth at most once: at its first leave or at navigation, so a
 * tab hidden and shown again does not count the pageview twice in the scroll histogram.
 *
 * The view a pageview starts with is measured at its leave, not when the core runs: then a
 * client-rendered page has no height yet (an empty root reads as depth 1), and right after an
 * SPA's pushState the DOM and scroll position are still the previous page's.
 */
export function heatmaps(w: HeatHost, now: () => number, emit: (e: ClickEvent | ScrollEvent) => void) {
  let url = href(w);
  let deepest = 0;
  let sent = false;
  const measure = () => {
    const depth = (w.scrollY + w.innerHeight) / Math.max(1, w.document.documentElement.scrollHeight);
    if (depth > deepest) deepest = Math.min(1, depth);
  };
  const leave = () => {
    if (sent) return;
    measure();
    sent = true;
    const ts = now();
    emit({ type: "scroll", id: uuidv7(ts), ts, url, depth: fraction(deepest), vw: viewport(w) });
  };
  w.addEventListener("scroll", measure, { passive: true });

  // The current burst: its last click's time and place, and how many so far (0 once marked).
  let lastTs = -1e9;
  let lastX = 0;
  let lastY = 0;
  let n = 0;
  w.document.addEventListener(
    "click",
    (e) => {
      const ts = now();
      const click = clickAt(w, e, ts);
      if (!click) return;
      const { x, y } = click;
      // A marked burst (n = 0) counts on without marking again, until a click breaks it.
      n = ts - lastTs <= RAGE_WINDOW_MS && Math.hypot(x - lastX, y - lastY) <= RAGE_RADIUS_PX ? n && n + 1 : 1;
      lastTs = ts;
      lastX = x;
      lastY = y;
      if (n >= RAGE_CLICKS) {
        n = 0;
        click.rage = true;
      }
      emit(click);
    },
    true,
  );

  return {
    page() {
      leave();
      url = href(w);
      deepest = 0;
      sent = false;
    },
    leave,
  };
}
