/**
 * Request id, a request-scoped logger, and one log line per request with route, status,
 * duration and site. The id is returned in `X-Request-Id`.
 */
import { uuidv7 } from "@sightline/shared/ids";
import type { MiddlewareHandler } from "hono";
import { createLogger, type LogFields, type Logger } from "./log.ts";

export interface RequestContextVariables {
  requestId: string;
  log: Logger;
  /** Fields a route adds to its request line (site, counts), so there is one line a request. */
  logFields: LogFields;
}

export interface RequestContextEnv {
  Variables: RequestContextVariables;
}

export interface RequestContextOptions {
  service: string;
  /** Skip the access line for these paths (health probes). */
  quietPaths?: readonly string[];
}

export function requestContext(opts: RequestContextOptions): MiddlewareHandler<RequestContextEnv> {
  const base = createLogger({ service: opts.service });
  const quiet = new Set(opts.quietPaths ?? []);
  return async function requestContext(c, next) {
    const started = performance.now();
    // Cloudflare's ray id ties our line to its own logs; locally there is none.
    const requestId = c.req.header("cf-ray") ?? uuidv7();
    const log = base.with({ requestId });
    c.set("requestId", requestId);
    c.set("log", log);
    const fields: LogFields = {};
    c.set("logFields", fields);
    // Before next(): set afterwards, Hono would have to rebuild the finished response.
    c.header("X-Request-Id", requestId);
    await next();
    if (quiet.has(c.req.path)) return;
    log.info("request", {
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 100) / 100,
      ...fields,
    });
  };
}
