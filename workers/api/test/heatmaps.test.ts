/**
 * The heatmap routes against a real Postgres, with rows written by the aggregators' own sink
 * (`postgresStatsSink`), so the reads are tested against what flushes leave. Days are relative
 * to today (UTC), never a calendar date.
 */

import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import type { HeatDelta } from "@sightline/core/aggregate";
import { postgresStatsSink } from "@sightline/db";
import { snapshotKey, snapshotPrefix } from "@sightline/shared/heatmap";
import { newId } from "@sightline/shared/ids";
import { LIMITS } from "@sightline/shared/limits";
import { FLAG_LIMITS } from "@sightline/shared/limits/flags";
import { describe, expect, it, vi } from "vitest";
import worker from "../src/index.ts";
import {
  api,
  BASE,
  createSite,
  db,
  type ErrorShape,
  expectMatchesDocument,
  otherAccount,
  ownerCookie,
} from "./helpers.ts";
import { bucket, gzip } from "./recording-fixtures.ts";

const DAY_MS = 86_400_000;
const day = (ago: number) => new Date(Date.now() - ago * DAY_MS).toISOString().slice(0, 10);

async function flush(siteId: string, heat: Omit<HeatDelta, "device">[], device: HeatDelta["device"] = "desktop") {
  const { db: d, close } = db();
  try {
    await postgresStatsSink(d).apply({
      flushId: newId("flush"),
      siteId,
      shard: 0,
      rows: [],
      site: [],
      dimensions: [],
      heat: heat.map((h) => ({ ...h, device })),
    });
  } finally {
    await close();
  }
}

const at = (h: Partial<Omit<HeatDelta, "device">>): Omit<HeatDelta, "device"> => ({
  day: day(0),
  path: "/pricing",
  kind: "click",
  selector: "#buy",
  cell: 36,
  count: 1,
  ...h,
});

const PATH = "/v1/sites/{siteId}/heatmaps";

