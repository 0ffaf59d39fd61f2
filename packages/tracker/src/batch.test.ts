import { LIMITS } from "@sightline/shared/limits";
import { collectBatch } from "@sightline/shared/wire";
import { describe, expect, it } from "vitest";
import { body, byteLength, type Queued, toBatches } from "./batch.ts";
import { pageview } from "./pageview.ts";

const L = LIMITS.collect;
const T0 = 1_800_000_000_000;
const S1 = "01900000-0000-7000-8000-000000000001";
const S2 = "01900000-0000-7000-8000-000000000002";
const CFG = { siteKey: "site_key_1" };

const events = (n: number, s = S1, path = (i: number) => `/p${i}`): Queued[] =>
  Array.from({ length: n }, (_, i) => ({
    s,
    e: pageview(T0 + i, `https://site.test${path(i)}`, "", ""),
  }));

/** Serialises the batches as they would go out and checks each against the server's schema. */
const bodies = (items: Queued[]) =>
  toBatches(items, CFG, T0).map((b) => {
    const json = body(CFG, b, T0);
    expect(byteLength(json)).toBeLessThanOrEqual(L.maxBodyBytes);
    return collectBatch.parse(JSON.parse(json));
  });

describe("toBatches", () => {
  it("splits by event count", () => {
    const items = events(250);
    const out = bodies(items);
    expect(out.map((b) => b.events.length)).toEqual([L.maxEventsPerBatch, L.maxEventsPerBatch, 50]);
    expect(out.flatMap((b) => b.events)).toEqual(items.map((q) => q.e));
    expect(out[0]).toMatchObject({ v: 1, siteKey: CFG.siteKey, sessionId: S1, sentAt: T0 });
  });

  it("splits by body size, keeping every event in order", () => {
    // ~2 KB events: 100 of them would be about three times maxBodyBytes.
    const items = events(100, S1, (i) => `/${i}/${"é".repeat(1000)}`);
    const out = bodies(items);
    expect(out.length).toBeGreaterThan(1);
    expect(out.every((b) => b.events.length < L.maxEventsPerBatch)).toBe(true);
    expect(out.flatMap((b) => b.events)).toEqual(items.map((q) => q.e));
  });

  it("fills a batch close to the byte limit rather than splitting early", () => {
    const out = toBatches(
      events(100, S1, (i) => `/${i}/${"a".repeat(2000)}`),
      CFG,
      T0,
    );
    const first = out[0];
    expect(first).toBeDefined();
    if (!first) return;
    const next = out[1]?.e[0];
    expect(next).toBeDefined();
    const withNext = body(CFG, { ...first, e: [...first.e, ...(next ? [next] : [])] }, T0);
    expect(byteLength(withNext)).toBeGreaterThan(L.maxBodyBytes);
  });

  it("never mixes sessions in one batch", () => {
    const items = [...events(2, S1), ...events(3, S2), ...events(1, S1)];
    expect(bodies(items).map((b) => [b.sessionId, b.events.length])).toEqual([
      [S1, 2],
      [S2, 3],
      [S1, 1],
    ]);
  });

  it("drops an event too large to send on its own", () => {
    const huge: Queued = {
      s: S1,
      e: { ...pageview(T0, "https://site.test/", "", ""), url: "x".repeat(L.maxBodyBytes) },
    };
    const out = toBatches([...events(1), huge, ...events(1)], CFG, T0);
    expect(out.map((b) => b.e.length)).toEqual([2]);
  });

  it("returns nothing for an empty queue", () => {
    expect(toBatches([], CFG, T0)).toEqual([]);
  });
});

describe("the flag variants the page was served", () => {
  const variants = ["checkout=one-page", "headline=bold"];

  it("go with every batch, within the body limit, and the server's schema takes them", () => {
    const cfg = { siteKey: "site_key_1", variants };
    const out = toBatches(events(3), cfg, T0);
    for (const b of out) {
      const json = body(cfg, b, T0);
      expect(JSON.parse(json).flags).toEqual(variants);
      expect(byteLength(json)).toBeLessThanOrEqual(L.maxBodyBytes);
      expect(collectBatch.safeParse(JSON.parse(json)).success).toBe(true);
    }
  });

  it("count toward each batch's size: a page with many variants sends more, smaller batches", () => {
    const many = Array.from({ length: 200 }, (_, i) => `flag-${i}-${"k".repeat(50)}=variant-${"v".repeat(20)}`);
    const cfg = { siteKey: "site_key_1", variants: many };
    const big = Array.from({ length: 100 }, (_, i) => ({
      s: S1,
      e: pageview(T0 + i, `https://site.test/${"p".repeat(400)}${i}`, "", ""),
    }));
    const out = toBatches(big, cfg, T0);
    expect(out.length).toBeGreaterThan(toBatches(big, CFG, T0).length);
    for (const b of out) expect(byteLength(body(cfg, b, T0))).toBeLessThanOrEqual(L.maxBodyBytes);
    expect(out.flatMap((b) => b.e)).toHaveLength(100);
  });

  it("are left out where the page has none", () => {
    const [b] = toBatches(events(1), CFG, T0);
    expect(JSON.parse(body(CFG, b as never, T0))).not.toHaveProperty("flags");
  });
});
