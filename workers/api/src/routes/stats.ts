/** Traffic read from the hourly aggregates: over time, top pages, breakdowns and quota days. */
import { createRoute, z } from "@hono/zod-openapi";
import { type Db, type SiteRow, sitesData, statsData } from "@sightline/db";
import { LIMITS } from "@sightline/shared/limits";
import type { Dimension } from "@sightline/shared/wire";
import type { Context } from "hono";
import type { HonoEnv } from "../env.ts";
import { Bounds, bearer, bounded, errorResponses, json, router } from "../lib/openapi.ts";
import { cachedRead } from "../lib/stale.ts";
import { requireScope } from "../middleware/auth.ts";

const Limit = z.coerce.number().int().min(1).max(LIMITS.api.maxPageSize).default(10);
const Range = bounded(Bounds.extend({ limit: Limit }));

const Params = z.object({ siteId: z.string().min(1).max(64) });
const pageviews = z.number().int().openapi({ description: "Pageviews, bots excluded." });
const sessions = z
  .number()
  .int()
  .openapi({
    description:
      "Sessions, counted once, in the hour they were first seen (on this page or value, for pages and " +
      "breakdowns), so a sum over any range counts each session once.",
  });
const visitors = z
  .number()
  .int()
  .openapi({
    description:
      "Visitors: a hash of site, address and User-Agent under a salt that rotates every UTC day, so a person " +
      "counts once per UTC day and cannot be followed across days. A range not aligned to UTC days counts a " +
      "visitor once for each UTC day they appear in.",
  });
const Row = z.object({ pageviews, sessions });
const Counts = Row.extend({ visitors });
const Item = Row.extend({ value: z.string() }).openapi("BreakdownItem");

const BREAKDOWNS = {
  referrers: "referrer",
  devices: "device",
  countries: "country",
  "utm-sources": "utm_source",
  "utm-mediums": "utm_medium",
  "utm-campaigns": "utm_campaign",
  flags: "flag",
} as const satisfies Record<string, Dimension>;
type BreakdownName = keyof typeof BREAKDOWNS;
const BREAKDOWN_NAMES = Object.keys(BREAKDOWNS) as [BreakdownName, ...BreakdownName[]];

/** A read of one site's stats: 404 unless the caller's account owns the site. */
function siteStats<T>(c: Context<HonoEnv>, siteId: string, read: (db: Db, site: SiteRow) => Promise<T>) {
  const accountId = c.get("caller").account.id;
  return cachedRead(c, async (db) => {
    const site = await sitesData.getSite(db, accountId, siteId);
    return site ? read(db, site) : null;
  });
}

export const stats = router();

stats
  .openapi(
    createRoute({
      method: "get",
      path: "/sites/{siteId}/stats/timeseries",
      tags: ["stats"],
      summary: "Pageviews, sessions and visitors over time",
      description:
        "Hour buckets are UTC hours. Day buckets are days in the site's time zone; each point's `t` is the " +
        "UTC instant of that day's local midnight.",
      security: bearer,
      middleware: requireScope("read"),
      request: {
        params: Params,
        query: bounded(Bounds.extend({ interval: z.enum(["hour", "day"]).default("day") })),
      },
      responses: {
        200: json(
          z.object({
            interval: z.enum(["hour", "day"]),
            timeZone: z.string().openapi({ description: "The IANA time zone day buckets are in." }),
            from: z.string(),
            to: z.string(),
            points: z.array(Counts.extend({ t: z.string() })),
            totals: Counts,
          }),
          "Series",
        ),
        ...errorResponses(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const { siteId } = c.req.valid("param");
      const q = c.req.valid("query");
      return siteStats(c, siteId, async (db, site) => {
        const range = { from: new Date(q.from), to: new Date(q.to) };
        const points = await statsData.timeseries(db, siteId, range, q.interval, site.timeZone);
        const totals = { pageviews: 0, sessions: 0, visitors: 0 };
        for (const p of points) {
          totals.pageviews += p.pageviews;
          totals.sessions += p.sessions;
          totals.visitors += p.visitors;
        }
        return {
          interval: q.interval,
          timeZone: site.timeZone,
          from: range.from.toISOString(),
          to: range.to.toISOString(),
          points: points.map((p) => ({
            t: p.t.toISOString(),
            pageviews: p.pageviews,
            sessions: p.sessions,
            visitors: p.visitors,
          })),
          totals,
        };
      });
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sites/{siteId}/stats/pages",
      tags: ["stats"],
      summary: "Top pages",
      security: bearer,
      middleware: requireScope("read"),
      request: { params: Params, query: Range },
      responses: {
        200: json(z.object({ items: z.array(Row.extend({ path: z.string() })) }), "Pages by pageviews"),
        ...errorResponses(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const { siteId } = c.req.valid("param");
      const q = c.req.valid("query");
      return siteStats(c, siteId, async (db) => {
        const items = await statsData.topPages(db, siteId, { from: new Date(q.from), to: new Date(q.to) }, q.limit);
        return { items };
      });
    },
  )
  .openapi(
    // Before `{breakdown}`, which would otherwise take "quota-days" as a breakdown's name.
    createRoute({
      method: "get",
      path: "/sites/{siteId}/stats/quota-days",
      tags: ["stats"],
      summary: "Days the daily event quota was reached",
      description:
        "UTC days touching the range on which the site reached its daily event quota; events past the quota " +
        "that day were refused and are not counted.",
      security: bearer,
      middleware: requireScope("read"),
      request: { params: Params, query: bounded(Bounds) },
      responses: {
        200: json(
          z.object({
            days: z.array(
              z.object({
                day: z.string().openapi({ example: "2026-12-05", description: "The UTC day." }),
                reachedAt: z.string().openapi({ description: "When the quota was reached." }),
              }),
            ),
          }),
          "Days, oldest first",
        ),
        ...errorResponses(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const { siteId } = c.req.valid("param");
      const q = c.req.valid("query");
      return siteStats(c, siteId, async (db) => {
        const rows = await statsData.quotaDaysIn(db, siteId, { from: new Date(q.from), to: new Date(q.to) });
        return { days: rows.map((r) => ({ day: r.day, reachedAt: r.reachedAt.toISOString() })) };
      });
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sites/{siteId}/stats/{breakdown}",
      tags: ["stats"],
      summary: "Referrers, devices, countries, campaign sources, mediums and names, or flag variants",
      description:
        "Values of one breakdown by pageviews. `devices` alone has a `bot` row; bots count nowhere else. The " +
        "`utm-*` breakdowns are the `utm_source`, `utm_medium` and `utm_campaign` query parameters pages were " +
        "visited with. `flags` values are `<flag key>=<variant>`: the variant of each public flag a pageview was " +
        "served (docs/FLAGS.md).",
      security: bearer,
      middleware: requireScope("read"),
      request: {
        params: Params.extend({ breakdown: z.enum(BREAKDOWN_NAMES) }),
        query: Range,
      },
      responses: {
        200: json(z.object({ items: z.array(Item) }), "Values by pageviews"),
        ...errorResponses(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const { siteId, breakdown } = c.req.valid("param");
      const q = c.req.valid("query");
      const dimension: Dimension = BREAKDOWNS[breakdown];
      return siteStats(c, siteId, async (db) => {
        const items = await statsData.breakdown(
          db,
          siteId,
          dimension,
          { from: new Date(q.from), to: new Date(q.to) },
          q.limit,
        );
        return { items };
      });
    },
  );
