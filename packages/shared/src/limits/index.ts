/**
 * Every limit Sightline enforces, in one table. Workers, the tracker and the dashboard read
 * these; docs/LIMITS.md describes each one and the test that holds it.
 */

import { COLLECT_LIMITS } from "./collect.ts";
import { FLAG_LIMITS } from "./flags.ts";
import { HEATMAP_LIMITS } from "./heatmap.ts";

export const LIMITS = {
  collect: COLLECT_LIMITS,
  /** Heatmap capture and binning (docs/HEATMAPS.md). */
  heatmap: HEATMAP_LIMITS,
  /** Feature flags: what one site's flag record may hold (src/flags). */
  flags: FLAG_LIMITS,
  rateLimit: {
    /** Ratelimit binding periods are 10 or 60 s; these are per location and approximate. */
    perSitePer10s: 50_000,
    perClientPer10s: 100,
  },
  queue: {
    /** Queue messages are at most 128 KB; a 64 KiB body plus envelope fits. */
    maxMessageBytes: 128 * 1024,
    maxBatchSize: 100,
    maxRetries: 5,
    /** Bytes of one sendBatch call: the platform takes 256 KB; the rest is envelope headroom. */
    maxSendBatchBytes: 200 * 1024,
    /** Parked dead-letter batches one replay call puts back (up to 100 messages each). */
    replayObjectsPerCall: 50,
  },
  aggregate: {
    /** How often a Durable Object flushes its deltas to Postgres. */
    flushIntervalMs: 2_000,
    /**
     * Backoff after a failed flush: doubling from the interval up to this. Counts catch up
     * within this plus one flush of Postgres' return (the target is 60 s); while it is down an
     * object tries once per this, one connection attempt, not a stream of them.
     */
    maxFlushBackoffMs: 30_000,
    /** Rows per upsert statement: 5 params a row, far under Postgres' 65,535. */
    flushChunkRows: 1_000,
    /** Seen event ids are kept this long to drop redeliveries and client retries. */
    dedupWindowMs: 48 * 60 * 60 * 1000,
    maxShardsPerSite: 64,
    /**
     * Pages and breakdown values one session is remembered on (its row in the aggregator).
     * Past it, further ones count pageviews but not the session again.
     */
    maxKeysPerSession: 256,
    /**
     * Distinct pages one site counts in one hour (split evenly over its shards). Past it, new
     * pages of that hour count as the one page OTHER_PATH, as large analytics products fold
     * high-cardinality rows into "(other)": a script that knows a site key and sends random
     * paths cannot grow the site's rows, or the object's storage, without bound.
     */
    maxPathsPerHour: 2_000,
    /** How often an aggregator forgets old event ids, sessions, visitors and quota days. */
    pruneIntervalMs: 10 * 60 * 1000,
  },
  tracker: {
    flushIntervalMs: 5_000,
    maxQueuedEvents: 500,
    maxRetries: 3,
    retryBaseMs: 1_000,
    /** A session ends after this long without activity, as in GA, Hotjar and PostHog. */
    sessionIdleMs: 30 * 60 * 1000,
    maxCoreGzipBytes: 3_072,
  },
  /** Session recordings (docs/RECORDINGS.md). */
  recording: {
    /** One upload at most: what a browser allows in flight for sendBeacon / keepalive. */
    maxChunkBytes: 64 * 1024,
    /** The JSON header line before a chunk's payload. */
    maxHeaderBytes: 4 * 1024,
    /** A gzip payload is inflated at the edge (to join chunks) only up to this: a zip bomb stops here. */
    maxInflatedChunkBytes: 16 * 64 * 1024,
    /** The recorder sends every this long, or sooner when its buffer reaches maxChunkBytes. */
    chunkIntervalMs: 2_000,
    /** A full DOM snapshot this often, so a player can seek without replaying from the start. */
    checkoutEveryMs: 5 * 60 * 1000,
    /** What one session may upload in all; past it the recorder stops and the edge refuses. */
    maxSessionBytes: 20 * 1024 * 1024,
    /** How long one recording may run; past it the recorder stops and the edge refuses. */
    maxSessionDurationMs: 2 * 60 * 60 * 1000,
    /** Chunks one session may upload (a 2 h session at one per 2 s is 3,600). */
    maxChunksPerSession: 4_000,
    /** A grant lives as long as the longest recording, plus the idle time that ends a session. */
    grantTtlMs: 2 * 60 * 60 * 1000 + 30 * 60 * 1000,
    /** A session's buffer is written to R2 as one object when it holds this much... */
    flushBytes: 1024 * 1024,
    /** ...or when its oldest unwritten chunk is this old: at most one R2 write a minute. */
    flushAgeMs: 60_000,
    /** Recorded sessions one site may start per UTC day, unless the site sets fewer. */
    defaultDailyQuota: 10_000,
    maxDailyQuota: 10_000_000,
    /** Days a recording is kept unless the site sets otherwise (the field's common default). */
    defaultRetentionDays: 30,
    maxRetentionDays: 365,
    /** Distinct pages kept on a recording's index row. */
    maxPagesPerRecording: 50,
    /** Rage click, as heatmaps count it. */
    rageClicks: HEATMAP_LIMITS.rageClicks,
    rageWindowMs: HEATMAP_LIMITS.rageWindowMs,
    rageRadiusPx: HEATMAP_LIMITS.rageRadiusPx,
  },
  /** Page snapshots for heatmaps (docs/HEATMAPS.md). */
  snapshot: {
    /** One upload, gzipped: a page with its stylesheets inlined; not a beacon, so over 64 KiB is fine. */
    maxBytes: 2 * 1024 * 1024,
    /** Inflated at the edge only to check it is one JSON document; a zip bomb stops here. */
    maxInflatedBytes: 24 * 1024 * 1024,
    /** A page's snapshot for a device class is taken again once the newest is this old. */
    refreshAfterMs: 7 * 24 * 60 * 60 * 1000,
    /** A grant is good this long; meanwhile no other visitor is asked for the same page. */
    grantTtlMs: 10 * 60 * 1000,
    /** Older snapshots of a page are deleted once a newer one is this old. */
    keepPreviousMs: 30 * 24 * 60 * 60 * 1000,
  },
  loader: {
    /** The per-site loader is short-lived; the core bundle it points to is immutable. */
    maxAgeSeconds: 300,
    siteConfigCacheMs: 30_000,
    /** How long an isolate trusts what it read of a site's spent-quota mark. */
    quotaMarkCacheMs: 10_000,
  },
  /** What one Worker isolate keeps in memory for the hot path, whatever its clients send. */
  isolate: {
    /** Site keys remembered, unknown ones included. */
    siteCacheEntries: 10_000,
    /** A User-Agent is cut to this before it is classified or remembered; real ones are shorter. */
    maxUserAgentChars: 512,
    /** User-Agents whose device class is remembered (of at most maxUserAgentChars each). */
    userAgentMemoEntries: 1_000,
    /**
     * Visitor hashes remembered for the day (site, address and a cut User-Agent each): about
     * 1.5 MB at most, cleared when the day's salt changes.
     */
    visitorMemoEntries: 2_000,
  },
  api: {
    maxEmailLength: 254,
    minPasswordLength: 12,
    /** PBKDF2 cost grows with input length; bound it. */
    maxPasswordLength: 256,
    sessionTtlMs: 14 * 24 * 60 * 60 * 1000,
    /** Largest /v1 request body: site settings with every origin at its longest are ~14 KB. */
    maxBodyBytes: 64 * 1024,
    maxPageSize: 100,
    maxRangeDays: 366,
    maxNameLength: 100,
    maxOrigins: 50,
    maxOriginLength: 256,
    maxTokensPerAccount: 100,
    /** Elements a heatmap answer lists, most clicked first. */
    maxHeatmapElements: 500,
    /** Page and element rows the frustration ranking answers. */
    maxFrustrationRows: 50,
    defaultDailyEventQuota: 1_000_000,
    maxDailyEventQuota: 1_000_000_000,
    /** Days a site's statistics are kept (the hourly retention run deletes older rows). */
    defaultRetentionDays: 365,
    maxRetentionDays: 3_650,
    /** Login and setup attempts per client address (CF-Connecting-IP), whatever the email. */
    loginAttemptsPerMinute: 10,
    /**
     * Login and setup attempts per email, from any address: rotating addresses does not give
     * unlimited guesses at one account either. The owner shares this budget with an attacker
     * for at most the hour.
     */
    loginAttemptsPerEmailPerHour: 30,
    /** Requests per API token (or session) per minute. */
    requestsPerMinute: 600,
    /**
     * Requests per client address per minute to routes that need a caller, counted before the
     * credentials are looked up (a flood of random tokens reaches Postgres at most this often).
     * Twice a caller's budget, so one caller alone never meets it.
     */
    requestsPerMinutePerAddress: 1_200,
    /**
     * How old a cached identity may be and still answer while Postgres is unreachable; it is
     * written on each successful lookup and deleted on logout and revocation.
     */
    identityCacheMs: 60_000,
    /** `/ready` answers from its last probe for this long: one Postgres connection per isolate. */
    readyCacheMs: 5_000,
    /**
     * An API isolate reads the maintenance switches at most this often (the isolate that flips
     * one sees it at once; others within this, on top of KV's own propagation, about 60 s).
     */
    maintenanceCacheMs: 5_000,
    /** `Retry-After` of a `503 MAINTENANCE`, in seconds. */
    maintenanceRetryAfterS: 120,
    /** The note shown on the maintenance page. */
    maxMaintenanceMessageLength: 280,
  },
  db: {
    connectTimeoutMs: 5_000,
    statementTimeoutMs: 10_000,
  },
  /** The API worker's hourly retention run (workers/api/src/scheduled.ts). */
  retention: {
    /** Rows one DELETE removes at most: short statements, short row locks. */
    batchRows: 5_000,
    /** DELETEs one run makes at most (so at most 200,000 rows); the next run takes the rest. */
    maxStatementsPerRun: 40,
    /**
     * flush_log rows (flush ids that already landed) are kept this long. An aggregator retries
     * a flush within minutes (backoff at most 5 min); a week outlasts any outage we plan for.
     */
    flushLogMs: 7 * 24 * 60 * 60 * 1000,
    /**
     * Recordings one run erases at most (index row and R2 objects: about two R2 calls each,
     * well inside a Cron invocation's subrequests); a batch is looked up and erased together.
     */
    maxRecordingsPerRun: 500,
    recordingBatch: 50,
  },
} as const;

export type Limits = typeof LIMITS;
