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
