/** The dashboard API's shapes, as documented in the OpenAPI document at /openapi.json. */
import type { Flag as FlagDefinition } from "@sightline/shared/flags";
import type { RecordingConsent } from "@sightline/shared/site";

export type { FlagDefinition };

export interface Account {
  id: string;
  email: string;
}

export interface Me {
  account: Account;
  via: "session" | "token";
  scopes: string[];
}

export interface Site {
  id: string;
  name: string;
  key: string;
  origins: string[];
  dailyEventQuota: number;
  retentionDays: number;
  /** IANA time zone the overview's days are in. */
  timeZone: string;
  /** Whether hash routes (`#/…`) count as pages. */
  hashRoutes: boolean;
  /** Share of sessions recorded, 0 to 1. */
  recordingSampleRate: number;
  /** Recorded sessions started per UTC day at most. */
  recordingDailyQuota: number;
  /** Days a recording is kept. */
  recordingRetentionDays: number;
  /** Recordings mask every text, not only inputs and personal-looking text. */
  maskAllText: boolean;
  /** "opt-in": a sampled session records only once the page called `sightline('consent', true)`. */
  recordingConsent: RecordingConsent;
  /** Whether the tracker sends clicks, rage clicks and scroll depth. */
  heatmaps: boolean;
  createdAt: string;
  updatedAt: string;
  /** The `<script>` tag to paste into the site's pages. */
  snippet: string;
}

