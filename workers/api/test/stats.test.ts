import { schema } from "@sightline/db";
import { describe, expect, it } from "vitest";
import { api, createSite, db, type ErrorShape, expectMatchesDocument, ownerCookie } from "./helpers.ts";

const H = (h: number) => new Date(Date.UTC(2026, 10, 20, h));

async function seed(siteId: string) {
  const { db: d, close } = db();
  try {
    await d.insert(schema.siteStatsHourly).values([
      { siteId, hour: H(9), pageviews: 5, sessions: 2 },
      { siteId, hour: H(10), pageviews: 7, sessions: 3 },
      { siteId, hour: new Date(Date.UTC(2026, 10, 21, 8)), pageviews: 1, sessions: 1 },
    ]);
    await d.insert(schema.pageStatsHourly).values([
      { siteId, hour: H(9), path: "/", pageviews: 4, sessions: 2 },
      { siteId, hour: H(10), path: "/", pageviews: 3, sessions: 2 },
      { siteId, hour: H(10), path: "/pricing", pageviews: 5, sessions: 2 },
    ]);
    await d.insert(schema.dimensionStatsHourly).values([
      { siteId, hour: H(9), dimension: "referrer", value: "news.example", pageviews: 3, sessions: 1 },
      { siteId, hour: H(10), dimension: "referrer", value: "(direct)", pageviews: 9, sessions: 4 },
      { siteId, hour: H(10), dimension: "device", value: "mobile", pageviews: 2, sessions: 1 },
    ]);
  } finally {
    await close();
  }
}

const RANGE = "from=2026-11-20T00:00:00Z&to=2026-11-22T00:00:00Z";

describe("traffic", () => {
  it("answers pageviews and sessions by day and by hour", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie);
    await seed(site.id);
    const byDay = await api(`/v1/sites/${site.id}/stats/timeseries?${RANGE}&interval=day`, { cookie });
    expect(await expectMatchesDocument("GET", "/v1/sites/{siteId}/stats/timeseries", byDay)).toMatchObject({
      interval: "day",
      points: [
        { t: "2026-11-20T00:00:00.000Z", pageviews: 12, sessions: 5 },
        { t: "2026-11-21T00:00:00.000Z", pageviews: 1, sessions: 1 },
      ],
      totals: { pageviews: 13, sessions: 6 },
    });
    const byHour = (await (
      await api(`/v1/sites/${site.id}/stats/timeseries?${RANGE}&interval=hour`, { cookie })
    ).json()) as {
      points: unknown[];
    };
    expect(byHour.points).toHaveLength(3);
  });

  it("ranks pages and breakdowns", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie);
    await seed(site.id);
    const pages = await api(`/v1/sites/${site.id}/stats/pages?${RANGE}`, { cookie });
    expect(await expectMatchesDocument("GET", "/v1/sites/{siteId}/stats/pages", pages)).toEqual({
      items: [
        { path: "/", pageviews: 7, sessions: 4 },
        { path: "/pricing", pageviews: 5, sessions: 2 },
      ],
    });
    const refs = await api(`/v1/sites/${site.id}/stats/referrers?${RANGE}&limit=1`, { cookie });
    expect(await expectMatchesDocument("GET", "/v1/sites/{siteId}/stats/{breakdown}", refs)).toEqual({
      items: [{ value: "(direct)", pageviews: 9, sessions: 4 }],
    });
    const devices = (await (await api(`/v1/sites/${site.id}/stats/devices?${RANGE}`, { cookie })).json()) as {
      items: unknown[];
    };
    expect(devices.items).toEqual([{ value: "mobile", pageviews: 2, sessions: 1 }]);
    const countries = (await (await api(`/v1/sites/${site.id}/stats/countries?${RANGE}`, { cookie })).json()) as {
      items: unknown[];
    };
    expect(countries.items).toEqual([]);
  });

  it("bounds the range and the page size", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie);
    const bad = [
      "from=2026-11-22T00:00:00Z&to=2026-11-20T00:00:00Z",
      "from=2025-01-01T00:00:00Z&to=2026-11-20T00:00:00Z",
      "from=yesterday&to=today",
      `${RANGE}&limit=101`,
    ];
    for (const q of bad) {
      const res = await api(`/v1/sites/${site.id}/stats/pages?${q}`, { cookie });
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as ErrorShape).error.code).toBe("VALIDATION_FAILED");
    }
    expect((await api(`/v1/sites/${site.id}/stats/browsers?${RANGE}`, { cookie })).status).toBe(400);
  });
});
