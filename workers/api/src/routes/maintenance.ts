/**
 * The maintenance switches (docs/MAINTENANCE.md): global and per site, read and flipped here,
 * by `pnpm maintenance on|off` when the API itself is unreachable. Stored in the ingest
 * worker's KV through EDGE; the gate that answers `503 MAINTENANCE` is middleware/maintenance.ts.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { sitesData } from "@sightline/db";
import { LIMITS } from "@sightline/shared/limits";
import type { MaintenanceState } from "@sightline/shared/site";
import type { Context } from "hono";
import { edge, type HonoEnv } from "../env.ts";
import { databaseUnavailable } from "../lib/db-errors.ts";
import { bearer, errorResponses, fail, json, router } from "../lib/openapi.ts";
import { requireScope } from "../middleware/auth.ts";
import { forgetMaintenance, maintenanceOf } from "../middleware/maintenance.ts";

const PublicMaintenance = z
  .object({
    on: z.boolean(),
    message: z.string(),
    since: z.string().nullable().openapi({ description: "When it was last flipped; null if never." }),
  })
  .openapi("PublicMaintenance");
const Maintenance = PublicMaintenance.extend({
  by: z.string().openapi({ description: "Who flipped it last: an account email, or `command`." }),
}).openapi("Maintenance");
const Flip = z
  .object({
    on: z.boolean(),
    message: z.string().max(LIMITS.api.maxMaintenanceMessageLength).default("").openapi({
      description: "Shown on the dashboard's maintenance page.",
    }),
  })
  .strict()
  .openapi("MaintenanceFlip");
const SiteParams = z.object({ siteId: z.string().min(1).max(64) });

const present = ({ on, message, since }: MaintenanceState) => ({
  on,
  message,
  since: since ? new Date(since).toISOString() : null,
});

async function flip(c: Context<HonoEnv>, body: z.infer<typeof Flip>, siteId?: string) {
  const state: MaintenanceState = { ...body, since: Date.now(), by: c.get("caller").account.email };
  await edge(c.env).putMaintenance(state, siteId);
  forgetMaintenance(siteId);
  c.get("log").info("maintenance flipped", { on: state.on, siteId: siteId ?? "global" });
  return { ...present(state), by: state.by };
}

/** The site must be the caller's: another account's switch is a 404, as its other routes are. */
async function ownSite(c: Context<HonoEnv>, siteId: string): Promise<boolean> {
  try {
    return (await sitesData.getSite(c.get("db")(), c.get("caller").account.id, siteId)) !== null;
  } catch (err) {
    throw databaseUnavailable(err);
  }
}

/** Before authentication: the dashboard's maintenance page reads the global switch signed out. */
export const maintenancePublic = router();

maintenancePublic.openapi(
  createRoute({
    method: "get",
    path: "/maintenance",
    tags: ["operations"],
    summary: "Whether the API is in maintenance (public)",
    responses: { 200: json(PublicMaintenance, "The global switch") },
  }),
  async (c) => c.json(present(await maintenanceOf(c.env)), 200),
);

export const maintenance = router();

maintenance
  .openapi(
    createRoute({
      method: "put",
      path: "/maintenance",
      tags: ["operations"],
      summary: "Turn maintenance on or off for the whole API",
      description:
        `While on, every /v1 route but this one, sign-in and \`/v1/me\` answers \`503 MAINTENANCE\` with ` +
        `\`Retry-After: ${LIMITS.api.maintenanceRetryAfterS}\`; ingestion goes on accepting. Other API isolates ` +
        `follow within ${LIMITS.api.maintenanceCacheMs / 1000} s plus KV propagation (about 60 s in production).`,
      security: bearer,
      middleware: requireScope("admin"),
      request: { body: { required: true, content: { "application/json": { schema: Flip } } } },
      responses: { 200: json(Maintenance, "The switch as now set"), ...errorResponses(400, 401, 403) },
    }),
    async (c) => c.json(await flip(c, c.req.valid("json")), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sites/{siteId}/maintenance",
      tags: ["operations"],
      summary: "Whether a site is in maintenance",
      security: bearer,
      middleware: requireScope("read"),
      request: { params: SiteParams },
      responses: { 200: json(PublicMaintenance, "The site's switch"), ...errorResponses(401, 403, 404, 503) },
    }),
    async (c) => {
      const { siteId } = c.req.valid("param");
      if (!(await ownSite(c, siteId))) return fail(c, "NOT_FOUND", "No such site.");
      return c.json(present(await maintenanceOf(c.env, siteId)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/sites/{siteId}/maintenance",
      tags: ["operations"],
      summary: "Turn maintenance on or off for one site",
      description:
        "While on, the site's routes (/v1/sites/{siteId}/...) answer `503 MAINTENANCE`; other sites and its " +
        "ingestion go on.",
      security: bearer,
      middleware: requireScope("admin"),
      request: {
        params: SiteParams,
        body: { required: true, content: { "application/json": { schema: Flip } } },
      },
      responses: { 200: json(Maintenance, "The switch as now set"), ...errorResponses(400, 401, 403, 404, 503) },
    }),
    async (c) => {
      const { siteId } = c.req.valid("param");
      if (!(await ownSite(c, siteId))) return fail(c, "NOT_FOUND", "No such site.");
      return c.json(await flip(c, c.req.valid("json"), siteId), 200);
    },
  );
