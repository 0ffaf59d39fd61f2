/**
 * The ingest worker's private RPC entrypoint, reached only through a service binding (the
 * API worker's `EDGE`): it publishes and withdraws site edge records and the maintenance
 * switches in its own KV, and empties a deleted site's aggregators.
 */

import { WorkerEntrypoint } from "cloudflare:workers";
import { type SiteFlags, siteFlagsSchema } from "@sightline/shared/flags";
import { LIMITS } from "@sightline/shared/limits";
import {
  type DeadLetterCount,
  type DeadLetterReplay,
  type EdgeAdminRpc,
  type EdgeToken,
  edgeTokenKvKey,
  flagsKvKey,
  type MaintenanceState,
  maintenanceKvKey,
  type SiteEdgeRecord,
  type SiteEdgeRecordInput,
  type SitePipelineHealth,
  siteEdgeRecord,
  siteKvKey,
} from "@sightline/shared/site";
import { readMaintenance, writeMaintenance } from "./lib/maintenance.ts";
import { clearQuotaMarks, quotaKvKey } from "./lib/quota.ts";
import { clearSiteCache } from "./lib/sites.ts";
import { parkedCount, replay } from "./queue/dead-letters.ts";

export class EdgeAdmin extends WorkerEntrypoint<Env> implements EdgeAdminRpc {
  async getMaintenance(siteId?: string): Promise<MaintenanceState> {
    return readMaintenance(this.env.SITES, siteId);
  }

  async putMaintenance(state: MaintenanceState, siteId?: string): Promise<void> {
    await writeMaintenance(this.env.SITES, state, siteId);
  }

  async putFlags(siteKey: string, record: SiteFlags): Promise<void> {
    // Stored as the text validated: a split walks variants in their stored order (flags/hash.ts).
    await this.env.SITES.put(flagsKvKey(siteKey), JSON.stringify(siteFlagsSchema.parse(record)));
    // This isolate answers by the new flags at once; others within FLAG_LIMITS.edgeCacheMs.
    clearSiteCache();
  }

  async getFlags(siteKey: string): Promise<SiteFlags | null> {
    return this.env.SITES.get<SiteFlags>(flagsKvKey(siteKey), { type: "json" });
  }

  async putToken(hash: string, token: EdgeToken): Promise<void> {
    await this.env.SITES.put(edgeTokenKvKey(hash), JSON.stringify({ accountId: token.accountId }));
  }

  async deleteToken(hash: string): Promise<void> {
    await this.env.SITES.delete(edgeTokenKvKey(hash));
  }

  async putSite(record: SiteEdgeRecordInput): Promise<void> {
    const site = siteEdgeRecord.parse(record);
    await this.env.SITES.put(siteKvKey(site.siteKey), JSON.stringify(site));
    // A changed quota may un-spend the day: the aggregator marks the site again if not.
    await this.env.SITES.delete(quotaKvKey(site.siteId));
    clearSiteCache();
    clearQuotaMarks();
  }

  async getSite(siteKey: string): Promise<SiteEdgeRecord | null> {
    return this.env.SITES.get<SiteEdgeRecord>(siteKvKey(siteKey), { type: "json" });
  }

  /**
   * Withdraws the edge record and empties the site's aggregators now, rather than at their
   * next flush (which would find the site's tombstone in Postgres and empty them then).
   */
  async deleteSite(siteKey: string): Promise<void> {
    const site = await this.getSite(siteKey);
    await this.env.SITES.delete(siteKvKey(siteKey));
    await this.env.SITES.delete(flagsKvKey(siteKey));
    clearSiteCache();
    if (!site) return;
    await this.env.SITES.delete(quotaKvKey(site.siteId));
    await this.env.SITES.delete(maintenanceKvKey(site.siteId));
    await Promise.all(
      Array.from({ length: site.shards }, (_, shard) =>
        this.env.AGGREGATOR.get(this.env.AGGREGATOR.idFromName(`${site.siteId}:${shard}`)).purge(),
      ),
    );
  }

  /**
   * A recording deleted through the API: its buffer drops what it has not written and takes
   * nothing more of the session (the API then deletes the R2 objects and the row).
   */
  async eraseRecording(siteId: string, sessionId: string): Promise<void> {
    await this.env.RECORDING_BUFFER.get(this.env.RECORDING_BUFFER.idFromName(`${siteId}:${sessionId}`)).erase(
      siteId,
      sessionId,
    );
  }

  /** Puts parked dead letters back on the ingest queue (queue/dead-letters.ts). */
  async replayDeadLetters(): Promise<DeadLetterReplay> {
    return replay(this.env);
  }

  /** Dead letters waiting for a replay. */
  async deadLetters(): Promise<DeadLetterCount> {
    return parkedCount(this.env);
  }

  /** Each site's aggregator shards: last flush, backoff, what waits (for the operator). */
  async pipelineHealth(sites: { siteId: string; shards: number }[]): Promise<SitePipelineHealth[]> {
    // One page of the API's site list: each shard is a Durable Object call.
    if (sites.length > LIMITS.api.maxPageSize) throw new Error(`at most ${LIMITS.api.maxPageSize} sites a call`);
    return Promise.all(
      sites.map(async ({ siteId, shards }) => ({
        siteId,
        shards: await Promise.all(
          Array.from({ length: shards }, (_, shard) =>
            this.env.AGGREGATOR.get(this.env.AGGREGATOR.idFromName(`${siteId}:${shard}`)).health(),
          ),
        ),
      })),
    );
  }
}
