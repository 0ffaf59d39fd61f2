import { env, SELF } from "cloudflare:test";
import { createDb } from "@sightline/db";
import {
  deletedSites,
  dimensionStatsHourly,
  ELEMENT_CELLS,
  erasedRecordings,
  heatmapCells,
  heatmapElements,
  pageStatsHourly,
  quotaDays,
  recordings,
  siteStatsHourly,
} from "@sightline/db/schema";
import { uuidv7 } from "@sightline/shared/ids";
import type { SiteEdgeRecord } from "@sightline/shared/site";
import { siteKvKey } from "@sightline/shared/site";
import type { CollectBatch, DeviceClass, IngestMessage, PageviewEvent } from "@sightline/shared/wire";
import { and, eq } from "drizzle-orm";

export const ORIGIN = "https://shop.example";

/** A site known to the edge, with a key and id unique to the test. */
export async function makeSite(overrides: Partial<SiteEdgeRecord> = {}): Promise<SiteEdgeRecord> {
  const n = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
  const site: SiteEdgeRecord = {
    siteId: `site_${n}`,
    siteKey: `key_${n}`,
    origins: [ORIGIN],
    shards: 1,
    respectDnt: true,
    hashRoutes: true,
    dailyEventQuota: 1_000_000,
    recordingSampleRate: 0,
    recordingDailyQuota: 10_000,
    maskAllText: false,
    recordingConsent: "opt-out",
    heatmaps: true,
    ...overrides,
  };
  await env.SITES.put(siteKvKey(site.siteKey), JSON.stringify(site));
  return site;
}

export function pageview(path: string, ts = Date.now(), referrer = ""): PageviewEvent {
  return { type: "pageview", id: uuidv7(ts), ts, url: `${ORIGIN}${path}?q=1#x`, referrer, title: "t" };
}

export function batchFor(siteKey: string, events: PageviewEvent[], sessionId = uuidv7()): CollectBatch {
  return { v: 1, siteKey, sessionId, sentAt: Date.now(), events };
}

export function post(
  body: unknown,
  init: {
    origin?: string | null;
    type?: string;
    ip?: string;
    userAgent?: string;
    /** request.cf.country */
    country?: string;
    /** The CF-IPCountry header Cloudflare adds where IP Geolocation is on. */
    countryHeader?: string;
  } = {},
) {
  const headers: Record<string, string> = { "content-type": init.type ?? "text/plain;charset=UTF-8" };
  if (init.origin !== null) headers.origin = init.origin ?? ORIGIN;
  if (init.ip) headers["cf-connecting-ip"] = init.ip;
  if (init.userAgent) headers["user-agent"] = init.userAgent;
  if (init.countryHeader) headers["cf-ipcountry"] = init.countryHeader;
  return SELF.fetch("https://ingest.test/v1/collect", {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...(init.country ? { cf: { country: init.country } } : {}),
  });
}

export interface ErrorShape {
  error: { code: string; message: string; requestId: string };
}

/**
 * A queue message as the collect route makes it. Without `client` it has the shape queued
 * before device, country and referrer existed.
 */
export function ingestMessageFor(
  siteId: string,
  events: { path: string; ts?: number; id?: string; ref?: string }[],
  sessionId = uuidv7(),
  client?: { device: DeviceClass; country: string },
): IngestMessage {
  return {
    v: 1,
    siteId,
    shards: 1,
    sessionId,
    receivedAt: Date.now(),
    ...client,
    events: events.map((e) => {
      const event = { id: e.id ?? uuidv7(), ts: e.ts ?? Date.now(), path: e.path };
      return e.ref === undefined ? event : { ...event, ref: e.ref };
    }),
  };
}

function withDb<T>(read: (db: ReturnType<typeof createDb>["db"]) => Promise<T>): Promise<T> {
  const { db, close } = createDb({
    connectionString: env.DATABASE_URL,
    wsProxy: (env as { PG_WS_PROXY?: string }).PG_WS_PROXY,
  });
  return read(db).finally(close);
}

/** Leaves the tombstone a site's deletion leaves (sitesData.deleteSite), for a site id. */
export function markSiteDeleted(siteId: string) {
  return withDb((db) => db.insert(deletedSites).values({ siteId }).onConflictDoNothing());
}

