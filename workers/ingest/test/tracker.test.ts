import { SELF } from "cloudflare:test";
import { LIMITS } from "@sightline/shared/limits";
import {
  coreHash,
  coreJs,
  interactionsHash,
  interactionsJs,
  snapshotHash,
  snapshotJs,
} from "@sightline/tracker/bundle";
import { describe, expect, it } from "vitest";
import { type ErrorShape, makeSite } from "./helpers.ts";

const BASE = "https://ingest.test";

describe("GET /s/<siteKey>.js", () => {
  it("serves the site's public config and points at the immutable core", async () => {
    const site = await makeSite({ respectDnt: false });
    const res = await SELF.fetch(`${BASE}/s/${site.siteKey}.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("javascript");
    expect(res.headers.get("cache-control")).toContain(`max-age=${LIMITS.loader.maxAgeSeconds}`);
    const body = await res.text();
    const config = JSON.parse(body.slice("window.__sl=".length, body.indexOf(";(function")));
    expect(config).toMatchObject({ siteKey: site.siteKey, endpoint: BASE, respectDnt: false });
    expect(JSON.stringify(config)).not.toContain(site.siteId);
    expect(body).toContain(`${BASE}/t/core.${coreHash}.js`);
  });

  it("adds the interactions chunk and names the snapshot chunk only for sites with heatmaps on", async () => {
    const config = (body: string) => JSON.parse(body.slice("window.__sl=".length, body.indexOf(";(function")));
    const on = await (await SELF.fetch(`${BASE}/s/${(await makeSite()).siteKey}.js`)).text();
    expect(config(on)).toMatchObject({
      heatmaps: true,
      interactionsUrl: `${BASE}/t/interactions.${interactionsHash}.js`,
      snapshotUrl: `${BASE}/t/snapshot.${snapshotHash}.js`,
    });
    expect(on).toContain(`["${BASE}/t/core.${coreHash}.js","${BASE}/t/interactions.${interactionsHash}.js"]`);
    const off = await (await SELF.fetch(`${BASE}/s/${(await makeSite({ heatmaps: false })).siteKey}.js`)).text();
    expect(config(off).heatmaps).toBe(false);
    expect(config(off).interactionsUrl).toBeUndefined();
    expect(config(off).snapshotUrl).toBeUndefined();
    expect(off).not.toContain("interactions.");
    for (const [name, hash, js] of [
      ["interactions", interactionsHash, interactionsJs],
      ["snapshot", snapshotHash, snapshotJs],
    ] as const) {
      const res = await SELF.fetch(`${BASE}/t/${name}.${hash}.js`);
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toContain("immutable");
      expect(await res.text()).toBe(js);
      // A loader cached before a deploy names the previous hash: the current chunk, briefly.
      const stale = await SELF.fetch(`${BASE}/t/${name}.${"0".repeat(12)}.js`);
      expect(stale.status).toBe(200);
      expect(stale.headers.get("cache-control")).toBe("public, max-age=300");
      expect(await stale.text()).toBe(js);
    }
  });

  it("answers 304 to a matching ETag", async () => {
    const site = await makeSite();
    const first = await SELF.fetch(`${BASE}/s/${site.siteKey}.js`);
    const etag = first.headers.get("etag");
    expect(etag).toBeTruthy();
    const again = await SELF.fetch(`${BASE}/s/${site.siteKey}.js`, { headers: { "if-none-match": etag ?? "" } });
    expect(again.status).toBe(304);
  });

  it("answers an unknown or malformed key with 404 UNKNOWN_SITE", async () => {
    for (const key of ["no_such_site_key", "x"]) {
      const res = await SELF.fetch(`${BASE}/s/${key}.js`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as ErrorShape).error.code).toBe("UNKNOWN_SITE");
    }
  });
});

describe("GET /t/core.<hash>.js", () => {
  it("serves the bundle immutably under its hash, compressed when asked", async () => {
    const res = await SELF.fetch(`${BASE}/t/core.${coreHash}.js`, { headers: { "accept-encoding": "gzip" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(res.headers.get("etag")).toBe(`"${coreHash}"`);
    expect(await res.text()).toBe(coreJs);
    const cached = await SELF.fetch(`${BASE}/t/core.${coreHash}.js`, { headers: { "if-none-match": `"${coreHash}"` } });
    expect(cached.status).toBe(304);
  });

  it("serves an older hash only briefly", async () => {
    const res = await SELF.fetch(`${BASE}/t/core.0000000000ab.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=300");
  });
});
