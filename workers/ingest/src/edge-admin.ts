/**
 * The ingest worker's private RPC entrypoint, reached only through a service binding (the
 * API worker's `EDGE`): it publishes and withdraws site edge records in its own KV.
 */

import { WorkerEntrypoint } from "cloudflare:workers";
import { type EdgeAdminRpc, type SiteEdgeRecord, siteEdgeRecord, siteKvKey } from "@sightline/shared/site";
import { clearQuotaMarks, quotaKvKey } from "./lib/quota.ts";
import { clearSiteCache } from "./lib/sites.ts";

export class EdgeAdmin extends WorkerEntrypoint<Env> implements EdgeAdminRpc {
  async putSite(record: SiteEdgeRecord): Promise<void> {
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

  async deleteSite(siteKey: string): Promise<void> {
    await this.env.SITES.delete(siteKvKey(siteKey));
    clearSiteCache();
  }
}