describe("GET /v1/sites/{siteId}/heatmaps", () => {
  it("sums elements and their cells across days, most clicked first, with the page grid beside them", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Heat");
    await flush(site.id, [
      at({ count: 3 }),
      at({ day: day(1), cell: 37, count: 2 }),
      at({ selector: "#menu", cell: 0, count: 1 }),
      at({ selector: "", cell: 160, count: 4 }),
      at({ kind: "rage", count: 1 }),
      at({ path: "/other", count: 9 }),
      at({ day: day(40), count: 9 }),
    ]);
    // Another device class and a retried flush id never mix in.
    await flush(site.id, [at({ count: 7 })], "mobile");
    const res = await api(`/v1/sites/${site.id}/heatmaps?path=/pricing`, { cookie });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await expectMatchesDocument("GET", PATH, res)) as {
      total: number;
      items: { selector: string; count: number; cells: number[] }[];
      grid: { cell: number; count: number }[];
    };
    expect(body.total).toBe(10);
    expect(body.items.map((i) => [i.selector, i.count])).toEqual([
      ["#buy", 5],
      ["#menu", 1],
    ]);
    expect(body.items[0]?.cells).toHaveLength(64);
    expect([body.items[0]?.cells[36], body.items[0]?.cells[37]]).toEqual([3, 2]);
    expect(body.grid).toEqual([{ cell: 160, count: 4 }]);

    const rage = await api(`/v1/sites/${site.id}/heatmaps?path=/pricing&type=rage`, { cookie });
    expect(((await rage.json()) as { items: unknown[] }).items).toHaveLength(1);
    const mobile = await api(`/v1/sites/${site.id}/heatmaps?path=/pricing&device=mobile`, { cookie });
    expect(((await mobile.json()) as { total: number }).total).toBe(7);
    const old = await api(`/v1/sites/${site.id}/heatmaps?path=/pricing&from=${day(45)}&to=${day(35)}`, { cookie });
    expect(((await old.json()) as { total: number }).total).toBe(9);
  });

  it("answers the share of pageviews that reached each depth, and the move grid", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Scroll");
    await flush(site.id, [
      at({ kind: "scroll", selector: "", cell: 10, count: 1 }),
      at({ kind: "scroll", selector: "", cell: 20, count: 1 }),
      at({ kind: "move", selector: "", cell: 5, count: 2 }),
    ]);
    const res = await api(`/v1/sites/${site.id}/heatmaps?path=/pricing&type=scroll`, { cookie });
    const scroll = (await expectMatchesDocument("GET", PATH, res)) as {
      pageviews: number;
      reach: { depth: number; share: number }[];
    };
    expect(scroll.pageviews).toBe(2);
    expect(scroll.reach).toHaveLength(21);
    expect(scroll.reach.find((r) => r.depth === 0.5)?.share).toBe(1);
    expect(scroll.reach.find((r) => r.depth === 0.55)?.share).toBe(0.5);
    expect(scroll.reach.at(-1)?.share).toBe(0.5);
    const move = await api(`/v1/sites/${site.id}/heatmaps?path=/pricing&type=move`, { cookie });
    expect(await move.json()).toEqual({ type: "move", total: 2, grid: [{ cell: 5, count: 2 }] });
  });

  it("reads one flag variant's heat with variant=<key>=<variant>, and all visitors without it", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Heat variants");
    // As an aggregator flushes them: each item under "" and again under its variant.
    await flush(site.id, [
      at({ count: 5 }),
      at({ count: 3, variant: "checkout=b" }),
      at({ count: 2, variant: "checkout=a" }),
      at({ selector: "", cell: 160, count: 4 }),
      at({ selector: "", cell: 160, count: 1, variant: "checkout=b" }),
      at({ day: day(1), count: 1 }),
      at({ day: day(1), count: 1, variant: "checkout=b" }),
    ]);
    const read = async (q: string) => {
      const res = await api(`/v1/sites/${site.id}/heatmaps?path=/pricing${q}`, { cookie });
      expect(res.status, await res.clone().text()).toBe(200);
      return (await expectMatchesDocument("GET", PATH, res)) as {
        total: number;
        items: { selector: string; count: number }[];
        grid: { cell: number; count: number }[];
      };
    };
    const all = await read("");
    expect(all.total).toBe(10);
    expect(all.items).toMatchObject([{ selector: "#buy", count: 6 }]);
    const b = await read("&variant=checkout=b");
    expect(b.total).toBe(5);
    expect(b.items).toMatchObject([{ selector: "#buy", count: 4 }]);
    expect(b.grid).toEqual([{ cell: 160, count: 1 }]);
    expect((await read("&variant=checkout%3Da")).total).toBe(2);
    // A variant nobody was counted under, or a flag that does not split heatmaps: nothing.
    expect(await read("&variant=checkout=c")).toEqual({ type: "click", total: 0, items: [], grid: [] });
  });

  it(`lists at most ${LIMITS.api.maxHeatmapElements} elements`, async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Many");
    const n = LIMITS.api.maxHeatmapElements + 1;
    await flush(
      site.id,
      Array.from({ length: n }, (_, i) => at({ selector: `#e${i}`, count: i + 1 })),
    );
    const res = await api(`/v1/sites/${site.id}/heatmaps?path=/pricing`, { cookie });
    const body = (await res.json()) as { total: number; items: { selector: string }[] };
    expect(body.items).toHaveLength(LIMITS.api.maxHeatmapElements);
    expect(body.items[0]?.selector).toBe(`#e${n - 1}`);
    expect(body.total).toBe((n * (n + 1)) / 2);
  });

  it("refuses bad input with 400 codes, a stranger's site with 404, no caller with 401", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Guarded");
    const base = `/v1/sites/${site.id}/heatmaps`;
    for (const q of [
      "",
      "?path=/&device=watch",
      "?path=/&type=hover",
      `?path=/&from=${day(1)}&to=${day(2)}`,
      `?path=/&from=${day(LIMITS.api.maxRangeDays + 1)}&to=${day(0)}`,
      "?path=/&from=yesterday",
      `?path=${"a".repeat(LIMITS.collect.maxUrlLength + 1)}`,
      // A variant is `<flag key>=<variant>`: not a bare key, an empty one, upper case or too long.
      "?path=/&variant=checkout",
      "?path=/&variant=",
      "?path=/&variant=Checkout=B",
      "?path=/&variant=checkout=b=c",
      `?path=/&variant=${"k".repeat(FLAG_LIMITS.maxKeyLength + 1)}=b`,
      `?path=/&variant=checkout=${"v".repeat(FLAG_LIMITS.maxVariantNameLength + 1)}`,
    ]) {
      const res = await api(`${base}${q}`, { cookie });
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as ErrorShape).error.code).toBe("VALIDATION_FAILED");
    }
    const other = await otherAccount();
    const stranger = await api(`${base}?path=/`, { cookie: other.cookie });
    expect(stranger.status).toBe(404);
    expect((await api(`${base}?path=/`)).status).toBe(401);
  });
});

