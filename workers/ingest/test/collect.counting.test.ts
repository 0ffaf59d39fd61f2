/**
 * What the collect route adds for honest counting: the daily quota refused at the edge,
 * visitors hashed from address and User-Agent, campaign tags kept, bots set apart.
 */
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { aggregatorName } from "@sightline/core/aggregate";
import { uuidv7 } from "@sightline/shared/ids";
import { describe, expect, it, vi } from "vitest";
import type { ErrorShape } from "./helpers.ts";
import {
  batchFor,
  dimensionStatsOf,
  makeSite,
  ORIGIN,
  pageview,
  post,
  quotaDaysOf,
  siteStatsOf,
  statsOf,
  visitorsOf,
} from "./helpers.ts";

const CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36";
const HEADLESS =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/142.0.0.0 Safari/537.36";

function aggregatorOf(siteId: string, sessionId: string) {
  return env.AGGREGATOR.get(env.AGGREGATOR.idFromName(aggregatorName(siteId, sessionId, 1)));
}

/** Flushes the aggregator until Postgres holds at least `pageviews` site pageviews (its own alarm may beat us). */
async function flushUntil(siteId: string, sessionId: string, pageviews: number) {
  const stub = aggregatorOf(siteId, sessionId);
  await vi.waitFor(
    async () => {
      await runDurableObjectAlarm(stub);
      const total = (await siteStatsOf(siteId)).reduce((n, r) => n + r.pageviews, 0);
      expect(total).toBeGreaterThanOrEqual(pageviews);
    },
    { timeout: 10_000, interval: 200 },
  );
}

describe("POST /v1/collect: daily quota", () => {
  it("stops counting at the quota and refuses later batches with 429 QUOTA_EXCEEDED until UTC midnight", async () => {
    const site = await makeSite({ dailyEventQuota: 100 });
    const sessionId = uuidv7();
    const statuses: number[] = [];
    let refusal: Response | undefined;
    // 200 events in 10 batches over about 3 seconds.
    for (let i = 0; i < 10; i++) {
      const events = Array.from({ length: 20 }, (_, j) => pageview(`/p${j}`));
      const res = await post(batchFor(site.siteKey, events, sessionId), { ip: "203.0.113.9", userAgent: CHROME });
      statuses.push(res.status);
      if (res.status === 429) refusal ??= res;
      else await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(statuses.every((s) => s === 202 || s === 429)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    expect(refusal).toBeDefined();
    const body = (await refusal?.json()) as ErrorShape;
    expect(body.error.code).toBe("QUOTA_EXCEEDED");
    const retryAfter = Number(refusal?.headers.get("retry-after"));
    // Seconds to the next UTC midnight, taken when the refusal was made (before now).
    const untilMidnightNow = Math.floor((86_400_000 - (Date.now() % 86_400_000)) / 1000);
    expect(retryAfter).toBeGreaterThanOrEqual(untilMidnightNow);
    expect(retryAfter).toBeLessThanOrEqual(86_400);

    await flushUntil(site.siteId, sessionId, 100);
    const counted = (await siteStatsOf(site.siteId)).reduce((n, r) => n + r.pageviews, 0);
    expect(counted).toBeLessThanOrEqual(110);
    expect(counted).toBe(100);
    expect(await quotaDaysOf(site.siteId)).toEqual([new Date().toISOString().slice(0, 10)]);
  });
});

describe("POST /v1/collect: visitors, campaigns and bots", () => {
  it("counts one visitor per address and User-Agent per day, across sessions", async () => {
    const site = await makeSite();
    const s1 = uuidv7();
    const s2 = uuidv7();
    const s3 = uuidv7();
    // Each session has its own aggregator key, but all land on the site's one shard.
    expect(
      (await post(batchFor(site.siteKey, [pageview("/")], s1), { ip: "203.0.113.1", userAgent: CHROME })).status,
    ).toBe(202);
    expect(
      (await post(batchFor(site.siteKey, [pageview("/a")], s2), { ip: "203.0.113.1", userAgent: CHROME })).status,
    ).toBe(202);
    expect(
      (await post(batchFor(site.siteKey, [pageview("/b")], s3), { ip: "203.0.113.2", userAgent: CHROME })).status,
    ).toBe(202);
    await flushUntil(site.siteId, s1, 3);
    expect((await visitorsOf(site.siteId)).reduce((n, r) => n + r.visitors, 0)).toBe(2);
    expect((await siteStatsOf(site.siteId)).reduce((n, r) => n + r.sessions, 0)).toBe(3);
  });

  it("keeps utm_source, utm_medium and utm_campaign as breakdowns and drops every other parameter", async () => {
    const site = await makeSite();
    const e = pageview("/landing");
    e.url = `${ORIGIN}/landing?utm_source=newsletter&utm_medium=email&utm_campaign=winter%20sale&email=a%40b.c#top`;
    const batch = batchFor(site.siteKey, [e]);
    expect((await post(batch, { userAgent: CHROME })).status).toBe(202);
    await flushUntil(site.siteId, batch.sessionId, 1);
    expect((await statsOf(site.siteId)).map((r) => r.path)).toEqual(["/landing"]);
    const campaigns = (await dimensionStatsOf(site.siteId)).filter((r) => r.dimension.startsWith("utm_"));
    expect(campaigns.map((r) => [r.dimension, r.value])).toEqual([
      ["utm_campaign", "winter sale"],
      ["utm_medium", "email"],
      ["utm_source", "newsletter"],
    ]);
  });

  it("counts a headless browser only in the device breakdown's bot row", async () => {
    const site = await makeSite();
    const bot = batchFor(site.siteKey, [pageview("/"), pageview("/a")]);
    const person = batchFor(site.siteKey, [pageview("/")]);
    expect((await post(bot, { userAgent: HEADLESS })).status).toBe(202);
    expect((await post(person, { userAgent: CHROME })).status).toBe(202);
    const stub = aggregatorOf(site.siteId, bot.sessionId);
    await vi.waitFor(async () => expect((await stub.pending()).dimensions.device.pageviews).toBe(3), {
      timeout: 10_000,
      interval: 100,
    });
    await runDurableObjectAlarm(stub);
    expect((await siteStatsOf(site.siteId)).map((r) => [r.pageviews, r.sessions])).toEqual([[1, 1]]);
    const devices = (await dimensionStatsOf(site.siteId)).filter((r) => r.dimension === "device");
    expect(devices.map((r) => [r.value, r.pageviews, r.sessions])).toEqual([
      ["bot", 2, 1],
      ["desktop", 1, 1],
    ]);
  });
});