/** As the API's DELETE of a recording leaves it: the session marked erased in Postgres. */
export function markRecordingErased(siteId: string, sessionId: string) {
  return withDb((db) => db.insert(erasedRecordings).values({ siteId, sessionId }).onConflictDoNothing());
}

/** A site's rows in page_stats_hourly, read from the real Postgres through the bridge. */
export function statsOf(siteId: string) {
  return withDb(async (db) => {
    const rows = await db.select().from(pageStatsHourly).where(eq(pageStatsHourly.siteId, siteId));
    return rows
      .map((r) => ({ hour: r.hour.getTime(), path: r.path, pageviews: r.pageviews, sessions: r.sessions }))
      .sort((a, b) => a.path.localeCompare(b.path) || a.hour - b.hour);
  });
}

/** A site's heatmap rows of all visitors ("") or of one flag variant: per element (with its cells) and per page-grid cell, sorted. */
export function heatOf(siteId: string, variant = "") {
  return withDb(async (db) => {
    const e = heatmapElements;
    const c = heatmapCells;
    const elements = await db
      .select()
      .from(e)
      .where(and(eq(e.siteId, siteId), eq(e.variant, variant)));
    const cells = await db
      .select()
      .from(c)
      .where(and(eq(c.siteId, siteId), eq(c.variant, variant)));
    const key = (r: { kind: string; path: string }) => `${r.kind} ${r.path}`;
    return {
      elements: elements
        .map((r) => ({
          path: r.path,
          device: r.device,
          kind: r.kind,
          day: r.day,
          selector: r.selector,
          count: r.count,
          cells: ELEMENT_CELLS.map((c) => Number((r as Record<string, unknown>)[c])),
        }))
        .sort((a, b) => key(a).localeCompare(key(b)) || a.selector.localeCompare(b.selector)),
      cells: cells
        .map(({ path, device, kind, day, cell, count }) => ({ path, device, kind, day, cell, count }))
        .sort((a, b) => key(a).localeCompare(key(b)) || a.cell - b.cell),
    };
  });
}

/** A site's rows in site_stats_hourly, by hour. */
export function siteStatsOf(siteId: string) {
  return withDb(async (db) => {
    const rows = await db.select().from(siteStatsHourly).where(eq(siteStatsHourly.siteId, siteId));
    return rows
      .map((r) => ({ hour: r.hour.getTime(), pageviews: r.pageviews, sessions: r.sessions }))
      .sort((a, b) => a.hour - b.hour);
  });
}

/** A site's rows in dimension_stats_hourly, by dimension, value, hour. */
export function dimensionStatsOf(siteId: string) {
  return withDb(async (db) => {
    const rows = await db.select().from(dimensionStatsHourly).where(eq(dimensionStatsHourly.siteId, siteId));
    return rows
      .map((r) => ({
        dimension: r.dimension,
        value: r.value,
        hour: r.hour.getTime(),
        pageviews: r.pageviews,
        sessions: r.sessions,
      }))
      .sort((a, b) => a.dimension.localeCompare(b.dimension) || a.value.localeCompare(b.value) || a.hour - b.hour);
  });
}

/** A site's visitors per hour in site_stats_hourly. */
export function visitorsOf(siteId: string) {
  return withDb(async (db) => {
    const rows = await db.select().from(siteStatsHourly).where(eq(siteStatsHourly.siteId, siteId));
    return rows.map((r) => ({ hour: r.hour.getTime(), visitors: r.visitors })).sort((a, b) => a.hour - b.hour);
  });
}

/** The UTC days on which a site's quota was reached, from quota_days. */
export function quotaDaysOf(siteId: string) {
  return withDb(async (db) => {
    const rows = await db.select().from(quotaDays).where(eq(quotaDays.siteId, siteId));
    return rows.map((r) => r.day).sort();
  });
}

/** A site's rows in `recordings`, by session id. */
export function recordingsOf(siteId: string) {
  return withDb(async (db) => {
    const rows = await db.select().from(recordings).where(eq(recordings.siteId, siteId));
    return rows.sort((a, b) => a.sessionId.localeCompare(b.sessionId));
  });
}
