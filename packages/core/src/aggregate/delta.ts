/** One row of aggregate deltas: counts to add for one page in one hour. */
export interface PageHourDelta {
  hour: number;
  path: string;
  pageviews: number;
  sessions: number;
}

/** A flush: the deltas one shard hands to the store under one id, applied at most once. */
export interface FlushBatch {
  flushId: string;
  siteId: string;
  shard: number;
  rows: PageHourDelta[];
}

/** Where flushes land. Postgres in production; tests may use another. */
export interface StatsSink {
  /** Applies the batch once; `duplicate` when this flush id already landed. */
  apply(batch: FlushBatch): Promise<"applied" | "duplicate">;
}