describe("GET /v1/sites/{siteId}/frustration", () => {
  it("ranks pages and elements by rage and dead clicks over every device", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Frustrated");
    await flush(site.id, [
      at({ kind: "rage", count: 2 }),
      at({ kind: "dead", selector: "#menu", count: 5 }),
      at({ kind: "click", selector: "#calm", count: 50 }),
    ]);
    await flush(site.id, [at({ kind: "dead", count: 1 })], "mobile");
    const res = await api(`/v1/sites/${site.id}/frustration`, { cookie });
    expect(res.status).toBe(200);
    const body = await expectMatchesDocument("GET", "/v1/sites/{siteId}/frustration", res);
    expect(body).toEqual({
      items: [
        { path: "/pricing", selector: "#menu", rage: 0, dead: 5 },
        { path: "/pricing", selector: "#buy", rage: 2, dead: 1 },
      ],
    });
  });

  it("ranks one flag variant's visitors with variant=<key>=<variant>", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Frustrated variants");
    await flush(site.id, [
      at({ kind: "rage", count: 3 }),
      at({ kind: "rage", count: 3, variant: "checkout=b" }),
      at({ kind: "dead", selector: "#menu", count: 5 }),
      at({ kind: "dead", selector: "#menu", count: 1, variant: "checkout=a" }),
    ]);
    const ranking = async (q: string) => {
      const res = await api(`/v1/sites/${site.id}/frustration${q}`, { cookie });
      expect(res.status, await res.clone().text()).toBe(200);
      return expectMatchesDocument("GET", "/v1/sites/{siteId}/frustration", res);
    };
    expect(await ranking("")).toEqual({
      items: [
        { path: "/pricing", selector: "#menu", rage: 0, dead: 5 },
        { path: "/pricing", selector: "#buy", rage: 3, dead: 0 },
      ],
    });
    expect(await ranking("?variant=checkout=b")).toEqual({
      items: [{ path: "/pricing", selector: "#buy", rage: 3, dead: 0 }],
    });
    expect(await ranking("?variant=checkout=a")).toEqual({
      items: [{ path: "/pricing", selector: "#menu", rage: 0, dead: 1 }],
    });
    const bad = await api(`/v1/sites/${site.id}/frustration?variant=checkout`, { cookie });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorShape).error.code).toBe("VALIDATION_FAILED");
  });
});

describe("GET /v1/sites/{siteId}/frustration, its bounds", () => {
  it(`lists at most ${LIMITS.api.maxFrustrationRows} rows, the most frustrated first`, async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Crowded");
    const n = LIMITS.api.maxFrustrationRows + 1;
    await flush(
      site.id,
      Array.from({ length: n }, (_, i) => at({ kind: i % 2 ? "rage" : "dead", selector: `#e${i}`, count: i + 1 })),
    );
    const res = await api(`/v1/sites/${site.id}/frustration`, { cookie });
    const body = (await res.json()) as { items: { selector: string; rage: number; dead: number }[] };
    expect(body.items).toHaveLength(LIMITS.api.maxFrustrationRows);
    expect(body.items[0]).toMatchObject({ selector: `#e${n - 1}`, rage: 0, dead: n });
    expect(body.items.some((i) => i.selector === "#e0")).toBe(false);
  });

  it("refuses a bad range with 400, a stranger's site with 404, no caller with 401", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Frustration guarded");
    const base = `/v1/sites/${site.id}/frustration`;
    for (const q of [`?from=${day(1)}&to=${day(2)}`, `?from=${day(LIMITS.api.maxRangeDays + 1)}`, "?to=soon"]) {
      const res = await api(`${base}${q}`, { cookie });
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as ErrorShape).error.code).toBe("VALIDATION_FAILED");
    }
    const other = await otherAccount();
    const stranger = await api(base, { cookie: other.cookie });
    expect(stranger.status).toBe(404);
    expect(((await stranger.json()) as ErrorShape).error.code).toBe("NOT_FOUND");
    expect((await api(base)).status).toBe(401);
  });
});

