/**
 * What heatmap capture may send and how it is binned (docs/HEATMAPS.md). Its own module, like
 * COLLECT_LIMITS: the core tracker reads these and must not carry the whole LIMITS table.
 */
export const HEATMAP_LIMITS = {
  /** A click target's CSS selector is cut at a segment boundary to fit this. */
  maxSelectorLength: 256,
  /** Rage click: this many clicks, each within rageWindowMs and rageRadiusPx of the last (PostHog's defaults). */
  rageClicks: 3,
  rageWindowMs: 1_000,
  rageRadiusPx: 30,
  /** Dead click: no DOM change, navigation, scroll or selection change this long after it (PostHog's). */
  deadClickWindowMs: 2_500,
  /** A pointer that rests this long is sampled (PostHog records a rest of 500 ms)... */
  moveRestMs: 500,
  /** ...at most this many points a page, sent this many to an event. */
  maxMovesPerPage: 200,
  maxMovePointsPerEvent: 20,
  /**
   * The edge is asked for a page's snapshot once the page has been shown this long: a visitor
   * who leaves sooner is not asked (the ask would be cut off by the navigation, and a bounce
   * is not the visitor to take it), and a client-rendered page has rendered by then.
   */
  snapshotAskAfterMs: 2_000,
  /** Positions inside an element: a grid of this many columns and rows. */
  elementGrid: 8,
  /** The page grid: this many columns across the viewport width... */
  pageGridColumns: 64,
  /** ...and rows this many CSS pixels high, down to maxPageGridRows (16,384 px). */
  pageGridRowPx: 16,
  maxPageGridRows: 1_024,
  /** Scroll depth in 5% steps: bucket b holds pageviews whose deepest point was b * 5% (0..20). */
  scrollBuckets: 20,
  /** Widths and page coordinates past these are refused (an 8K screen is 7,680 px wide). */
  maxViewportPx: 10_000,
  maxPagePx: 1_000_000,
  /** Device classes of the viewport width: mobile below 768 px, tablet below 1,280, desktop. */
  tabletMinPx: 768,
  desktopMinPx: 1_280,
} as const;
