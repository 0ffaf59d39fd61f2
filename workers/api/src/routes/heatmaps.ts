/**
 * Heatmaps from the daily aggregates (docs/HEATMAPS.md): one page and device class, per element
 * with the grid inside it, the page grid, the scroll reach, and the frustration ranking.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { heatmapsData, sitesData } from "@sightline/db";
import { LIMITS } from "@sightline/shared/limits";
import { HEAT_DEVICES, HEATMAP_TYPES } from "@sightline/shared/wire";
import { bearer, errorResponses, json, router } from "../lib/openapi.ts";
import { cachedRead } from "../lib/stale.ts";
import { requireScope } from "../middleware/auth.ts";

const DAY_MS = 86_400_000;
const Params = z.object({ siteId: z.string().min(1).max(64) });

const Days = z.object({
  from: z.iso.date().optional().openapi({ description: "First UTC day, included; default 29 days before `to`." }),
  to: z.iso.date().optional().openapi({ description: "Last UTC day, included; default today (UTC)." }),
});

/** The range as UTC days: defaults, order, and at most maxRangeDays. */
function days<T extends z.ZodType<{ from?: string; to?: string }>>(schema: T) {
  return schema
    .transform((q) => {
      const to = q.to ?? new Date().toISOString().slice(0, 10);
      const from = q.from ?? new Date(Date.parse(to) - 29 * DAY_MS).toISOString().slice(0, 10);
      return { ...q, from, to };
    })
    .refine((q) => q.from <= q.to, { message: "from must not be after to", path: ["from"] })
    .refine((q) => Date.parse(q.to) - Date.parse(q.from) < LIMITS.api.maxRangeDays * DAY_MS, {
      message: `a range spans at most ${LIMITS.api.maxRangeDays} days`,
      path: ["to"],
    });
}

const HeatmapQuery = days(
  Days.extend({
    path: z.string().min(1).max(LIMITS.collect.maxUrlLength).openapi({ example: "/pricing" }),
    device: z.enum(HEAT_DEVICES).default("desktop").openapi({
      description: "Viewport class: mobile below 768 px, tablet below 1,280, desktop.",
    }),
    type: z.enum(HEATMAP_TYPES).default("click"),
  }),
);

const Cells = z.array(z.number().int()).openapi({
  description: `The ${LIMITS.heatmap.elementGrid}x${LIMITS.heatmap.elementGrid} grid inside the element, row by row.`,
});
const Grid = z.array(z.object({ cell: z.number().int(), count: z.number().int() })).openapi({
  description:
    `Page-grid cells (column + row * ${LIMITS.heatmap.pageGridColumns}; columns split the viewport width, rows are ` +
    `${LIMITS.heatmap.pageGridRowPx} px high): moves, and clicks with no stable selector.`,
});
const Item = z.object({ selector: z.string(), count: z.number().int(), cells: Cells }).openapi("HeatmapElement");
const Heatmap = z
  .object({
    type: z.enum(HEATMAP_TYPES),
    total: z.number().int().optional(),
    items: z.array(Item).optional().openapi({ description: "click, rage, dead: elements, most first." }),
    grid: Grid.optional(),
    pageviews: z.number().int().optional().openapi({ description: "scroll: pageviews with a depth." }),
    reach: z
      .array(z.object({ depth: z.number(), pageviews: z.number().int(), share: z.number() }))
      .optional()
      .openapi({ description: "scroll: the share of pageviews that reached each depth, in 5% steps." }),
  })
  .openapi("Heatmap");

const Frustration = z
  .object({
    items: z.array(
      z.object({ path: z.string(), selector: z.string(), rage: z.number().int(), dead: z.number().int() }),
    ),
  })
  .openapi("Frustration");

export const heatmaps = router();

heatmaps
  .openapi(
    createRoute({
      method: "get",
      path: "/sites/{siteId}/heatmaps",
      tags: ["heatmaps"],
      summary: "A page's heatmap",
      description:
        "Clicks, rage clicks or dead clicks per element with where inside it they landed; pointer rests on the " +
        "page grid; or how far down the page pageviews reached. Over whole UTC days.",
      security: bearer,
      middleware: requireScope("read"),
      request: { params: Params, query: HeatmapQuery },
      responses: { 200: json(Heatmap, "The heatmap"), ...errorResponses(400, 401, 403, 404, 503) },
    }),
    async (c) => {
      const { siteId } = c.req.valid("param");
      const q = c.req.valid("query");
      const accountId = c.get("caller").account.id;
      return cachedRead(c, async (db) => {
        if (!(await sitesData.getSite(db, accountId, siteId))) return null;
        return heatmapsData.heatmap(db, siteId, q);
      });
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sites/{siteId}/frustration",
      tags: ["heatmaps"],
      summary: "Where visitors are frustrated",
      description: `Pages and elements ranked by rage and dead clicks over whole UTC days, every device; at most ${LIMITS.api.maxFrustrationRows}.`,
      security: bearer,
      middleware: requireScope("read"),
      request: { params: Params, query: days(Days) },
      responses: { 200: json(Frustration, "The ranking"), ...errorResponses(400, 401, 403, 404, 503) },
    }),
    async (c) => {
      const { siteId } = c.req.valid("param");
      const q = c.req.valid("query");
      const accountId = c.get("caller").account.id;
      return cachedRead(c, async (db) => {
        if (!(await sitesData.getSite(db, accountId, siteId))) return null;
        return { items: await heatmapsData.frustration(db, siteId, q.from, q.to) };
      });
    },
  );
