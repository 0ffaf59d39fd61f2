import { createExecutionContext, env, SELF } from "cloudflare:test";
import { publicFlags, type SiteFlags, siteFlagsSchema } from "@sightline/shared/flags";
import { LIMITS } from "@sightline/shared/limits";
import { FLAG_LIMITS } from "@sightline/shared/limits/flags";
import type { TrackerConfig } from "@sightline/shared/site";
import {
  coreHash,
  coreJs,
  flagsJs,
  interactionsHash,
  interactionsJs,
  snapshotHash,
  snapshotJs,
} from "@sightline/tracker/bundle";
import { type LoaderFlags, loaderScript } from "@sightline/tracker/loader";
import { describe, expect, it } from "vitest";
import { EdgeAdmin } from "../src/edge-admin.ts";
import { clearSiteCache } from "../src/lib/sites.ts";
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

describe("GET /s/<siteKey>.js with flags", () => {
  const PHONE =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
  const onOff = { enabled: true, variants: { on: true, off: false }, defaultVariant: "off", offVariant: "off" };
  const record = siteFlagsSchema.parse({
    version: 3,
    flags: [
      { ...onOff, key: "new-nav", description: "Team notes stay in the dashboard." },
      {
        ...onOff,
        key: "by-country",
        rules: [{ conditions: [{ attribute: "country", op: "eq", value: "FR" }], variant: "on" }],
      },
      {
        ...onOff,
        key: "staff-preview",
        rules: [
          { conditions: [{ attribute: "email", op: "in", value: ["ada@shop.example"], private: true }], variant: "on" },
        ],
      },
    ],
  });
  const publish = (siteKey: string, flags: SiteFlags) =>
    new EdgeAdmin(createExecutionContext(), env).putFlags(siteKey, flags);

  /** The loader's parts: its `window.__sl` without the flags, and the flags it carries. */
  const loaderParts = (body: string) => {
    const end = body.indexOf(";(function(d)");
    const { flags, ...config } = JSON.parse(body.slice("window.__sl=".length, end)) as TrackerConfig & {
      flags: LoaderFlags;
    };
    return { config, flags };
  };

  it("a site without flags, or with an empty record, gets no flag code and keeps the long shared cache", async () => {
    const bare = await makeSite();
    const empty = await makeSite();
    await publish(empty.siteKey, { version: 1, flags: [] });
    for (const site of [bare, empty]) {
      const res = await SELF.fetch(`${BASE}/s/${site.siteKey}.js`);
      const body = await res.text();
      expect(body).not.toContain(flagsJs.trim().slice(0, 200));
      expect(body).not.toContain('"flags"');
      expect(res.headers.get("cache-control")).toBe(
        `public, max-age=${LIMITS.loader.maxAgeSeconds}, stale-while-revalidate=60`,
      );
    }
  });

  it("a site with flags gets its public flags, the visitor's country and device, and the flags code", async () => {
    const site = await makeSite();
    await publish(site.siteKey, record);
    const res = await SELF.fetch(`${BASE}/s/${site.siteKey}.js`, {
      headers: { "user-agent": PHONE },
      cf: { country: "FR" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe(`private, max-age=${FLAG_LIMITS.loaderMaxAgeSeconds}`);
    const body = await res.text();
    const { config, flags } = loaderParts(body);
    expect(flags).toEqual({ record: publicFlags(record), ctx: { country: "FR", device: "mobile" } });
    expect(flags.record.flags.map((f) => f.key)).toEqual(["new-nav", "by-country"]);
    expect(body).not.toContain("staff-preview");
    expect(body).not.toContain("ada@shop.example");
    expect(body).not.toContain("Team notes");
    // The very script the tracker's tests run (packages/tracker/scripts/loader.test.ts).
    const scripts = [`${BASE}/t/core.${coreHash}.js`, `${BASE}/t/interactions.${interactionsHash}.js`];
    expect(body).toBe(loaderScript(config, scripts, { data: flags, js: flagsJs }));

    // Unknown country and a bot: nothing to say, so nothing said.
    const bot = await SELF.fetch(`${BASE}/s/${site.siteKey}.js`, { headers: { "user-agent": "Googlebot/2.1" } });
    expect(loaderParts(await bot.text()).flags.ctx).toEqual({});
  });

  it("a site whose flags are all private still gets sightline.flag, with no flags in it", async () => {
    const site = await makeSite();
    await publish(site.siteKey, { version: 1, flags: [record.flags[2] as SiteFlags["flags"][number]] });
    const body = await (await SELF.fetch(`${BASE}/s/${site.siteKey}.js`)).text();
    expect(loaderParts(body).flags.record).toEqual({ version: 1, flags: [] });
    expect(body).toContain(flagsJs.trim());
  });

  it("carries a flip once the isolate's cache of the record has expired, under a new ETag", async () => {
    const site = await makeSite();
    await publish(site.siteKey, record);
    const get = () => SELF.fetch(`${BASE}/s/${site.siteKey}.js`, { cf: { country: "FR" } });
    const first = await get();
    const etag = first.headers.get("etag") ?? "";
    expect(loaderParts(await first.text()).flags.record.version).toBe(3);
    expect(
      (await SELF.fetch(`${BASE}/s/${site.siteKey}.js`, { headers: { "if-none-match": etag }, cf: { country: "FR" } }))
        .status,
    ).toBe(304);
    await publish(site.siteKey, { ...record, version: 4, flags: record.flags.slice(0, 1) });
    clearSiteCache();
    const flipped = await get();
    expect(flipped.headers.get("etag")).not.toBe(etag);
    expect(loaderParts(await flipped.text()).flags.record).toMatchObject({ version: 4, flags: [{ key: "new-nav" }] });
  });
});
