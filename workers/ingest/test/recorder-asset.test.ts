/** The recorder chunk as served by routes/tracker.ts, and the loader naming it for sites that record. */
import { env, SELF } from "cloudflare:test";
import { siteKvKey } from "@sightline/shared/site";
import { recorderHash, recorderJs } from "@sightline/tracker/bundle";
import { describe, expect, it } from "vitest";
import { makeSite } from "./helpers.ts";

const BASE = "https://ingest.test";

async function loaderConfig(siteKey: string): Promise<Record<string, unknown>> {
  const body = await (await SELF.fetch(`${BASE}/s/${siteKey}.js`)).text();
  return JSON.parse(body.slice("window.__sl=".length, body.indexOf(";(function")));
}

describe("GET /t/recorder.<hash>.js", () => {
  it("serves the recorder immutably under its hash, compressed when asked", async () => {
    const res = await SELF.fetch(`${BASE}/t/recorder.${recorderHash}.js`, { headers: { "accept-encoding": "gzip" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("javascript");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(res.headers.get("etag")).toBe(`"${recorderHash}"`);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(await res.text()).toBe(recorderJs);
    const cached = await SELF.fetch(`${BASE}/t/recorder.${recorderHash}.js`, {
      headers: { "if-none-match": `"${recorderHash}"` },
    });
    expect(cached.status).toBe(304);
  });

  it("serves an older hash only briefly, and nothing else under /t/", async () => {
    const old = await SELF.fetch(`${BASE}/t/recorder.0000000000ab.js`);
    expect(old.status).toBe(200);
    expect(old.headers.get("cache-control")).toBe("public, max-age=300");
    expect((await SELF.fetch(`${BASE}/t/recorder.NOTHEX.js`)).status).toBe(404);
    expect((await SELF.fetch(`${BASE}/t/other.${recorderHash}.js`)).status).toBe(404);
  });
});

describe("the loader and the recorder", () => {
  it("names the recorder only for a site that records", async () => {
    const recording = await makeSite({ recordingSampleRate: 0.5 });
    expect(await loaderConfig(recording.siteKey)).toMatchObject({
      recordingSampleRate: 0.5,
      recorderUrl: `${BASE}/t/recorder.${recorderHash}.js`,
    });
    const plain = await makeSite();
    const config = await loaderConfig(plain.siteKey);
    expect(config.recordingSampleRate).toBe(0);
    expect(config).not.toHaveProperty("recorderUrl");
  });

  it("tells the core to wait for consent only on an opt-in site", async () => {
    const optIn = await makeSite({ recordingSampleRate: 1, recordingConsent: "opt-in" });
    expect(await loaderConfig(optIn.siteKey)).toMatchObject({ recordingSampleRate: 1, consentRequired: true });
    // Opt-out, the default, costs the config nothing.
    for (const site of [await makeSite({ recordingSampleRate: 1 }), await makeSite()]) {
      expect(await loaderConfig(site.siteKey)).not.toHaveProperty("consentRequired");
    }
    // A record written before the setting existed reads as opt-out.
    const { recordingConsent: _, ...older } = await makeSite({ recordingSampleRate: 1 });
    const key = `${older.siteKey}_old`;
    await env.SITES.put(siteKvKey(key), JSON.stringify({ ...older, siteKey: key }));
    const config = await loaderConfig(key);
    expect(config).toMatchObject({ siteKey: key, recordingSampleRate: 1 });
    expect(config).not.toHaveProperty("consentRequired");
  });
});