describe("GET /v1/sites/{siteId}/heatmaps/snapshot", () => {
  it("answers the newest snapshot of the page for the device class, or 404 SNAPSHOT_NOT_FOUND", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Snapped");
    const url = `/v1/sites/${site.id}/heatmaps/snapshot?path=/pricing`;
    const none = await api(url, { cookie });
    expect(none.status).toBe(404);
    expect(((await none.json()) as ErrorShape).error.code).toBe("SNAPSHOT_NOT_FOUND");

    const prefix = await snapshotPrefix(site.id, "desktop", "/pricing");
    const node = { type: 0, id: 1, childNodes: [{ type: 2, tagName: "button", id: 2, attributes: { id: "buy" } }] };
    const now = Date.now();
    await bucket().put(
      snapshotKey(prefix, now - DAY_MS),
      await gzip(JSON.stringify({ node: {}, width: 1, height: 1 })),
    );
    await bucket().put(snapshotKey(prefix, now), await gzip(JSON.stringify({ node, width: 1440, height: 3000 })));
    const res = await api(url, { cookie });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await expectMatchesDocument("GET", "/v1/sites/{siteId}/heatmaps/snapshot", res)).toEqual({
      path: "/pricing",
      device: "desktop",
      takenAt: new Date(now).toISOString(),
      node,
      width: 1440,
      height: 3000,
    });
    expect((await api(`${url}&device=mobile`, { cookie })).status).toBe(404);
    const other = await otherAccount();
    expect((await api(url, { cookie: other.cookie })).status).toBe(404);
    expect((await api(`/v1/sites/${site.id}/heatmaps/snapshot`, { cookie })).status).toBe(400);

    // Deleting the site deletes its snapshots.
    expect((await api(`/v1/sites/${site.id}`, { method: "DELETE", cookie })).status).toBe(204);
    expect((await bucket().list({ prefix: `snapshots/${site.id}/` })).objects).toEqual([]);
  });
});

describe("the heatmap reads when Postgres is down", () => {
  const down = { ...env, DATABASE_URL: "postgresql://postgres@127.0.0.1:1/unreachable" } as Env;
  async function fetchDown(path: string, cookie: string) {
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(`${BASE}${path}`, { headers: { cookie } }), down, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  }

  it("serves the last heatmap and ranking marked stale; one never read, and the snapshot, answer 503", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Outage heat");
    await flush(site.id, [at({ count: 4 }), at({ kind: "rage", count: 1 })]);
    const paths = [`/v1/sites/${site.id}/heatmaps?path=/pricing`, `/v1/sites/${site.id}/frustration`];
    const fresh = [];
    for (const path of paths) {
      const res = await api(path, { cookie });
      expect(res.status).toBe(200);
      fresh.push(await res.json());
    }
    for (const [i, path] of paths.entries()) {
      const stale = await vi.waitFor(
        async () => {
          const res = await fetchDown(path, cookie);
          expect(res.status).toBe(200);
          return res;
        },
        { timeout: 10_000, interval: 200 },
      );
      expect(stale.headers.get("x-sightline-stale")).toBe("true");
      expect(await stale.json()).toEqual(fresh[i]);
    }
    for (const path of [
      `/v1/sites/${site.id}/heatmaps?path=/pricing&type=scroll`,
      `/v1/sites/${site.id}/heatmaps/snapshot?path=/pricing`,
    ]) {
      const res = await fetchDown(path, cookie);
      expect(res.status, path).toBe(503);
      expect(((await res.json()) as ErrorShape).error.code).toBe("SERVICE_UNAVAILABLE");
    }
  });
});
