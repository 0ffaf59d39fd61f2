/** Traffic read from the hourly aggregates: over time, top pages, and breakdowns. */
import { createRoute, z } from "@hono/zod-openapi";
import { type Db, sitesData, statsData } from "@sightline/db";
import { LIMITS } from "@sightline/shared/limits";
import type { Dimension } from "@sightline/shared/wire";
import type { Context } from "hono";
import type { HonoEnv } from "../env.ts";
import { bearer, errorResponses, json, router } from "../lib/openapi.ts";
import { cachedRead } from "../lib/stale.ts";
import { requireAuth } from "../middleware/auth.ts";

const DAY_MS = 86_400_000;

const Range = z
  .object({
    from: z.iso.datetime({ offset: true }).openapi({ example: "2026-11-23T00:00:00Z" }),
    to: z.iso.datetime({ offset: true }).openapi({ example: "2026-11-30T00:00:00Z" }),
    limit: z.coerce.number().int().min(1).max(LIMITS.api.maxPageSize).default(10),
  })
  .refine((r) => Date.parse(r.from) < Date.parse(r.to), { message: "from must be before to", path: ["from"] })
  .refine((r) => Date.parse(r.to) - Date.parse(r.from) <= LIMITS.api.maxRangeDays * DAY_MS, {
    message: `a range spans at most ${LIMITS.api.maxRangeDays} days`,
    path: ["to"],
  });

const Params = z.object({ siteId: z.string().min(1).max(64) });
const Row = z.object({ pageviews: z.number().int(), sessions: z.number().int() });
const Item = Row.extend({ value: z.string() }).openapi("BreakdownItem");

const BREAKDOWNS: Record<string, Dimension> = { referrers: "referrer", devices: "device", countries: "country" };

/** A read of one site's stats: 404 unless the caller's account owns the site. */
function siteStats<T>(c: Context<HonoEnv>, siteId: string, read: (db: Db) => Promise<T>) {
  const accountId = c.get("caller").account.id;
  return cachedRead(c, async (db) => ((await sitesData.getSite(db, accountId, siteId)) ? read(db) : null));
}

export const stats = router();
stats.use("/sites/:siteId/stats/*", requireAuth("read"));

stats
  .openapi(
    createRoute({
      method: "get",
      path: "/sites/{siteId}/stats/timeseries",
      tags: ["stats"],
      summary: "Pageviews and sessions over time",
      security: bearer,
      request: {
        params: Params,
        query: Range.safeExtend({ interval: z.enum(["hour", "day"]).default("day") }),
      },
      responses: {
        200: json(
          z.object({
            interval: z.enum(["hour", "day"]),
            from: z.string(),
            to: z.string(),
            points: z.array(Row.extend({ t: z.string() })),
            totals: Row,
          }),
          "Series",
        ),
        ...errorResponses(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const { siteId } = c.req.valid("param");
      const q = c.req.valid("query");
      return siteStats(c, siteId, async (db) => {
        const range = { from: new Date(q.from), to: new Date(q.to) };
        const points = await statsData.timeseries(db, siteId, range, q.interval);
        const totals = points.reduce(
          (t, p) => ({ pageviews: t.pageviews + p.pageviews, sessions: t.sessions + p.sessions }),
          {
            pageviews: 0,
            sessions: 0,
          },
        );
        return {
          interval: q.interval,
          from: range.from.toISOString(),
          to: range.to.toISOString(),
          points: points.map((p) => ({ t: p.t.toISOString(), pageviews: p.pageviews, sessions: p.sessions })),
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
    createRoute({
      method: "get",
      path: "/sites/{siteId}/stats/{breakdown}",
      tags: ["stats"],
      summary: "Referrers, devices or countries",
      security: bearer,
      request: {
        params: Params.extend({ breakdown: z.enum(["referrers", "devices", "countries"]) }),
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
      const dimension = BREAKDOWNS[breakdown] as Dimension;
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
