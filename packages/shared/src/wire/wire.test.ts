import { describe, expect, it } from "vitest";
import { uuidv7 } from "../ids/index.ts";
import { FLAG_LIMITS } from "../limits/flags.ts";
import { LIMITS } from "../limits/index.ts";
import { collectBatch, ingestMessage, MAX_REFERRER_HOST_LENGTH, pagePath } from "./index.ts";

const L = LIMITS.collect;
const event = (over: Record<string, unknown> = {}) => ({
  type: "pageview",
  id: uuidv7(),
  ts: Date.now(),
  url: "https://a.example/x?y=1",
  ...over,
});
const batch = (events: unknown[], over: Record<string, unknown> = {}) => ({
  v: 1,
  siteKey: "key_0123456789",
  sessionId: uuidv7(),
  sentAt: Date.now(),
  events,
  ...over,
});

describe("collectBatch", () => {
  it("accepts a valid batch and strips unknown fields", () => {
    const parsed = collectBatch.parse(batch([event({ extra: "x" })], { junk: 1 }));
    expect(parsed.events[0]).not.toHaveProperty("extra");
    expect(parsed).not.toHaveProperty("junk");
  });

  it("holds every limit at its edge", () => {
    const max = Array.from({ length: L.maxEventsPerBatch }, () => event());
    expect(collectBatch.safeParse(batch(max)).success).toBe(true);
    expect(collectBatch.safeParse(batch([...max, event()])).success).toBe(false);
    expect(collectBatch.safeParse(batch([])).success).toBe(false);
    const url = (n: number) => `https://a.example/${"u".repeat(n - 18)}`;
    expect(url(L.maxUrlLength)).toHaveLength(L.maxUrlLength);
    expect(collectBatch.safeParse(batch([event({ url: url(L.maxUrlLength) })])).success).toBe(true);
    expect(collectBatch.safeParse(batch([event({ url: url(L.maxUrlLength + 1) })])).success).toBe(false);
    expect(collectBatch.safeParse(batch([event({ title: "t".repeat(L.maxTitleLength) })])).success).toBe(true);
    expect(collectBatch.safeParse(batch([event({ title: "t".repeat(L.maxTitleLength + 1) })])).success).toBe(false);
    expect(collectBatch.safeParse(batch([event({ referrer: "r".repeat(L.maxReferrerLength + 1) })])).success).toBe(
      false,
    );
    expect(collectBatch.safeParse(batch([event()], { siteKey: "k".repeat(L.maxSiteKeyLength + 1) })).success).toBe(
      false,
    );
  });

  it("refuses ids that are not UUIDv7, unknown types and other versions", () => {
    expect(collectBatch.safeParse(batch([event({ id: crypto.randomUUID() })])).success).toBe(false);
    expect(collectBatch.safeParse(batch([event({ type: "click" })])).success).toBe(false);
    expect(collectBatch.safeParse(batch([event()], { v: 2 })).success).toBe(false);
    expect(collectBatch.safeParse(batch([event()], { sessionId: "s" })).success).toBe(false);
  });
});

describe("ingestMessage", () => {
  it("bounds shards and events", () => {
    const m = {
      v: 1,
      siteId: "site_1",
      shards: 1,
      sessionId: uuidv7(),
      receivedAt: 1,
      events: [{ id: uuidv7(), ts: 1, path: "/" }],
    };
    expect(ingestMessage.safeParse(m).success).toBe(true);
    expect(ingestMessage.safeParse({ ...m, shards: LIMITS.aggregate.maxShardsPerSite + 1 }).success).toBe(false);
    const many = Array.from({ length: LIMITS.collect.maxEventsPerBatch + 1 }, () => m.events[0]);
    expect(ingestMessage.safeParse({ ...m, events: many }).success).toBe(false);
  });

  it("carries binned heatmap events beside pageviews, or alone", () => {
    const heat = { id: uuidv7(), ts: 1, path: "/", device: "desktop", k: "click", sel: "#buy", cells: [36] };
    const m = { v: 1, siteId: "site_1", shards: 1, sessionId: uuidv7(), receivedAt: 1, events: [], heat: [heat] };
    expect(ingestMessage.safeParse(m).success).toBe(true);
    expect(ingestMessage.safeParse({ ...m, heat: [{ ...heat, device: "bot" }] }).success).toBe(false);
    expect(ingestMessage.safeParse({ ...m, heat: [{ ...heat, cells: [] }] }).success).toBe(false);
    const tooFar = LIMITS.heatmap.pageGridColumns * LIMITS.heatmap.maxPageGridRows;
    expect(ingestMessage.safeParse({ ...m, heat: [{ ...heat, cells: [tooFar] }] }).success).toBe(false);
    expect(ingestMessage.safeParse({ ...m, heat: [{ ...heat, sel: "x".repeat(257) }] }).success).toBe(false);
  });

  it("parses messages queued before country, device and ref, and bounds the new fields", () => {
    const old = {
      v: 1,
      siteId: "site_1",
      shards: 1,
      sessionId: uuidv7(),
      receivedAt: 1,
      events: [{ id: uuidv7(), ts: 1, path: "/" }],
    };
    expect(ingestMessage.parse(old)).toEqual(old);
    const m = { ...old, country: "DE", device: "mobile", events: [{ ...old.events[0], ref: "google.com" }] };
    expect(ingestMessage.parse(m)).toEqual(m);
    const ref = (r: string) => ({ ...m, events: [{ ...old.events[0], ref: r }] });
    expect(ingestMessage.safeParse(ref("h".repeat(MAX_REFERRER_HOST_LENGTH))).success).toBe(true);
    expect(ingestMessage.safeParse(ref("h".repeat(MAX_REFERRER_HOST_LENGTH + 1))).success).toBe(false);
    expect(ingestMessage.safeParse(ref("")).success).toBe(false);
    expect(ingestMessage.safeParse({ ...m, device: "phone" }).success).toBe(false);
    expect(ingestMessage.safeParse({ ...m, country: "" }).success).toBe(false);
    expect(ingestMessage.safeParse({ ...m, country: "c".repeat(8) }).success).toBe(false);
  });

  it(`carries the heatmap flags' variants, at most ${FLAG_LIMITS.maxHeatmapFlags}`, () => {
    const m = { v: 1, siteId: "site_1", shards: 1, sessionId: uuidv7(), receivedAt: 1, events: [] };
    const variants = Array.from({ length: FLAG_LIMITS.maxHeatmapFlags + 1 }, (_, i) => `flag-${i}=b`);
    const at = { ...m, heatFlags: variants.slice(0, -1) };
    expect(ingestMessage.parse(at)).toEqual(at);
    expect(ingestMessage.safeParse({ ...m, heatFlags: variants }).success).toBe(false);
    expect(ingestMessage.safeParse({ ...m, heatFlags: ["flag-0"] }).success).toBe(false);
  });
});

