/**
 * A site's edge record, kept in KV under `site:<siteKey>`: what ingestion needs to accept a
 * batch without Postgres, and the public part the loader hands to the tracker.
 */
import { z } from "zod";
import type { SiteFlags } from "../flags/schema.ts";
import { LIMITS } from "../limits/index.ts";
import { RECORDING_CONSENT } from "./constants.ts";

export { RECORDING_CONSENT, type RecordingConsent } from "./constants.ts";

export const siteKeySchema = z
  .string()
  .min(8)
  .max(LIMITS.collect.maxSiteKeyLength)
  .regex(/^[A-Za-z0-9_-]+$/);

export const siteEdgeRecord = z.object({
  siteId: z.string().min(1).max(64),
  /** The owning account: an API token evaluates private flags only of its own account's sites. */
  accountId: z.string().min(1).max(64).optional(),
  siteKey: siteKeySchema,
  /** Origins allowed to send events, e.g. `https://example.com`. Empty refuses every browser. */
  origins: z.array(z.string().max(256)).max(50),
  /** Durable Object shards for this site's aggregates; raise for hot sites. */
  shards: z.number().int().min(1).max(LIMITS.aggregate.maxShardsPerSite).default(1),
  /** Whether to honour Do-Not-Track on top of Global Privacy Control. */
  respectDnt: z.boolean().default(true),
  /** Whether route-like fragments (`#/...`, `#!/...`) are pages of their own. */
  hashRoutes: z.boolean().default(true),
  /** Events counted per UTC day; the aggregator stops counting past it and marks the site. */
  dailyEventQuota: z
    .number()
    .int()
    .min(0)
    .max(LIMITS.api.maxDailyEventQuota)
    .default(LIMITS.api.defaultDailyEventQuota),
  /** Share of sessions recorded, 0 to 1 (`sessionSampled` in ../recording). */
  recordingSampleRate: z.number().min(0).max(1).default(0),
  /** Recorded sessions started per UTC day at most; the edge refuses grants past it. */
  recordingDailyQuota: z
    .number()
    .int()
    .min(0)
    .max(LIMITS.recording.maxDailyQuota)
    .default(LIMITS.recording.defaultDailyQuota),
  /** Mask every text node in recordings, not only inputs and personal-looking text. */
  maskAllText: z.boolean().default(false),
  /** "opt-in": a sampled session records only once the site reported the visitor's consent. */
  recordingConsent: z.enum(RECORDING_CONSENT).default("opt-out"),
  /** Heatmaps: clicks, rage clicks and scroll depth, and the interactions chunk (moves, dead clicks, snapshots). */
  heatmaps: z.boolean().default(true),
});

export type SiteEdgeRecord = z.infer<typeof siteEdgeRecord>;
/** A record as written: the fields with defaults may be left out. */
export type SiteEdgeRecordInput = z.input<typeof siteEdgeRecord>;

export const siteKvKey = (siteKey: string) => `site:${siteKey}`;

/**
 * A maintenance switch (docs/MAINTENANCE.md), in KV beside the site records: the global one
 * under `maintenance`, a site's under `maintenance:<siteId>`. While one is on, the API answers
 * `503 MAINTENANCE` (for every route, or that site's) and ingestion goes on accepting.
 */
export const maintenanceState = z.object({
  on: z.boolean(),
  /** Shown on the dashboard's maintenance page. */
  message: z.string().max(LIMITS.api.maxMaintenanceMessageLength).default(""),
  /** When it was last flipped (ms), and by whom: an account email or "command". */
  since: z.number().int().nonnegative(),
  by: z.string().max(LIMITS.api.maxEmailLength),
});
export type MaintenanceState = z.infer<typeof maintenanceState>;
export const MAINTENANCE_OFF: MaintenanceState = { on: false, message: "", since: 0, by: "" };
export const maintenanceKvKey = (siteId?: string) => (siteId ? `maintenance:${siteId}` : "maintenance");

/**
 * An API token as the edge knows it, under `token:<sha256 of the token>` (never the token): for
 * OFREP callers that authenticate as a server (`Authorization: Bearer sl_…`, scope `flags` or
 * above). Written when the token is made, deleted when it is revoked.
 */
export interface EdgeToken {
  accountId: string;
}
export const edgeTokenKvKey = (hash: string) => `token:${hash}`;

/** A site's feature flags as the edge evaluates them (`SiteFlags`, ../flags), by site key like its record. */
export const flagsKvKey = (siteKey: string) => `flags:${siteKey}`;

