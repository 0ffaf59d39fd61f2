import { schema } from "@sightline/db";
import { describe, expect, it } from "vitest";
import { api, createSite, db, type ErrorShape, expectMatchesDocument, ownerCookie } from "./helpers.ts";

const H = (h: number) => new Date(Date.UTC(2026, 10, 20, h));

async function seed(siteId: string) {
  const { db: d, close } = db();
  try {
    await d.insert(schema.siteStatsHourly).values([
      { siteId, hour: H(9), pageviews: 5, sessions: 2, visitors: 2 },
      { siteId, hour: H(10), pageviews: 7, sessions: 3, visitors: 1 },
      { siteId, hour: new Date(Date.UTC(2026, 10, 21, 8)), pageviews: 1, sessions: 1, visitors: 1 },
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
      { siteId, hour: H(9), dimension: "utm_source", value: "newsletter", pageviews: 2, sessions: 1 },
      { siteId, hour: H(10), dimension: "utm_source", value: "newsletter", pageviews: 1, sessions: 1 },
      { siteId, hour: H(10), dimension: "utm_source", value: "mastodon", pageviews: 4, sessions: 2 },
      { siteId, hour: H(10), dimension: "utm_medium", value: "email", pageviews: 3, sessions: 2 },
      { siteId, hour: H(10), dimension: "utm_campaign", value: "winter-sale", pageviews: 3, sessions: 2 },
    ]);
  } finally {
    await close();
  }
}

const RANGE = "from=2026-11-20T00:00:00Z&to=2026-11-22T00:00:00Z";

