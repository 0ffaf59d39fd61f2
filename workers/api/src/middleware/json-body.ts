/**
 * Every /v1 body is JSON and small. A body over `LIMITS.api.maxBodyBytes` is refused before
 * it is read (413), and a body that does not say it is JSON is refused (415): the route
 * validators only parse bodies sent as `application/json` and would otherwise see `{}`.
 */
import { errorJson } from "@sightline/http";
import { LIMITS } from "@sightline/shared/limits";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { HonoEnv } from "../env.ts";

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json(;|$)/i;

export function jsonBody(): MiddlewareHandler<HonoEnv> {
  const limit = bodyLimit({
    maxSize: LIMITS.api.maxBodyBytes,
    onError: (c) => errorJson(c, "PAYLOAD_TOO_LARGE", `A request body holds at most ${LIMITS.api.maxBodyBytes} bytes.`),
  });
  return async function jsonBody(c, next) {
    if (c.req.raw.body === null) return next();
    const type = c.req.header("content-type");
    const length = c.req.header("content-length");
    if (length !== "0" && (type === undefined || !JSON_TYPE.test(type.trim()))) {
      return errorJson(c, "UNSUPPORTED_MEDIA_TYPE", "Send the request body as application/json.");
    }
    return limit(c, next);
  };
}
