import { env, runDurableObjectAlarm } from "cloudflare:test";
import { aggregatorName } from "@sightline/core/aggregate";
import { uuidv7 } from "@sightline/shared/ids";
import { describe, expect, it, vi } from "vitest";
import {
  batchFor,
  dimensionStatsOf,
  ingestMessageFor,
  makeSite,
  ORIGIN,
  pageview,
  post,
  siteStatsOf,
  statsOf,
} from "./helpers.ts";

const IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

describe("POST /v1/collect (happy)", () => {
  it("answers 202 with CORS, and the batch goes through the queue and the aggregator into Postgres", async () => {
    const site = await makeSite();
    const batch = batchFor(site.siteKey, [pageview("/"), pageview("/pricing"), pageview("/pricing")]);
    const res = await post(batch);
    expect(res.status).toBe(202);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://shop.example");
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await res.json()).toEqual({ accepted: 3, dropped: 0 });

    const name = aggregatorName(site.siteId, batch.sessionId, 1);
    const stub = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(name));
    await vi.waitFor(async () => expect((await stub.pending()).pageviews).toBe(3), { timeout: 10_000, interval: 100 });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const rows = await statsOf(site.siteId);
    expect(rows.map(({ path, pageviews, sessions }) => ({ path, pageviews, sessions }))).toEqual([
      { path: "/", pageviews: 1, sessions: 1 },
      { path: "/pricing", pageviews: 2, sessions: 1 },
    ]);
  });

  it("carries device, country and referrer to the site and breakdown tables", async () => {
    const site = await makeSite();
    const now = Date.now();
    const batch = batchFor(site.siteKey, [
      pageview("/", now, "https://www.Google.com/search?q=sightline"),
      // SPA navigation: the previous page is the referrer, so no referrer value.
      pageview("/pricing", now, `${ORIGIN}/?q=1`),
      // A reload without referrer: direct.
      pageview("/pricing", now),
    ]);
    const res = await post(batch, { userAgent: IPHONE, country: "DE" });
    expect(res.status).toBe(202);

    const stub = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(aggregatorName(site.siteId, batch.sessionId, 1)));
    await vi.waitFor(async () => expect((await stub.pending()).pageviews).toBe(3), { timeout: 10_000, interval: 100 });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const hour = now - (now % 3_600_000);
    expect(await siteStatsOf(site.siteId)).toEqual([{ hour, pageviews: 3, sessions: 1 }]);
    expect((await dimensionStatsOf(site.siteId)).map((r) => [r.dimension, r.value, r.pageviews, r.sessions])).toEqual([
      ["country", "DE", 3, 1],
      ["device", "mobile", 3, 1],
      ["referrer", "(direct)", 1, 1],
      ["referrer", "google.com", 1, 1],
    ]);
  });

  it("takes the country from the CF-IPCountry header before request.cf", async () => {
    const site = await makeSite();
    const batch = batchFor(site.siteKey, [pageview("/")]);
    const res = await post(batch, { countryHeader: "FR", country: "DE" });
    expect(res.status).toBe(202);

    const stub = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(aggregatorName(site.siteId, batch.sessionId, 1)));
    await vi.waitFor(async () => expect((await stub.pending()).pageviews).toBe(1), { timeout: 10_000, interval: 100 });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const countries = (await dimensionStatsOf(site.siteId)).filter((r) => r.dimension === "country");
    expect(countries.map((r) => [r.value, r.pageviews])).toEqual([["FR", 1]]);
  });

  it("accepts application/json", async () => {
    const site = await makeSite();
    const res = await post(batchFor(site.siteKey, [pageview("/a")]), { type: "application/json" });
    expect(res.status).toBe(202);
  });

  it("drops events too old or from the future but keeps the rest", async () => {
    const site = await makeSite();
    const now = Date.now();
    const batch = batchFor(site.siteKey, [
      pageview("/ok"),
      pageview("/old", now - 25 * 3600_000),
      pageview("/future", now + 3600_000),
    ]);
    const res = await post(batch);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1, dropped: 2 });
  });

  it("drops events whose id was minted outside the window and queues ids in lowercase", async () => {
    const site = await makeSite();
    const now = Date.now();
    const upper = { ...pageview("/upper"), id: uuidv7(now).toUpperCase() };
    const batch = batchFor(site.siteKey, [
      pageview("/ok"),
      upper,
      // A current timestamp with an id from three days ago: the aggregator would forget it early.
      { ...pageview("/stale-id"), id: uuidv7(now - 72 * 3600_000) },
      { ...pageview("/future-id"), id: uuidv7(now + 3600_000) },
    ]);
    const res = await post(batch);
    expect(await res.json()).toEqual({ accepted: 2, dropped: 2 });

    const name = aggregatorName(site.siteId, batch.sessionId, 1);
    const stub = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(name));
    await vi.waitFor(async () => expect((await stub.pending()).pageviews).toBe(2), { timeout: 10_000, interval: 100 });
    // The same event with its id in lowercase is the one already counted.
    const again = ingestMessageFor(
      site.siteId,
      [{ id: upper.id.toLowerCase(), ts: upper.ts, path: "/upper" }],
      batch.sessionId,
    );
    expect(await stub.ingest(name, [again])).toEqual({ counted: 0, duplicates: 1, overQuota: 0 });
  });

  it("keeps a hash route in the page path when the site counts hash routes, and drops it when not", async () => {
    const urls = [`${ORIGIN}/app?q=1#/active?x=1`, `${ORIGIN}/app#!/done`, `${ORIGIN}/app#footer`];
    const pathsFor = async (site: Awaited<ReturnType<typeof makeSite>>) => {
      const batch = batchFor(
        site.siteKey,
        urls.map((url) => ({ ...pageview("/"), url })),
      );
      expect(await (await post(batch)).json()).toEqual({ accepted: 3, dropped: 0 });
      const stub = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(aggregatorName(site.siteId, batch.sessionId, 1)));
      const pending = async () => (await stub.pending()).pageviews;
      await vi.waitFor(async () => expect(await pending()).toBe(3), { timeout: 10_000, interval: 100 });
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      return (await statsOf(site.siteId)).map((r) => `${r.path} ${r.pageviews}`).sort();
    };
    expect(await pathsFor(await makeSite())).toEqual(["/app 1", "/app#!/done 1", "/app#/active 1"]);
    expect(await pathsFor(await makeSite({ hashRoutes: false }))).toEqual(["/app 3"]);
  });

  it("answers a CORS preflight", async () => {
    const { SELF } = await import("cloudflare:test");
    const res = await SELF.fetch("https://ingest.test/v1/collect", {
      method: "OPTIONS",
      headers: { origin: "https://shop.example", "access-control-request-method": "POST" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-methods")).toBe("POST");
  });
});