describe("pagePath", () => {
  it("keeps the path and drops query and fragment", () => {
    expect(pagePath("https://a.example/docs/x?token=secret#h")).toBe("/docs/x");
    expect(pagePath("https://a.example")).toBe("/");
    expect(pagePath("not a url")).toBeNull();
  });

  it("agrees with the URL parser", () => {
    const urls = [
      "https://a.example/",
      "http://a.example:8080/x/y/?q#f",
      "https://a.example/a/./b/../c",
      "https://a.example/%7Euser/caf%C3%A9",
      "https://a.example/café",
      "https://a.example/a b",
      "https://a.example\\evil/x",
      "https://user:pw@a.example/p;x=1",
      "https://a.example?x=/y",
      "https://a.example#/route",
      "HTTPS://A.EXAMPLE/Up",
      "https://a.example//double//",
    ];
    for (const u of urls) expect(pagePath(u), u).toBe(new URL(u).pathname);
  });

  it("keeps a route-like fragment when the site counts hash routes, without its query or anchor", () => {
    const on = { hashRoutes: true };
    expect(pagePath("https://x.example/#/active", on)).toBe("/#/active");
    expect(pagePath("https://x.example/app.html?site=k#/list?x=1", on)).toBe("/app.html#/list");
    expect(pagePath("https://x.example/app#!/done/1", on)).toBe("/app#!/done/1");
    expect(pagePath("https://x.example#/", on)).toBe("/#/");
    expect(pagePath("https://x.example/app#/docs#intro", on)).toBe("/app#/docs");
    for (const anchor of ["#section", "#top", "#", "#!top", "#!", "#section/x", "#%2Fa"]) {
      expect(pagePath(`https://x.example/app${anchor}`, on), anchor).toBe("/app");
    }
    expect(pagePath("https://x.example/#/active")).toBe("/");
    expect(pagePath("https://x.example/#/active", { hashRoutes: false })).toBe("/");
    expect(pagePath("not a url#/x", on)).toBeNull();
  });

  it("bounds a hash route by the URL length limit", () => {
    const long = `https://x.example/a#/${"r".repeat(LIMITS.collect.maxUrlLength)}`;
    expect(pagePath(long, { hashRoutes: true })).toBe(`/a#/${"r".repeat(LIMITS.collect.maxUrlLength - 4)}`);
  });

  it("agrees with the URL parser on hash routes", () => {
    const urls = [
      "https://a.example/#/route",
      "https://a.example/a/./b/../c#/x/./y",
      "https://a.example/app#/caf\u00e9 list?q=1",
      "https://a.example/app#/a b#c",
      'https://a.example/app#/"q"<x>',
      "https://a.example/app#/%7Euser",
      "https://a.example/p?x=/y#!/z?w",
      "https://user:pw@a.example/p;x=1#/r;1",
      "https://a.example/app#/r\tx",
    ];
    for (const u of urls) {
      const parsed = new URL(u);
      const route = /^#!?\/[^?#]*/.exec(parsed.hash)?.[0] ?? "";
      expect(pagePath(u, { hashRoutes: true }), u).toBe(parsed.pathname + route);
    }
  });
});
