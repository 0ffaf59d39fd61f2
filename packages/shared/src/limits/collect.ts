/**
 * What a collect request may carry: the one group of LIMITS the tracker ships. Its own module,
 * because esbuild kept the whole LIMITS object (API, database, aggregator...) in the tracker
 * bundle when the tracker read only `LIMITS.collect`: 370 bytes gzipped the page never uses.
 */
export const COLLECT_LIMITS = {
  /** Browsers allow about 64 KiB in flight for sendBeacon / keepalive fetch. */
  maxBodyBytes: 64 * 1024,
  maxEventsPerBatch: 100,
  maxUrlLength: 2048,
  maxReferrerLength: 2048,
  maxTitleLength: 512,
  maxSiteKeyLength: 32,
  /** utm_source, utm_medium and utm_campaign values are cut to this. */
  maxCampaignValueLength: 100,
  /** A client clock may drift; events older than this or in the future are refused. */
  maxEventAgeMs: 24 * 60 * 60 * 1000,
  maxClockSkewMs: 5 * 60 * 1000,
} as const;
