/**
 * Request id, a request-scoped logger, and one log line per request with route, status,
 * duration and site. The id is returned in `X-Request-Id`.
 */
import { uuidv7 } from "@sightline/shared/ids";
import type { Context, MiddlewareHandler } from "hono";
import { createLogger, type LogFields, type Logger, writeLine } from "./log.ts";

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
    c.set("requestId", requestId);
    c.set("log", createLogger({ service: opts.service, requestId }));
    // The access line itself, in its key order; routes add their fields to it.
    const line: LogFields = {
      level: "info",
      msg: "request",
      service: opts.service,
      requestId,
      method: c.req.method,
      route: "",
      status: 0,
      ms: 0,
    };
    c.set("logFields", line);
    await next();
    setRequestId(c, requestId);
    if (quiet.has(c.req.path)) return;
    line.route = c.req.routePath;
    line.status = c.res.status;
    line.ms = Math.round((performance.now() - started) * 100) / 100;
    writeLine("info", line);
  };
}

/**
 * On the finished response: one header set, where setting it before the handler would make
 * Hono merge header sets into every response. A response with immutable headers (from fetch
 * or the cache) goes through Hono's copy instead.
 */
function setRequestId(c: Context, id: string): void {
  try {
    c.res.headers.set("X-Request-Id", id);
  } catch {
    c.header("X-Request-Id", id);
  }
}
