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
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type Interval = "hour" | "day";

export interface TimeseriesPoint {
  t: string;
  pageviews: number;
  sessions: number;
}

export interface Timeseries {
  interval: Interval;
  from: string;
  to: string;
  points: TimeseriesPoint[];
  totals: { pageviews: number; sessions: number };
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

export type Breakdown = "referrers" | "devices" | "countries";
