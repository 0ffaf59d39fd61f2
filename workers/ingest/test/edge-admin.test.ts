import { createExecutionContext, env, runInDurableObject, SELF } from "cloudflare:test";
import { LIMITS } from "@sightline/shared/limits";
import { describe, expect, it } from "vitest";
import { EdgeAdmin } from "../src/edge-admin.ts";
import { batchFor, ingestMessageFor, pageview, post } from "./helpers.ts";

describe("EdgeAdmin (the API's service binding)", () => {
  it("publishes a site the collect route then accepts, and withdraws it", async () => {
    const admin = new EdgeAdmin(createExecutionContext(), env);
    const record = {
      siteId: "site_edgeadmin",
      siteKey: "edge_admin_key_1",
      origins: ["https://shop.example"],
      shards: 2,
      respectDnt: true,
      hashRoutes: true,
      dailyEventQuota: 1_000_000,
    };
    await admin.putSite(record);
    expect(await admin.getSite(record.siteKey)).toMatchObject(record);
    expect((await post(batchFor(record.siteKey, [pageview("/")]))).status).toBe(202);

    // Both shards hold pending counts of the site when it is deleted.
    const shards = [0, 1].map((shard) => {
      const name = `${record.siteId}:${shard}`;
      return { name, stub: env.AGGREGATOR.get(env.AGGREGATOR.idFromName(name)) };
    });
    for (const { name, stub } of shards) {
      await stub.ingest(name, [{ ...ingestMessageFor(record.siteId, [{ path: "/" }]), shards: 2 }]);
      expect((await stub.pending()).pageviews).toBe(1);
    }

    await admin.deleteSite(record.siteKey);
    expect(await admin.getSite(record.siteKey)).toBeNull();
    for (const { stub } of shards) {
      expect(await stub.pending()).toMatchObject({ rows: 0, pageviews: 0 });
      expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBeNull();
    }
    expect((await post(batchFor(record.siteKey, [pageview("/")]))).status).toBe(404);
    expect((await SELF.fetch(`https://ingest.test/s/${record.siteKey}.js`)).status).toBe(404);
  });

  it("reports each site's shards for the pipeline health view, and bounds the sites a call", async () => {
    const admin = new EdgeAdmin(createExecutionContext(), env);
    const siteId = "site_edgeadmin_health";
    const stub = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(`${siteId}:1`));
    await stub.ingest(`${siteId}:1`, [{ ...ingestMessageFor(siteId, [{ path: "/" }]), shards: 2 }]);
    const [site] = await admin.pipelineHealth([{ siteId, shards: 2 }]);
    expect(site?.siteId).toBe(siteId);
    expect(site?.shards.map((s) => s.pendingPageviews)).toEqual([0, 1]);
    const many = Array.from({ length: LIMITS.api.maxPageSize + 1 }, (_, i) => ({ siteId: `s${i}`, shards: 1 }));
    await expect(admin.pipelineHealth(many)).rejects.toThrow();
  });

  it("refuses a malformed record", async () => {
    const admin = new EdgeAdmin(createExecutionContext(), env);
    await expect(
      admin.putSite({
        siteId: "x",
        siteKey: "bad key!",
        origins: [],
        shards: 1,
        respectDnt: true,
        hashRoutes: true,
        dailyEventQuota: 1,
      }),
    ).rejects.toThrow();
  });

  it("keeps the maintenance switches: ingestion goes on accepting while on, /health shows it", async () => {
    const admin = new EdgeAdmin(createExecutionContext(), env);
    const record = { siteId: "site_maint", siteKey: "edge_maint_key_1", origins: ["https://shop.example"] };
    await admin.putSite(record);
    expect(await admin.getMaintenance()).toEqual({ on: false, message: "", since: 0, by: "" });
    const health = async () =>
      ((await (await SELF.fetch("https://ingest.test/health")).json()) as { maintenance: object }).maintenance;
    expect(await health()).toEqual({ on: false, since: 0 });

    const on = { on: true, message: "Upgrading", since: 1_000, by: "owner@shop.example" };
    await admin.putMaintenance(on);
    await admin.putMaintenance({ ...on, message: "Moving" }, record.siteId);
    expect(await admin.getMaintenance()).toEqual(on);
    expect(await admin.getMaintenance(record.siteId)).toMatchObject({ on: true, message: "Moving" });
    expect(await health()).toEqual({ on: true, since: 1_000 });
    expect((await post(batchFor(record.siteKey, [pageview("/")]))).status).toBe(202);
    expect((await SELF.fetch(`https://ingest.test/s/${record.siteKey}.js`)).status).toBe(200);

    // A site's switch turned off, or its site deleted, leaves no key behind; a bad write reads as off.
    await admin.putMaintenance({ ...on, on: false }, record.siteId);
    expect(await env.SITES.get("maintenance:site_maint")).toBeNull();
    await admin.putMaintenance(on, record.siteId);
    await admin.deleteSite(record.siteKey);
    expect(await env.SITES.get("maintenance:site_maint")).toBeNull();
    await env.SITES.put("maintenance", "{not json");
    expect((await admin.getMaintenance()).on).toBe(false);
    await expect(
      admin.putMaintenance({ ...on, message: "x".repeat(LIMITS.api.maxMaintenanceMessageLength + 1) }),
    ).rejects.toThrow();
  });
});