export interface SiteInput {
  name: string;
  origins: string[];
  dailyEventQuota?: number;
  retentionDays?: number;
  timeZone?: string;
  hashRoutes?: boolean;
  recordingSampleRate?: number;
  recordingDailyQuota?: number;
  recordingRetentionDays?: number;
  maskAllText?: boolean;
  recordingConsent?: RecordingConsent;
  heatmaps?: boolean;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type Interval = "hour" | "day";

/** Sessions count once, in their first hour; visitors once per UTC day. */
export interface Counts {
  pageviews: number;
  sessions: number;
  visitors: number;
}

export interface TimeseriesPoint extends Counts {
  /** Bucket start: a UTC hour, or the UTC instant of the site's local midnight. */
  t: string;
}

export interface Timeseries {
  interval: Interval;
  timeZone: string;
  from: string;
  to: string;
  points: TimeseriesPoint[];
  totals: Counts;
}

export interface PageRow {
  path: string;
  pageviews: number;
  sessions: number;
}

export interface BreakdownRow {
  value: string;
  pageviews: number;
  sessions: number;
}

export type Breakdown =
  | "referrers"
  | "devices"
  | "countries"
  | "utm-sources"
  | "utm-mediums"
  | "utm-campaigns"
  | "flags";

export interface QuotaDay {
  /** A UTC day, "2026-12-05". */
  day: string;
  reachedAt: string;
}

/** ok: nothing waits or it lands; behind: rows have waited over a minute; failing: flushes fail. */
export type PipelineStatus = "ok" | "behind" | "failing";

/** One aggregator shard of a site (GET /v1/health/pipeline). */
export interface AggregatorShard {
  /** When a flush last landed, or null if none has since the aggregator was made. */
  lastFlushAt: string | null;
  /** Consecutive failed flushes; more than 0 means Postgres is not taking them (backoff). */
  failures: number;
  /** When the next flush (or retry) runs, or null when nothing waits. */
  nextFlushAt: string | null;
  pendingRows: number;
  pendingPageviews: number;
  inFlight: boolean;
}

export interface SitePipelineHealth {
  id: string;
  key: string;
  name: string;
  status: PipelineStatus;
  shards: AggregatorShard[];
}

/** Dead letters parked for a replay, deployment-wide; `more` past one listing of 1,000 batches. */
export interface DeadLetterCount {
  objects: number;
  messages: number;
  more: boolean;
}

export interface PipelineHealth {
  /** down: Postgres is unreachable and `sites` is the API's last good list. */
  database: "up" | "down";
  sites: SitePipelineHealth[];
  nextCursor: string | null;
  deadLetters: DeadLetterCount;
}

/** What one replay call did (POST /v1/admin/dead-letters/replay); call again while `more`. */
export interface DeadLetterReplay {
  /** Parked batches read. */
  objects: number;
  /** Messages put back on the ingest queue. */
  replayed: number;
  /** Messages that are not ingest messages, kept aside for a person. */
  unreadable: number;
  more: boolean;
}

/** One recording's index row (GET /v1/sites/{siteId}/recordings). */
export interface RecordingSummary {
  id: string;
  sessionId: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  /** Milliseconds with pointer, key or scroll input. */
  activeMs: number;
  /** Distinct pages in the order first seen. */
  pages: string[];
  clicks: number;
  rageClicks: number;
  errors: number;
  device: string;
  country: string | null;
  referrer: string | null;
  bytes: number;
  chunks: number;
  /** The variant of each public flag the session was served, `<key>=<variant>`. */
  flags: string[];
}

export interface Recording extends RecordingSummary {
  firstPage: string;
  updatedAt: string;
}

export type RecordingSort = "start" | "duration" | "activity";

/** The list's filters, as the API's query parameters take them. */
export interface RecordingFilters {
  sort?: RecordingSort;
  /** ISO instants. */
  from?: string;
  to?: string;
  minDurationMs?: number;
  maxDurationMs?: number;
  /** Exact, or a prefix when it ends in `*`. */
  page?: string;
  device?: string;
  country?: string;
  referrer?: string;
  hasRageClicks?: boolean;
  hasErrors?: boolean;
  /** Sessions served this flag variant, `<key>=<variant>`. */
  flag?: string;
}

/** An rrweb event as stored; the player reads the rest. */
export interface RrwebEvent {
  type: number;
  timestamp: number;
  data?: unknown;
}

export type HeatDevice = "desktop" | "tablet" | "mobile";
export type HeatmapType = "click" | "move" | "scroll" | "rage" | "dead";

export interface HeatElement {
  selector: string;
  count: number;
  /** 8 x 8 counts inside the element, row by row. */
  cells: number[];
}

export interface HeatCell {
  cell: number;
  count: number;
}

/** GET /v1/sites/{siteId}/heatmaps: the fields of the type asked for. */
export interface Heatmap {
  type: HeatmapType;
  total?: number;
  items?: HeatElement[];
  grid?: HeatCell[];
  pageviews?: number;
  reach?: { depth: number; pageviews: number; share: number }[];
}

/** GET /v1/sites/{siteId}/frustration: pages and elements, most rage and dead clicks first. */
export interface FrustrationRow {
  path: string;
  selector: string;
  rage: number;
  dead: number;
}

export interface PageSnapshot {
  path: string;
  device: HeatDevice;
  takenAt: string;
  width: number;
  height: number;
  node: unknown;
}

/** GET /v1/maintenance (and a site's): whether the API answers 503 MAINTENANCE. */
export interface Maintenance {
  on: boolean;
  message: string;
  /** When it was last flipped; null if never. */
  since: string | null;
  /** Who flipped it (answers to a flip only). */
  by?: string;
}

/** A feature flag as GET /v1/sites/{siteId}/flags answers it: the shared schema's flag and when it changed. */
export interface Flag extends FlagDefinition {
  createdAt: string;
  updatedAt: string;
}

/** PATCH /v1/sites/{siteId}/flags/{key}: each field sent replaces the stored one; null removes an optional one. */
export type FlagChanges = { [K in Exclude<keyof FlagDefinition, "key">]?: FlagDefinition[K] | null };

/** One audited change of a flag (GET .../flags/{key}/history), newest first. */
export interface FlagChange {
  /** The version of the site's flag record this change published. */
  version: number;
  action: "created" | "updated" | "deleted";
  /** The email of the account that made the change. */
  actor: string;
  at: string;
  before: FlagDefinition | null;
  after: FlagDefinition | null;
}

/** GET /v1/sites/{siteId}/flags/{key}/variants: traffic the flag's variants were served. */
export interface FlagVariantRow {
  variant: string;
  pageviews: number;
  sessions: number;
}
