/** What the browser-facing POST routes (collect, record) share: CORS and the media type. */
import type { Context } from "hono";
import type { HonoEnv } from "../env.ts";

/**
 * The preflight of a browser POST. The site is in the body, so it cannot be checked here; the
 * POST is.
 */
export function preflight(c: Context<HonoEnv>) {
  const origin = c.req.header("origin");
  if (!origin) return c.body(null, 204);
  return c.body(null, 204, {
    "Access-Control-Allow-Origin": origin,
    "Access-Control-Allow-Methods": "POST",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "86400",
    Vary: "Origin",
  });
}

/** The CORS headers of an answer to `origin` (none without one). */
export function corsFor(origin: string | undefined): Record<string, string> {
  return origin ? { "Access-Control-Allow-Origin": origin, Vary: "Origin" } : {};
}

/** The request's media type, lowercase, without parameters. */
export function mediaType(c: Context<HonoEnv>): string {
  return (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}
