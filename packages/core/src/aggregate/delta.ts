import type { Dimension, HeatDevice, HeatmapType } from "@sightline/shared/wire";

/** Counts to add for one page in one hour; sessions new to the page in that hour. */
export interface PageHourDelta {
  hour: number;
  path: string;
  pageviews: number;
  sessions: number;
}

/**
 * Counts to add for the whole site in one hour: sessions first seen in it, and visitors first
 * seen that UTC day in it (older aggregators send no visitors).
 */
export interface SiteHourDelta {
  hour: number;
  pageviews: number;
  sessions: number;
  visitors?: number;
}

/** Counts to add for one breakdown value in one hour; sessions new to the value in that hour. */
export interface DimensionHourDelta {
  hour: number;
  dimension: Dimension;
  value: string;
  pageviews: number;
  sessions: number;
}

/**
 * A flush: every delta one shard hands to the store under one id, applied at most once and
 * all together (pages, site totals and breakdowns never disagree about what landed).
 */
export interface FlushBatch {
  flushId: string;
  siteId: string;
  shard: number;
  /** Page rows; the name predates the other two. */
  rows: PageHourDelta[];
  site: SiteHourDelta[];
  dimensions: DimensionHourDelta[];
  /** UTC days (`YYYY-MM-DD`) on which the site's daily quota was reached, and when. */
  quotaDays?: { day: string; reachedAt: number }[];
  /** Recording summaries merged per session since the last flush (the `recordings` rows). */
  recordings?: RecordingDelta[];
  /** Heatmap counts per cell since the last flush (`heatmap_elements`, `heatmap_cells`). */
  heat?: HeatDelta[];
}

/**
 * A heatmap count to add: with a selector, one cell inside that element (`heatmap_elements`,
 * kinds click, rage, dead); without (selector ""), one page-grid cell or, for scroll, one depth
 * bucket (`heatmap_cells`).
 */
export interface HeatDelta {
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  path: string;
  device: HeatDevice;
  kind: HeatmapType;
  selector: string;
  cell: number;
  count: number;
  /**
   * Whose heat: "" (or absent) all visitors; `<flag key>=<variant>` the visitors served that
   * variant of a flag that splits heatmaps (docs/HEATMAPS.md). A heat item counts under "" and
   * again under each such variant.
   */
  variant?: string;
}

/**
 * What a shard adds to one session's `recordings` row: its chunks' summaries merged. Postgres
 * merges it into the row (min start, max end, sums, pages and flags in first-seen order).
 */
export interface RecordingDelta {
  sessionId: string;
  /** The row's id (UUIDv7) if this flush inserts it; an existing row keeps its own. */
  id: string;
  firstTs: number;
  lastTs: number;
  activeMs: number;
  clicks: number;
  rageClicks: number;
  errors: number;
  bytes: number;
  chunks: number;
  /** Distinct, in first-seen order, at most LIMITS.recording.maxPagesPerRecording. */
  pages: string[];
  /**
   * `<flag key>=<variant>` of each variant the session was served, distinct, in first-seen
   * order, at most FLAG_LIMITS.maxFlagsPerSite. A union: a flag flipped during the session
   * shows both of its variants.
   */
  flags: string[];
  device: string;
  country: string;
  referrer: string | null;
  r2Prefix: string;
}

/** Where flushes land. Postgres in production; tests may use another. */
export interface StatsSink {
  /**
   * Applies the batch once; `duplicate` when this flush id already landed; `gone` when the
   * site was deleted (nothing is written, and the aggregator forgets the site).
   */
  apply(batch: FlushBatch): Promise<"applied" | "duplicate" | "gone">;
}
