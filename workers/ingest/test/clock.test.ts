/**
 * The test clock (test/support/clock.ts): with TEST_NOW set, the tests and the worker under
 * test (the fetch handler, the queue consumer, SiteAggregator and VisitorSalt) share one
 * shifted clock inside the isolate. Without TEST_NOW the same checks run on the real clock.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { aggregatorName } from "@sightline/core/aggregate";
import { describe, expect, it, vi } from "vitest";
import { batchFor, makeSite, pageview, post, siteStatsOf, visitorsOf } from "./helpers.ts";

const TEST_NOW = process.env.TEST_NOW;
const HOUR = 3_600_000;

describe("the test clock", () => {
  it.runIf(TEST_NOW)("puts now at TEST_NOW, advancing, and leaves explicit instants alone", async () => {
    const target = Date.parse(TEST_NOW ?? "");
    // Shifted when this file started; the file takes seconds, a slow machine minutes.
    expect(Math.abs(Date.now() - target)).toBeLessThan(10 * 60_000);
    // biome-ignore lint/complexity/useDateNow: the constructor without arguments is under test.
    expect(Math.abs(new Date().getTime() - target)).toBeLessThan(10 * 60_000);
    expect(Date.parse(new Date().toString())).toBeGreaterThan(target - 10 * 60_000);
    expect(new Date(0).getTime()).toBe(0);
    expect(new Date(2026, 0, 1, 12).getFullYear()).toBe(2026);
    expect(new Date("2026-11-30T13:00:00Z").getTime()).toBe(Date.UTC(2026, 10, 30, 13));
    expect(Date.parse("2026-11-30T13:00:00Z")).toBe(Date.UTC(2026, 10, 30, 13));
    expect(new Date()).toBeInstanceOf(Date);
    expect(structuredClone(new Date())).toBeInstanceOf(Date);
    const before = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(Date.now()).toBeGreaterThan(before);
  });

  it("is the clock of the collect route, the queue consumer and both Durable Objects", async () => {
    const site = await makeSite();
    const now = Date.now();
    // The collect window is 24 h around the worker's now: on any other clock, /now is dropped.
    const batch = batchFor(site.siteKey, [pageview("/now", now), pageview("/old", now - 25 * HOUR)]);
    const res = await post(batch, { ip: "203.0.113.9", userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0" });
    expect(await res.json()).toEqual({ accepted: 1, dropped: 1 });

    const stub = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(aggregatorName(site.siteId, batch.sessionId, 1)));
    await vi.waitFor(async () => expect((await stub.pending()).pageviews).toBe(1), { timeout: 10_000, interval: 100 });
    // SiteAggregator arms its flush a few seconds after its own now.
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThanOrEqual(now);
    expect(alarm).toBeLessThan(Date.now() + HOUR);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await siteStatsOf(site.siteId)).toEqual([{ hour: now - (now % HOUR), pageviews: 1, sessions: 1 }]);
    // VisitorSalt hands out a salt for today and yesterday only, by its own clock.
    expect(await visitorsOf(site.siteId)).toEqual([{ hour: now - (now % HOUR), visitors: 1 }]);
  });
});
