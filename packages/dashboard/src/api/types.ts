/** The dashboard API's shapes, as documented in the OpenAPI document at /openapi.json. */

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

export type Breakdown = "referrers" | "devices" | "countries" | "utm-sources" | "utm-mediums" | "utm-campaigns";

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
