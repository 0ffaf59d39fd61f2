/** Sites: create, list, read, update, delete. Every write also publishes the edge record. */
import { createRoute, z } from "@hono/zod-openapi";
import { type SiteRow, sitesData } from "@sightline/db";
import { snapshotSitePrefix } from "@sightline/shared/heatmap";
import { RECORDING_CONSENT } from "@sightline/shared/site";
import { siteChangesSchema, siteSettingsSchema } from "@sightline/shared/site/settings";
import type { Context } from "hono";
import { edge, type HonoEnv } from "../env.ts";
import { databaseUnavailable } from "../lib/db-errors.ts";
import { bearer, documented, errorResponses, fail, json, PageQuery, router } from "../lib/openapi.ts";
import { deleteUnder } from "../lib/recording-objects.ts";
import { cachedRead } from "../lib/stale.ts";
import { requireScope } from "../middleware/auth.ts";

/** The settings the API takes, defined once for it and the dashboard's site forms. */
const SiteSettings = documented(siteSettingsSchema, "input", "SiteSettings");
const SiteChanges = documented(siteChangesSchema, "input", "SiteChanges");

export const Site = z
  .object({
    id: z.string(),
    name: z.string(),
    key: z.string(),
    origins: z.array(z.string()),
    dailyEventQuota: z.number().int(),
    retentionDays: z.number().int(),
    timeZone: z.string().openapi({ description: "IANA time zone the dashboard's days are in." }),
    hashRoutes: z.boolean().openapi({ description: "Whether hash routes (`#/…`, `#!/…`) count as pages." }),
    shards: z.number().int().openapi({ description: "Aggregator shards the site's events are split over." }),
    recordingSampleRate: z.number().openapi({ description: "Share of sessions recorded, 0 to 1." }),
    recordingDailyQuota: z.number().int().openapi({ description: "Recorded sessions started per UTC day at most." }),
    recordingRetentionDays: z.number().int().openapi({ description: "Days a recording is kept." }),
    maskAllText: z.boolean().openapi({ description: "Whether recordings mask every text." }),
    recordingConsent: z.enum(RECORDING_CONSENT).openapi({
      description: "`opt-in`: a sampled session records only once the page called `sightline('consent', true)`.",
    }),
    heatmaps: z.boolean().openapi({ description: "Whether the tracker sends heatmap events." }),
    createdAt: z.string(),
    updatedAt: z.string(),
    snippet: z.string(),
  })
  .openapi("Site");

const SiteParams = z.object({ siteId: z.string().min(1).max(64) });

function present(c: Context<HonoEnv>, s: SiteRow): z.infer<typeof Site> {
  const ingest = c.get("env").INGEST_ORIGIN ?? new URL(c.req.url).origin;
  return {
    id: s.id,
    name: s.name,
    key: s.key,
    origins: s.origins,
    dailyEventQuota: s.dailyEventQuota,
    retentionDays: s.retentionDays,
    timeZone: s.timeZone,
    hashRoutes: s.hashRoutes,
    shards: s.shards,
    recordingSampleRate: s.recordingSampleRate,
    recordingDailyQuota: s.recordingDailyQuota,
    recordingRetentionDays: s.recordingRetentionDays,
    maskAllText: s.maskAllText,
    recordingConsent: s.recordingConsent,
    heatmaps: s.heatmaps,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    snippet: `<script async src="${ingest}/s/${s.key}.js"></script>`,
  };
}

export const sites = router();

sites
  .openapi(
    createRoute({
      method: "get",
      path: "/sites",
      tags: ["sites"],
      summary: "List your sites",
      security: bearer,
      middleware: requireScope("read"),
      request: { query: PageQuery },
      responses: {
        200: json(z.object({ items: z.array(Site), nextCursor: z.string().nullable() }), "A page of sites"),
        ...errorResponses(400, 401, 403, 503),
      },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const accountId = c.get("caller").account.id;
      return cachedRead(c, async (db) => {
        const rows = await sitesData.listSites(db, accountId, limit + 1, cursor);
        const page = rows.slice(0, limit);
        return {
          items: page.map((s) => present(c, s)),
          nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
        };
      });
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/sites",
      tags: ["sites"],
      summary: "Create a site; the answer carries its install snippet",
      security: bearer,
      middleware: requireScope("write"),
      request: { body: { required: true, content: { "application/json": { schema: SiteSettings } } } },
      responses: { 201: json(Site, "The new site"), ...errorResponses(400, 401, 403, 503) },
    }),
    async (c) => {
      const settings = c.req.valid("json");
      try {
        const row = await sitesData.createSite(c.get("db")(), c.get("caller").account.id, settings, (s) =>
          edge(c.env).putSite(sitesData.edgeRecordOf(s)),
        );
        return c.json(present(c, row), 201);
      } catch (err) {
        throw databaseUnavailable(err);
      }
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sites/{siteId}",
      tags: ["sites"],
      summary: "Read a site",
      security: bearer,
      middleware: requireScope("read"),
      request: { params: SiteParams },
      responses: { 200: json(Site, "The site"), ...errorResponses(401, 403, 404, 503) },
    }),
    async (c) => {
      const { siteId } = c.req.valid("param");
      const accountId = c.get("caller").account.id;
      const found = await cachedRead(c, async (db) => {
        const row = await sitesData.getSite(db, accountId, siteId);
        return row ? present(c, row) : null;
      });
      return found;
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/sites/{siteId}",
      tags: ["sites"],
      summary: "Change a site's settings",
      security: bearer,
      middleware: requireScope("write"),
      request: {
        params: SiteParams,
        body: { required: true, content: { "application/json": { schema: SiteChanges } } },
      },
      responses: { 200: json(Site, "The updated site"), ...errorResponses(400, 401, 403, 404, 503) },
    }),
    async (c) => {
      const { siteId } = c.req.valid("param");
      const body = c.req.valid("json");
      // .partial() keeps the defaults; take only what the caller sent. No body reads as {}.
      const sent = await c.req.json<Record<string, unknown>>().catch(() => ({}));
      const changes = Object.fromEntries(Object.entries(body).filter(([k]) => k in sent));
      let row: SiteRow | null;
      try {
        row = await sitesData.updateSite(c.get("db")(), c.get("caller").account.id, siteId, changes, (s) =>
          edge(c.env).putSite(sitesData.edgeRecordOf(s)),
        );
      } catch (err) {
        throw databaseUnavailable(err);
      }
      if (!row) return fail(c, "NOT_FOUND", "No such site.");
      return c.json(present(c, row), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/sites/{siteId}",
      tags: ["sites"],
      summary: "Delete a site and its data",
      security: bearer,
      middleware: requireScope("write"),
      request: { params: SiteParams },
      responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404, 503) },
    }),
    async (c) => {
      const { siteId } = c.req.valid("param");
      let deleted: boolean;
      try {
        deleted = await sitesData.deleteSite(c.get("db")(), c.get("caller").account.id, siteId, (s) =>
          edge(c.env).deleteSite(s.key),
        );
      } catch (err) {
        throw databaseUnavailable(err);
      }
      if (!deleted) return fail(c, "NOT_FOUND", "No such site.");
      // Its page snapshots go too (the tombstone keeps new ones out: the edge no longer knows the site).
      await deleteUnder(c.env.RECORDINGS, snapshotSitePrefix(siteId));
      return c.body(null, 204);
    },
  );
