/**
 * Sessions carry their variants: a site's pageviews are counted per variant of each public flag,
 * each evaluated at the edge as the loader evaluated it on the page (session id, country,
 * device, path), into the `flag` breakdown (`<key>=<variant>`). Bots and private flags stay out.
 */
import { createExecutionContext, env, runDurableObjectAlarm } from "cloudflare:test";
import { aggregatorName } from "@sightline/core/aggregate";
import type { SiteFlags } from "@sightline/shared/flags";
import { describe, expect, it, vi } from "vitest";
import { EdgeAdmin } from "../src/edge-admin.ts";
import { FLAGS, PHONE, variantOf } from "./flag-fixtures.ts";
import { batchFor, dimensionStatsOf, makeSite, pageview, post } from "./helpers.ts";

const BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

async function counted(siteId: string, sessionId: string, pageviews: number) {
  const stub = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(aggregatorName(siteId, sessionId, 1)));
  await vi.waitFor(async () => expect((await stub.pending()).pageviews).toBe(pageviews), {
    timeout: 10_000,
    interval: 100,
  });
  expect(await runDurableObjectAlarm(stub)).toBe(true);
}

describe("pageviews per flag variant", () => {
  it("counts each pageview under the variant of every public flag it was served, sessions once per variant", async () => {
    const site = await makeSite();
    await new EdgeAdmin(createExecutionContext(), env).putFlags(site.siteKey, {
      version: 1,
      flags: FLAGS,
    } as SiteFlags);

    const phone = batchFor(site.siteKey, [pageview("/pricing"), pageview("/docs")]);
    expect((await post(phone, { userAgent: PHONE, country: "DE" })).status).toBe(202);
    await counted(site.siteId, phone.sessionId, 2);
    const desktop = batchFor(site.siteKey, [pageview("/")]);
    expect((await post(desktop, { country: "FR" })).status).toBe(202);
    await counted(site.siteId, desktop.sessionId, 1);
    // A crawler: its device row only, as every breakdown.
    const bot = batchFor(site.siteKey, [pageview("/")]);
    expect((await post(bot, { userAgent: BOT })).status).toBe(202);

    const split = FLAGS.find((f) => f.key === "split");
    const rows = (await dimensionStatsOf(site.siteId)).filter((r) => r.dimension === "flag");
    const byValue = new Map<string, [number, number]>();
    for (const r of rows) {
      const [p, s] = byValue.get(r.value) ?? [0, 0];
      byValue.set(r.value, [p + r.pageviews, s + r.sessions]);
    }
    const expected = new Map<string, [number, number]>([
      ["static-on=on", [3, 2]],
      ["phones=on", [2, 1]],
      ["phones=off", [1, 1]],
      // One evaluation a batch, with its first page's path.
      ["pricing-page=on", [2, 1]],
      ["pricing-page=off", [1, 1]],
    ]);
    for (const [sessionId, pageviews] of [
      [phone.sessionId, 2],
      [desktop.sessionId, 1],
    ] as const) {
      const value = `split=${variantOf(split, sessionId)}`;
      const [p, s] = expected.get(value) ?? [0, 0];
      expected.set(value, [p + pageviews, s + 1]);
    }
    expect(Object.fromEntries(byValue)).toEqual(Object.fromEntries(expected));
    expect([...byValue.keys()].some((v) => v.startsWith("beta-list="))).toBe(false);
  });

  it("adds nothing for a site without flags", async () => {
    const site = await makeSite();
    const batch = batchFor(site.siteKey, [pageview("/")]);
    expect((await post(batch)).status).toBe(202);
    await counted(site.siteId, batch.sessionId, 1);
    expect((await dimensionStatsOf(site.siteId)).filter((r) => r.dimension === "flag")).toEqual([]);
  });
});
