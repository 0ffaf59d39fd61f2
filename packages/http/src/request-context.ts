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
  const quiet = new Set(opts.quietPaths ?? []);
  return async function requestContext(c, next) {
    const started = performance.now();
    // Cloudflare's ray id ties our line to its own logs; locally there is none.
    const requestId = c.req.header("cf-ray") ?? uuidv7();
    const log = createLogger({ service: opts.service, requestId });
    c.set("requestId", requestId);
    c.set("log", log);
    const fields: LogFields = {};
    c.set("logFields", fields);
    await next();
    setRequestId(c.res, requestId, (v) => c.header("X-Request-Id", v));
    if (quiet.has(c.req.path)) return;
    fields.method = c.req.method;
    fields.route = c.req.routePath;
    fields.status = c.res.status;
    fields.ms = Math.round((performance.now() - started) * 100) / 100;
    log.info("request", fields);
  };
}

/**
 * On the finished response: one header set, where setting it before the handler would make
 * Hono merge header sets into every response. A response with immutable headers (from fetch
 * or the cache) goes through Hono's copy instead.
 */
function setRequestId(res: Response, id: string, viaCopy: (id: string) => void): void {
  try {
    res.headers.set("X-Request-Id", id);
  } catch {
    viaCopy(id);
  }
}
