/** The one error shape at the edge, for every 4xx and 5xx a worker answers. */
import { ERROR_STATUS, type ErrorBody, type ErrorCode, SightlineError } from "@sightline/shared/errors";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { describeError } from "./log.ts";
import type { RequestContextEnv } from "./request-context.ts";
import { reportError } from "./sentry.ts";

export function errorJson<E extends RequestContextEnv>(
  c: Context<E>,
  code: ErrorCode,
  message: string,
  headers?: Record<string, string>,
): Response {
  const body: ErrorBody = { error: { code, message, requestId: c.get("requestId") ?? "" } };
  const fields = c.get("logFields");
  if (fields) fields.code = code;
  return c.json(body, ERROR_STATUS[code] as ContentfulStatusCode, headers);
}

const HTTP_CODES: Partial<Record<number, ErrorCode>> = {
  400: "BAD_REQUEST",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "RATE_LIMITED",
  503: "SERVICE_UNAVAILABLE",
};

/**
 * `app.onError`: known errors keep their code (those of 5xx are logged and reported); anything
 * else is logged, reported, and a bare 500.
 */
export async function onError<E extends RequestContextEnv>(err: Error, c: Context<E>): Promise<Response> {
  if (err instanceof SightlineError) {
    if (err.status >= 500) {
      // An outage or a misconfiguration is something to be told about, not only to log.
      c.get("log")?.error("request failed", { code: err.code, ...describeError(err.cause) });
      await reportError(c, err);
    }
    return errorJson(c, err.code, err.message, err.retry ? { "Retry-After": "5" } : undefined);
  }
  if (err instanceof HTTPException && err.status < 500) {
    const code = HTTP_CODES[err.status] ?? "BAD_REQUEST";
    return errorJson(c, code, err.message || code);
  }
  c.get("log")?.error("unhandled error", describeError(err));
  await reportError(c, err);
  return errorJson(c, "INTERNAL_ERROR", "Something went wrong on our side. It has been logged.");
}

export function onNotFound<E extends RequestContextEnv>(c: Context<E>): Response {
  return errorJson(c, "NOT_FOUND", `No route for ${c.req.method} ${new URL(c.req.url).pathname}`);
}