/** What the tracker receives from the loader. Nothing private goes here. */
export interface TrackerConfig {
  siteKey: string;
  endpoint: string;
  flushIntervalMs: number;
  maxQueuedEvents: number;
  maxRetries: number;
  retryBaseMs: number;
  sessionIdleMs: number;
  respectDnt: boolean;
  hashRoutes: boolean;
  /** 0 when the site records nothing: the tracker then never asks for a recording grant. */
  recordingSampleRate: number;
  /**
   * Present (true) only for an opt-in site: the recorder starts only once `sl_c` is "1", i.e. the
   * site called `sightline('consent', true)`. Absent: it starts unless `sl_c` is "0".
   */
  consentRequired?: true;
  /** The recorder chunk `/t/recorder.<hash>.js`; set by the loader when the site records. */
  recorderUrl?: string;
  /** Whether the core sends clicks, rage clicks and scroll depth (the site's `heatmaps`). */
  heatmaps: boolean;
  /**
   * The interactions chunk `/t/interactions.<hash>.js` (resting-pointer moves, dead clicks, and
   * asking the edge whether this page needs a snapshot); set by the loader when heatmaps are on.
   */
  interactionsUrl?: string;
  /** The snapshot chunk `/t/snapshot.<hash>.js`, loaded only when the edge grants a snapshot. */
  snapshotUrl?: string;
  /**
   * Set in the page by the loader's flags code, not by the edge: `<flag key>=<variant>` of each
   * public flag served to this visitor, which the core sends with every batch.
   */
  variants?: string[];
}

export function trackerConfig(site: SiteEdgeRecord, endpoint: string): TrackerConfig {
  const t = LIMITS.tracker;
  return {
    siteKey: site.siteKey,
    endpoint,
    flushIntervalMs: t.flushIntervalMs,
    maxQueuedEvents: t.maxQueuedEvents,
    maxRetries: t.maxRetries,
    retryBaseMs: t.retryBaseMs,
    sessionIdleMs: t.sessionIdleMs,
    respectDnt: site.respectDnt,
    hashRoutes: site.hashRoutes,
    recordingSampleRate: site.recordingSampleRate,
    ...(site.recordingConsent === "opt-in" ? { consentRequired: true as const } : {}),
    heatmaps: site.heatmaps,
  };
}

/** What the ingest worker's private `EdgeAdmin` entrypoint offers over a service binding. */
/** What one dead-letter replay did (workers/ingest/src/queue/dead-letters.ts). */
export interface DeadLetterReplay {
  /** Parked batches read this call. */
  objects: number;
  /** Messages put back on the ingest queue. */
  replayed: number;
  /** Messages that are not ingest messages, kept under `unreadable/`. */
  unreadable: number;
  /** Whether parked batches remain (a call stops at `LIMITS.queue.replayObjectsPerCall`). */
  more: boolean;
}

/** Dead letters waiting for a replay: batches and messages, `more` past one listing of 1,000. */
export interface DeadLetterCount {
  objects: number;
  messages: number;
  more: boolean;
}

/** One aggregator shard as the operator sees it (GET /v1/health/pipeline). */
export interface AggregatorHealth {
  /** When a flush last landed (ms), or null if none has since the object was made. */
  lastFlushAt: number | null;
  /** Consecutive failed flushes: more than 0 means Postgres is not taking them (backoff). */
  failures: number;
  /** When the next flush runs (the alarm), or null when nothing waits. */
  nextFlushAt: number | null;
  /** Delta rows waiting, in every table. */
  pendingRows: number;
  /** Pageviews those rows carry (the site's totals). */
  pendingPageviews: number;
  inFlight: boolean;
}

/** A site's aggregators: one entry per shard, in shard order. */
export interface SitePipelineHealth {
  siteId: string;
  shards: AggregatorHealth[];
}

export interface EdgeAdminRpc {
  /** The global switch, or a site's; off when never set. */
  getMaintenance(siteId?: string): Promise<MaintenanceState>;
  putMaintenance(state: MaintenanceState, siteId?: string): Promise<void>;
  /** Publishes a site's whole flag record (Postgres is the source of truth); null when none is published. */
  putFlags(siteKey: string, record: SiteFlags): Promise<void>;
  getFlags(siteKey: string): Promise<SiteFlags | null>;
  /** Publishes or withdraws an API token that may evaluate flags (by its SHA-256). */
  putToken(hash: string, token: EdgeToken): Promise<void>;
  deleteToken(hash: string): Promise<void>;
  putSite(record: SiteEdgeRecord): Promise<void>;
  getSite(siteKey: string): Promise<SiteEdgeRecord | null>;
  deleteSite(siteKey: string): Promise<void>;
  eraseRecording(siteId: string, sessionId: string): Promise<void>;
  replayDeadLetters(): Promise<DeadLetterReplay>;
  deadLetters(): Promise<DeadLetterCount>;
  pipelineHealth(sites: { siteId: string; shards: number }[]): Promise<SitePipelineHealth[]>;
}
