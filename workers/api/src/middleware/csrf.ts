/**
 * Cross-site request forgery, beyond SameSite=Lax: a request that changes something and
 * carries the session cookie must come from the API's own origin, as the browser tells it:
 * `Sec-Fetch-Site: same-origin`, or an `Origin` equal to ours. Browsers send both on every
 * such fetch and a page cannot forge either; a request with neither is refused. Bearer
 * tokens are not sent by browsers on their own, so token requests are not checked.
 */
import { errorJson } from "@sightline/http";
import type { MiddlewareHandler } from "hono";
import type { HonoEnv } from "../env.ts";
import { SESSION_COOKIE } from "./auth.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function csrf(): MiddlewareHandler<HonoEnv> {
  return async function csrf(c, next) {
    if (SAFE_METHODS.has(c.req.method)) return next();
    if (c.req.header("authorization") !== undefined) return next();
    const cookies = c.req.header("cookie") ?? "";
    if (!cookies.includes(`${SESSION_COOKIE}=`)) return next();
    const site = c.req.header("sec-fetch-site");
    const origin = c.req.header("origin");
    const sameOrigin = site === "same-origin" || (site === undefined && origin === new URL(c.req.url).origin);
    if (!sameOrigin) {
      c.get("logFields").csrf = "refused";
      return errorJson(c, "FORBIDDEN", "A request with the session cookie must come from this origin.");
    }
    await next();
  };
}
