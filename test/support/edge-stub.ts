/**
 * Stands in for the ingest worker behind the API's `EDGE` service binding in the API's
 * workerd tests: the same RPC surface as workers/ingest/src/edge-admin.ts over its own KV.
 * The real entrypoint is tested with the ingest worker.
 */
export const EDGE_STUB_WORKER = {
  name: "sightline-ingest",
  modules: true,
  compatibilityDate: "2026-08-01",
  kvNamespaces: ["SITES"],
  script: `
    import { WorkerEntrypoint } from "cloudflare:workers";
    export class EdgeAdmin extends WorkerEntrypoint {
      async getMaintenance(siteId) {
        const off = { on: false, message: "", since: 0, by: "" };
        return (await this.env.SITES.get(siteId ? "maintenance:" + siteId : "maintenance", { type: "json" })) ?? off;
      }
      async putMaintenance(state, siteId) {
        await this.env.SITES.put(siteId ? "maintenance:" + siteId : "maintenance", JSON.stringify(state));
      }
      async putFlags(k, r) { await this.env.SITES.put("flags:" + k, JSON.stringify(r)); }
      async getFlags(k) { return this.env.SITES.get("flags:" + k, { type: "json" }); }
      async putToken(h, t) { await this.env.SITES.put("token:" + h, JSON.stringify(t)); }
      async deleteToken(h) { await this.env.SITES.delete("token:" + h); }
      async tokenPublished(h) { return (await this.env.SITES.get("token:" + h)) !== null; }
      async putSite(r) { await this.env.SITES.put("site:" + r.siteKey, JSON.stringify(r)); }
      async getSite(k) { return this.env.SITES.get("site:" + k, { type: "json" }); }
      async deleteSite(k) { await this.env.SITES.delete("site:" + k); await this.env.SITES.delete("flags:" + k); }
      async eraseRecording(siteId, sessionId) { await this.env.SITES.put("erased:" + siteId + ":" + sessionId, "1"); }
      async recordingErased(siteId, sessionId) { return (await this.env.SITES.get("erased:" + siteId + ":" + sessionId)) !== null; }
      async replayDeadLetters() { return { objects: 0, replayed: 0, unreadable: 0, more: false }; }
      async deadLetters() { return { objects: 0, messages: 0, more: false }; }
      async pipelineHealth(sites) {
        const idle = { lastFlushAt: null, failures: 0, nextFlushAt: null, pendingRows: 0, pendingPageviews: 0, inFlight: false };
        return sites.map((s) => ({ siteId: s.siteId, shards: Array.from({ length: s.shards }, () => idle) }));
      }
    }
    export default { fetch() { return new Response("edge stub", { status: 404 }); } };
  `,
};