describe("traffic", () => {
  it("answers pageviews, sessions and visitors by day and by hour", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie);
    await seed(site.id);
    const byDay = await api(`/v1/sites/${site.id}/stats/timeseries?${RANGE}&interval=day`, { cookie });
    expect(await expectMatchesDocument("GET", "/v1/sites/{siteId}/stats/timeseries", byDay)).toMatchObject({
      interval: "day",
      timeZone: "UTC",
      points: [
        { t: "2026-11-20T00:00:00.000Z", pageviews: 12, sessions: 5, visitors: 3 },
        { t: "2026-11-21T00:00:00.000Z", pageviews: 1, sessions: 1, visitors: 1 },
      ],
      totals: { pageviews: 13, sessions: 6, visitors: 4 },
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

  it("ranks campaign sources, mediums and names", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie);
    await seed(site.id);
    const sources = await api(`/v1/sites/${site.id}/stats/utm-sources?${RANGE}`, { cookie });
    expect(await expectMatchesDocument("GET", "/v1/sites/{siteId}/stats/{breakdown}", sources)).toEqual({
      items: [
        { value: "mastodon", pageviews: 4, sessions: 2 },
        { value: "newsletter", pageviews: 3, sessions: 2 },
      ],
    });
    const get = async (kind: string) =>
      ((await (await api(`/v1/sites/${site.id}/stats/${kind}?${RANGE}`, { cookie })).json()) as { items: unknown[] })
        .items;
    expect(await get("utm-mediums")).toEqual([{ value: "email", pageviews: 3, sessions: 2 }]);
    expect(await get("utm-campaigns")).toEqual([{ value: "winter-sale", pageviews: 3, sessions: 2 }]);
    // Campaign rows stay out of the other breakdowns.
    expect(await get("referrers")).toHaveLength(2);
  });

  it("buckets days in the site's time zone, each point at the UTC instant of local midnight", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie);
    await seed(site.id);
    const zone = await api(`/v1/sites/${site.id}`, { method: "PATCH", cookie, json: { timeZone: "Europe/Berlin" } });
    expect(zone.status).toBe(200);
    const { db: d, close } = db();
    try {
      await d.insert(schema.siteStatsHourly).values([
        // 23:30 UTC on the 20th is 00:30 on the 21st in Berlin (UTC+1 in November).
        { siteId: site.id, hour: H(23), pageviews: 4, sessions: 1, visitors: 1 },
        // Around the spring change (UTC+1 -> UTC+2 at 01:00 UTC on 29 March).
        { siteId: site.id, hour: new Date(Date.UTC(2026, 2, 28, 22)), pageviews: 1, sessions: 1, visitors: 1 },
        { siteId: site.id, hour: new Date(Date.UTC(2026, 2, 28, 23)), pageviews: 2, sessions: 1, visitors: 1 },
        { siteId: site.id, hour: new Date(Date.UTC(2026, 2, 29, 21)), pageviews: 3, sessions: 1, visitors: 1 },
        { siteId: site.id, hour: new Date(Date.UTC(2026, 2, 29, 22)), pageviews: 5, sessions: 1, visitors: 1 },
      ]);
    } finally {
      await close();
    }
    const series = async (q: string) =>
      expectMatchesDocument(
        "GET",
        "/v1/sites/{siteId}/stats/timeseries",
        await api(`/v1/sites/${site.id}/stats/timeseries?${q}`, { cookie }),
      );
    expect(await series("from=2026-11-19T23:00:00Z&to=2026-11-21T23:00:00Z&interval=day")).toMatchObject({
      timeZone: "Europe/Berlin",
      points: [
        { t: "2026-11-19T23:00:00.000Z", pageviews: 12, sessions: 5, visitors: 3 },
        { t: "2026-11-20T23:00:00.000Z", pageviews: 5, sessions: 2, visitors: 2 },
      ],
      totals: { pageviews: 17, sessions: 7, visitors: 5 },
    });
    // 29 March has 23 hours in Berlin: it starts at 23:00 UTC and the next day at 22:00 UTC.
    expect(await series("from=2026-03-27T23:00:00Z&to=2026-03-30T22:00:00Z&interval=day")).toMatchObject({
      points: [
        { t: "2026-03-27T23:00:00.000Z", pageviews: 1 },
        { t: "2026-03-28T23:00:00.000Z", pageviews: 5 },
        { t: "2026-03-29T22:00:00.000Z", pageviews: 5 },
      ],
    });
    // Hours stay UTC hours whatever the zone.
    const byHour = (await series("from=2026-11-20T22:00:00Z&to=2026-11-21T00:00:00Z&interval=hour")) as {
      points: { t: string }[];
    };
    expect(byHour.points.map((p) => p.t)).toEqual(["2026-11-20T23:00:00.000Z"]);
  });

  it("lists the UTC days the daily event quota was reached, for this site only", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie);
    const other = await createSite(cookie, "Other");
    const at = (day: string) => new Date(`${day}T17:42:00Z`);
    const { db: d, close } = db();
    try {
      await d.insert(schema.quotaDays).values([
        { siteId: site.id, day: "2026-11-19", reachedAt: at("2026-11-19") },
        { siteId: site.id, day: "2026-11-20", reachedAt: at("2026-11-20") },
        { siteId: site.id, day: "2026-11-22", reachedAt: at("2026-11-22") },
        { siteId: other.id, day: "2026-11-21", reachedAt: at("2026-11-21") },
      ]);
    } finally {
      await close();
    }
    const days = async (q: string) =>
      expectMatchesDocument(
        "GET",
        "/v1/sites/{siteId}/stats/quota-days",
        await api(`/v1/sites/${site.id}/stats/quota-days?${q}`, { cookie }),
      );
    expect(await days(RANGE)).toEqual({
      days: [{ day: "2026-11-20", reachedAt: "2026-11-20T17:42:00.000Z" }],
    });
    // A range starting late on the 19th (local midnight east of UTC) touches that UTC day too.
    expect(await days("from=2026-11-19T23:00:00Z&to=2026-11-22T00:00:00.001Z")).toMatchObject({
      days: [{ day: "2026-11-19" }, { day: "2026-11-20" }, { day: "2026-11-22" }],
    });
    const refused = await api(
      `/v1/sites/${site.id}/stats/quota-days?from=2026-11-22T00:00:00Z&to=2026-11-20T00:00:00Z`,
      {
        cookie,
      },
    );
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as ErrorShape).error.code).toBe("VALIDATION_FAILED");
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
      for (const route of ["pages", "utm-sources"]) {
        const res = await api(`/v1/sites/${site.id}/stats/${route}?${q}`, { cookie });
        expect(res.status, `${route}?${q}`).toBe(400);
        expect(((await res.json()) as ErrorShape).error.code).toBe("VALIDATION_FAILED");
      }
    }
    expect((await api(`/v1/sites/${site.id}/stats/browsers?${RANGE}`, { cookie })).status).toBe(400);
  });
});
