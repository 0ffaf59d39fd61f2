/**
 * The maintenance gate (docs/MAINTENANCE.md): while the global switch is on every /v1 route
 * answers `503 MAINTENANCE` with `Retry-After`, and while a site's is on, that site's routes do.
 * It runs before authentication, so a gated request costs no Postgres. Open through it: the
 * switches themselves, and setup, signing in and out and `/v1/me`, so an admin can use the dashboard
 * to turn maintenance off. The switches live in the ingest worker's KV (read over EDGE), cached
 * per isolate for `maintenanceCacheMs`.
 */
import { errorJson } from "@sightline/http";
import { LIMITS } from "@sightline/shared/limits";
import type { MaintenanceState } from "@sightline/shared/site";
import type { MiddlewareHandler } from "hono";
import { edge, type HonoEnv } from "../env.ts";

const OPEN = new Set(["/v1/maintenance", "/v1/setup", "/v1/auth/login", "/v1/auth/logout", "/v1/me"]);
// Site ids are newId("site"): a segment of other characters names no site, so it has no switch
// to read (and is never handed to KV; the route answers it).
const SITE_ROUTE = /^\/v1\/sites\/([A-Za-z0-9_-]{1,64})(\/.*)?$/;

const cache = new Map<string, { at: number; state: Promise<MaintenanceState> }>();

/** A switch as this isolate last read it, at most maintenanceCacheMs old. */
export function maintenanceOf(env: Env, siteId?: string): Promise<MaintenanceState> {
  const key = siteId ?? "";
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < LIMITS.api.maintenanceCacheMs) return hit.state;
  const state = edge(env).getMaintenance(siteId);
  cache.set(key, { at: Date.now(), state });
  // A failed read is not kept: the next request asks again.
  state.catch(() => cache.delete(key));
  return state;
}

/** After a flip through this isolate: it answers by the new state at once. */
export function forgetMaintenance(siteId?: string): void {
  cache.delete(siteId ?? "");
}

export function maintenanceGate(): MiddlewareHandler<HonoEnv> {
  return async function maintenance(c, next) {
    const path = new URL(c.req.url).pathname;
    if (OPEN.has(path)) return next();
    const site = SITE_ROUTE.exec(path);
    if (site?.[2] === "/maintenance") return next();
    const global = await maintenanceOf(c.env);
    const state = global.on ? global : site?.[1] ? await maintenanceOf(c.env, site[1]) : global;
    if (!state.on) return next();
    c.get("logFields").maintenance = global.on ? "global" : "site";
    const what = global.on ? "Sightline is" : "This site is";
    const note = state.message && !/[.!?]$/.test(state.message) ? `${state.message}.` : state.message;
    const message = note ? `${what} under maintenance: ${note}` : `${what} under maintenance. Try again later.`;
    return errorJson(c, "MAINTENANCE", message, { "Retry-After": String(LIMITS.api.maintenanceRetryAfterS) });
  };
}
