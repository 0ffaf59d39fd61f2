/** Sites of an account. Every read and write is scoped by account id. */
import { randomSecret } from "@sightline/core/auth";
import { newId } from "@sightline/shared/ids";
import type { RecordingConsent, SiteEdgeRecord } from "@sightline/shared/site";
import { and, asc, eq, gt, sql } from "drizzle-orm";
import type { Db } from "../index.ts";
import { flagAudit, flags } from "../schema/flags.ts";
import { heatmapCells, heatmapElements } from "../schema/heatmaps.ts";
import { sites } from "../schema/sites.ts";
import { deletedSites, dimensionStatsHourly, pageStatsHourly, quotaDays, siteStatsHourly } from "../schema/stats.ts";
import { siteLock } from "../stats/apply-flush.ts";

export type SiteRow = typeof sites.$inferSelect;

/**
 * The edge record of a site row: what the ingest worker reads from KV. Built from the row
 * alone, so every writer (the API, `pnpm start`) publishes the same settings.
 */
export function edgeRecordOf(s: SiteRow): SiteEdgeRecord {
  return {
    siteId: s.id,
    accountId: s.accountId ?? undefined,
    siteKey: s.key,
    origins: s.origins,
    shards: s.shards,
    respectDnt: true,
    hashRoutes: s.hashRoutes,
    dailyEventQuota: s.dailyEventQuota,
    recordingSampleRate: s.recordingSampleRate,
    recordingDailyQuota: s.recordingDailyQuota,
    maskAllText: s.maskAllText,
    recordingConsent: s.recordingConsent,
    heatmaps: s.heatmaps,
  };
}

export interface SiteSettings {
  name: string;
  origins: string[];
  dailyEventQuota: number;
  retentionDays: number;
  /** IANA name, validated by the caller. */
  timeZone: string;
  hashRoutes: boolean;
  /** Aggregator shards, 1 to LIMITS.aggregate.maxShardsPerSite. */
  shards: number;
  /** Share of sessions recorded, 0 to 1. */
  recordingSampleRate: number;
  /** Recorded sessions started per UTC day at most. */
  recordingDailyQuota: number;
  /** Days a recording is kept, 1 to LIMITS.recording.maxRetentionDays. */
  recordingRetentionDays: number;
  maskAllText: boolean;
  /** "opt-in": a sampled session records only once the site reported the visitor's consent. */
  recordingConsent: RecordingConsent;
  /** Clicks, rage clicks, scroll depth and the interactions chunk; off: the tracker sends none. */
  heatmaps: boolean;
}

export async function listSites(db: Db, accountId: string, limit: number, after?: string): Promise<SiteRow[]> {
  return db
    .select()
    .from(sites)
    .where(and(eq(sites.accountId, accountId), after ? gt(sites.id, after) : undefined))
    .orderBy(asc(sites.id))
    .limit(limit);
}

export async function getSite(db: Db, accountId: string, siteId: string): Promise<SiteRow | null> {
  const [row] = await db
    .select()
    .from(sites)
    .where(and(eq(sites.id, siteId), eq(sites.accountId, accountId)))
    .limit(1);
  return row ?? null;
}

/**
 * Creates a site and runs `publish` (the edge record write) before committing, so a site
 * exists in Postgres only if the edge knows it too.
 */
export async function createSite(
  db: Db,
  accountId: string,
  settings: SiteSettings,
  publish: (site: SiteRow) => Promise<void>,
): Promise<SiteRow> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(sites)
      .values({ id: newId("site"), accountId, key: randomSecret(12), ...settings })
      .returning();
    if (!row) throw new Error("insert returned no row");
    await publish(row);
    return row;
  });
}

export async function updateSite(
  db: Db,
  accountId: string,
  siteId: string,
  changes: Partial<SiteSettings>,
  publish: (site: SiteRow) => Promise<void>,
): Promise<SiteRow | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(sites)
      .set({ ...changes, updatedAt: new Date() })
      .where(and(eq(sites.id, siteId), eq(sites.accountId, accountId)))
      .returning();
    if (!row) return null;
    await publish(row);
    return row;
  });
}

/**
 * Deletes a site with its aggregates (its flush_log rows age out with retention) and leaves a
 * tombstone so that no later flush writes for it (applyFlush: a flush under way finishes
 * first, under the same lock). `unpublish` removes the edge record and the aggregators'
 * storage before commit.
 */
export async function deleteSite(
  db: Db,
  accountId: string,
  siteId: string,
  unpublish: (site: SiteRow) => Promise<void>,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .delete(sites)
      .where(and(eq(sites.id, siteId), eq(sites.accountId, accountId)))
      .returning();
    if (!row) return false;
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${siteLock(siteId)})`);
    await tx.insert(deletedSites).values({ siteId }).onConflictDoNothing();
    await tx.delete(pageStatsHourly).where(eq(pageStatsHourly.siteId, siteId));
    await tx.delete(siteStatsHourly).where(eq(siteStatsHourly.siteId, siteId));
    await tx.delete(dimensionStatsHourly).where(eq(dimensionStatsHourly.siteId, siteId));
    await tx.delete(quotaDays).where(eq(quotaDays.siteId, siteId));
    await tx.delete(heatmapElements).where(eq(heatmapElements.siteId, siteId));
    await tx.delete(heatmapCells).where(eq(heatmapCells.siteId, siteId));
    await tx.delete(flags).where(eq(flags.siteId, siteId));
    await tx.delete(flagAudit).where(eq(flagAudit.siteId, siteId));
    await unpublish(row);
    return true;
  });
}
