import { env, SELF } from "cloudflare:test";
import { createDb } from "@sightline/db";
import { pageStatsHourly } from "@sightline/db/schema";
import { uuidv7 } from "@sightline/shared/ids";
import type { SiteEdgeRecord } from "@sightline/shared/site";
import { siteKvKey } from "@sightline/shared/site";
import type { CollectBatch, IngestMessage, PageviewEvent } from "@sightline/shared/wire";
import { eq } from "drizzle-orm";

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
    ...overrides,
  };
  await env.SITES.put(siteKvKey(site.siteKey), JSON.stringify(site));
  return site;
}

export function pageview(path: string, ts = Date.now()): PageviewEvent {
  return { type: "pageview", id: uuidv7(ts), ts, url: `${ORIGIN}${path}?q=1#x`, referrer: "", title: "t" };
}

export function batchFor(siteKey: string, events: PageviewEvent[], sessionId = uuidv7()): CollectBatch {
  return { v: 1, siteKey, sessionId, sentAt: Date.now(), events };
}

export function post(body: unknown, init: { origin?: string | null; type?: string; ip?: string } = {}) {
  const headers: Record<string, string> = { "content-type": init.type ?? "text/plain;charset=UTF-8" };
  if (init.origin !== null) headers.origin = init.origin ?? ORIGIN;
  if (init.ip) headers["cf-connecting-ip"] = init.ip;
  return SELF.fetch("https://ingest.test/v1/collect", {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export interface ErrorShape {
  error: { code: string; message: string; requestId: string };
}

/** A queue message as the collect route makes it. */
export function ingestMessageFor(
  siteId: string,
  events: { path: string; ts?: number; id?: string }[],
  sessionId = uuidv7(),
): IngestMessage {
  return {
    v: 1,
    siteId,
    shards: 1,
    sessionId,
    receivedAt: Date.now(),
    events: events.map((e) => ({ id: e.id ?? uuidv7(), ts: e.ts ?? Date.now(), path: e.path })),
  };
}

/** A site's rows in page_stats_hourly, read from the real Postgres through the bridge. */
export async function statsOf(siteId: string) {
  const { db, close } = createDb({
    connectionString: env.DATABASE_URL,
    wsProxy: (env as { PG_WS_PROXY?: string }).PG_WS_PROXY,
  });
  try {
    const rows = await db.select().from(pageStatsHourly).where(eq(pageStatsHourly.siteId, siteId));
    return rows
      .map((r) => ({ hour: r.hour.getTime(), path: r.path, pageviews: r.pageviews, sessions: r.sessions }))
      .sort((a, b) => a.path.localeCompare(b.path) || a.hour - b.hour);
  } finally {
    await close();
  }
}
