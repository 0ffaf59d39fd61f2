import type { Dimension } from "@sightline/shared/wire";

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
}

/** Where flushes land. Postgres in production; tests may use another. */
export interface StatsSink {
  /**
   * Applies the batch once; `duplicate` when this flush id already landed; `gone` when the
   * site was deleted (nothing is written, and the aggregator forgets the site).
   */
  apply(batch: FlushBatch): Promise<"applied" | "duplicate" | "gone">;
}
