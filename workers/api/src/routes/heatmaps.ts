/**
 * Heatmaps from the daily aggregates (docs/HEATMAPS.md): one page and device class, per element
 * with the grid inside it, the page grid, the scroll reach, and the frustration ranking.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { heatmapsData, type SiteRow, sitesData } from "@sightline/db";
import { snapshotPrefix, snapshotTakenAt } from "@sightline/shared/heatmap";
import { LIMITS } from "@sightline/shared/limits";
import { FLAG_VARIANT } from "@sightline/shared/limits/flags";
import { HEAT_DEVICES, HEATMAP_TYPES } from "@sightline/shared/wire";
import { databaseUnavailable } from "../lib/db-errors.ts";
import { bearer, errorResponses, fail, json, router } from "../lib/openapi.ts";
import { cachedRead } from "../lib/stale.ts";
import { requireScope } from "../middleware/auth.ts";

const DAY_MS = 86_400_000;
const Params = z.object({ siteId: z.string().min(1).max(64) });

const Variant = z.object({
  variant: z
    .string()
    .regex(FLAG_VARIANT, "a flag key and one of its variants, as key=variant")
    .optional()
    .openapi({
      example: "new-checkout=b",
      description:
        "Only visitors served this variant of a flag that splits heatmaps (`heatmaps: true`), as " +
        "`<flag key>=<variant>`; counted from when the flag had it on. Default: all visitors.",
    }),
});

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
  }).extend(Variant.shape),
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

const SnapshotQuery = z.object({
  path: z.string().min(1).max(LIMITS.collect.maxUrlLength).openapi({ example: "/pricing" }),
  device: z.enum(HEAT_DEVICES).default("desktop"),
});
const Snapshot = z
  .object({
    path: z.string(),
    device: z.enum(HEAT_DEVICES),
    takenAt: z.string(),
    width: z.number().int().openapi({ description: "The page's width in CSS pixels when it was taken." }),
    height: z.number().int().openapi({ description: "The page's full height in CSS pixels." }),
    node: z.record(z.string(), z.unknown()).openapi({
      description:
        "The page's DOM as rrweb-snapshot serialises it, masked as recordings are; rebuild it with rrweb-snapshot.",
    }),
  })
  .openapi("PageSnapshot");

/**
 * The stored `{"node":…,"width":…,"height":…}`, inflated and streamed behind the snapshot's own
 * fields: `{"path":…,"device":…,"takenAt":…,` then the stored object without its `{`.
 */
function snapshotBody(gzipped: ReadableStream<Uint8Array>, fields: Record<string, string>): ReadableStream<Uint8Array> {
  const head = new TextEncoder().encode(`${JSON.stringify(fields).slice(0, -1)},`);
  let first = true;
  return gzipped.pipeThrough(new DecompressionStream("gzip")).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, out) {
        if (first && chunk.byteLength > 0) {
          first = false;
          out.enqueue(head);
          out.enqueue(chunk.subarray(1));
        } else out.enqueue(chunk);
      },
    }),
  );
}

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
        "page grid; or how far down the page pageviews reached. Over whole UTC days, of all visitors or of " +
        "those served one variant of a flag that splits heatmaps.",
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
      path: "/sites/{siteId}/heatmaps/snapshot",
      tags: ["heatmaps"],
      summary: "The page to draw a heatmap over",
      description:
        "The newest snapshot of the page for the device class, taken by a visitor's browser when the edge asked " +
        "one to (the first visitor of a page, then again once it is a week old).",
      security: bearer,
      middleware: requireScope("read"),
      request: { params: Params, query: SnapshotQuery },
      responses: { 200: json(Snapshot, "The snapshot"), ...errorResponses(400, 401, 403, 404, 503) },
    }),
    async (c) => {
      const { siteId } = c.req.valid("param");
      const { path, device } = c.req.valid("query");
      let site: SiteRow | null;
      try {
        site = await sitesData.getSite(c.get("db")(), c.get("caller").account.id, siteId);
      } catch (err) {
        throw databaseUnavailable(err);
      }
      if (!site) return fail(c, "NOT_FOUND", "No such site.");
      const bucket = c.env.RECORDINGS;
      const [newest] = (await bucket.list({ prefix: await snapshotPrefix(siteId, device, path), limit: 1 })).objects;
      const object = newest ? await bucket.get(newest.key) : null;
      if (!newest || !object) {
        return fail(
          c,
          "SNAPSHOT_NOT_FOUND",
          "No snapshot of this page for this device yet: the next visitor of it with heatmaps on takes one.",
        );
      }
      const takenAt = new Date(snapshotTakenAt(newest.key)).toISOString();
      return c.body(snapshotBody(object.body, { path, device, takenAt }), 200, {
        "Content-Type": "application/json",
        "Cache-Control": "private, max-age=60",
      }) as never;
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sites/{siteId}/frustration",
      tags: ["heatmaps"],
      summary: "Where visitors are frustrated",
      description: `Pages and elements ranked by rage and dead clicks over whole UTC days, every device, of all visitors or of those served one flag variant; at most ${LIMITS.api.maxFrustrationRows}.`,
      security: bearer,
      middleware: requireScope("read"),
      request: { params: Params, query: days(Days.extend(Variant.shape)) },
      responses: { 200: json(Frustration, "The ranking"), ...errorResponses(400, 401, 403, 404, 503) },
    }),
    async (c) => {
      const { siteId } = c.req.valid("param");
      const q = c.req.valid("query");
      const accountId = c.get("caller").account.id;
      return cachedRead(c, async (db) => {
        if (!(await sitesData.getSite(db, accountId, siteId))) return null;
        return { items: await heatmapsData.frustration(db, siteId, q.from, q.to, q.variant) };
      });
    },
  );
