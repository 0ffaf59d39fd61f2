/**
 * Sessions carry their variants: the tracker sends, with every batch, the variant of each public
 * flag the page was served (the loader's flags code evaluated them), and the site's pageviews are
 * counted under each into the `flag` breakdown (`<key>=<variant>`). The edge evaluates nothing:
 * it keeps the entries that name a public flag of the site and one of its variants. Bots stay out.
 */
import { createExecutionContext, env, runDurableObjectAlarm } from "cloudflare:test";
import { aggregatorName } from "@sightline/core/aggregate";
import type { SiteFlags } from "@sightline/shared/flags";
import { FLAG_LIMITS } from "@sightline/shared/limits/flags";
import { describe, expect, it, vi } from "vitest";
import { EdgeAdmin } from "../src/edge-admin.ts";
import { FLAGS, PHONE, reported } from "./flag-fixtures.ts";
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

async function flagRows(siteId: string): Promise<Record<string, [number, number]>> {
  const byValue = new Map<string, [number, number]>();
  for (const r of (await dimensionStatsOf(siteId)).filter((r) => r.dimension === "flag")) {
    const [p, s] = byValue.get(r.value) ?? [0, 0];
    byValue.set(r.value, [p + r.pageviews, s + r.sessions]);
  }
  return Object.fromEntries(byValue);
}

async function siteWithFlags() {
  const site = await makeSite();
  await new EdgeAdmin(createExecutionContext(), env).putFlags(site.siteKey, { version: 1, flags: FLAGS } as SiteFlags);
  return site;
}

describe("pageviews per flag variant, as the batches report them", () => {
  it("counts each pageview under every variant its batch carries, sessions once per variant", async () => {
    const site = await siteWithFlags();
    const phone = batchFor(site.siteKey, [pageview("/pricing"), pageview("/docs")]);
    phone.flags = reported(FLAGS, { sessionId: phone.sessionId, path: "/pricing", device: "mobile", country: "DE" });
    expect((await post(phone, { userAgent: PHONE, country: "DE" })).status).toBe(202);
    await counted(site.siteId, phone.sessionId, 2);
    const desktop = batchFor(site.siteKey, [pageview("/")]);
    desktop.flags = reported(FLAGS, { sessionId: desktop.sessionId, path: "/", device: "desktop", country: "FR" });
    expect((await post(desktop, { country: "FR" })).status).toBe(202);
    await counted(site.siteId, desktop.sessionId, 1);
    // A crawler that sends variants: its device row only, as every breakdown.
    const bot = batchFor(site.siteKey, [pageview("/")]);
    bot.flags = ["static-on=on"];
    expect((await post(bot, { userAgent: BOT })).status).toBe(202);

    const expected: Record<string, [number, number]> = {};
    for (const [b, pageviews] of [
      [phone, 2],
      [desktop, 1],
    ] as const) {
      for (const v of b.flags ?? []) {
        const [p, s] = expected[v] ?? [0, 0];
        expected[v] = [p + pageviews, s + 1];
      }
    }
    expect(expected).toMatchObject({ "static-on=on": [3, 2], "phones=on": [2, 1], "phones=off": [1, 1] });
    expect(await flagRows(site.siteId)).toEqual(expected);
  });

  it("keeps only entries naming a public flag of the site and one of its variants, the first for each flag", async () => {
    const site = await siteWithFlags();
    const batch = batchFor(site.siteKey, [pageview("/")]);
    batch.flags = [
      "static-on=on",
      // A second variant of the same flag, a variant the flag does not have, a flag the site
      // does not have (deleted since the loader was cached, or invented), and a private flag.
      "static-on=off",
      "phones=maybe",
      "gone=on",
      "beta-list=on",
      "split=b",
    ];
    expect((await post(batch)).status).toBe(202);
    await counted(site.siteId, batch.sessionId, 1);
    expect(await flagRows(site.siteId)).toEqual({ "static-on=on": [1, 1], "split=b": [1, 1] });
  });

  it("attributes nothing to a batch that reports no variants, though the site has flags", async () => {
    const site = await siteWithFlags();
    const batch = batchFor(site.siteKey, [pageview("/")]);
    expect((await post(batch)).status).toBe(202);
    await counted(site.siteId, batch.sessionId, 1);
    expect(await flagRows(site.siteId)).toEqual({});
  });

  it("adds nothing for a site without flags, whatever a batch reports", async () => {
    const site = await makeSite();
    const batch = batchFor(site.siteKey, [pageview("/")]);
    batch.flags = ["static-on=on"];
    expect((await post(batch)).status).toBe(202);
    await counted(site.siteId, batch.sessionId, 1);
    expect(await flagRows(site.siteId)).toEqual({});
  });

  it(`takes at most ${FLAG_LIMITS.maxFlagsPerSite} variants a batch, each <key>=<variant>`, async () => {
    const site = await siteWithFlags();
    const at = batchFor(site.siteKey, [pageview("/")]);
    at.flags = Array.from({ length: FLAG_LIMITS.maxFlagsPerSite }, (_, i) => `flag-${i}=on`);
    expect((await post(at)).status).toBe(202);
    const past = batchFor(site.siteKey, [pageview("/")]);
    past.flags = Array.from({ length: FLAG_LIMITS.maxFlagsPerSite + 1 }, (_, i) => `flag-${i}=on`);
    const refused = await post(past);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("VALIDATION_FAILED");
    for (const bad of ["no-equals", "Upper=on", "a=b=c", `${"k".repeat(FLAG_LIMITS.maxKeyLength + 1)}=on`]) {
      const batch = batchFor(site.siteKey, [pageview("/")]);
      batch.flags = [bad];
      expect((await post(batch)).status, bad).toBe(400);
    }
  });
});
