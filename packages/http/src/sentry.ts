/** Error reporting through toucan-js (Sentry), only when a DSN is configured. */
import type { Context } from "hono";
import { Toucan } from "toucan-js";
import type { RequestContextEnv } from "./request-context.ts";

export interface SentryEnv {
  SENTRY_DSN?: string;
  SENTRY_RELEASE?: string;
  ENVIRONMENT?: string;
}

export function sentryFor(
  env: SentryEnv,
  ctx: { waitUntil(p: Promise<unknown>): void },
  request?: Request,
): Toucan | null {
  if (!env.SENTRY_DSN) return null;
  return new Toucan({
    dsn: env.SENTRY_DSN,
    context: ctx,
    request,
    release: env.SENTRY_RELEASE,
    environment: env.ENVIRONMENT,
    // Never send headers or cookies: they can carry tokens.
    requestDataOptions: { allowedHeaders: ["user-agent", "content-type"], allowedCookies: [] },
  });
}

export async function reportError<E extends RequestContextEnv>(c: Context<E>, err: unknown): Promise<void> {
  const env = (c.env ?? {}) as SentryEnv;
  let ctx: { waitUntil(p: Promise<unknown>): void };
  try {
    ctx = c.executionCtx;
  } catch {
    return; // app.request() in unit tests has no execution context
  }
  const sentry = sentryFor(env, ctx, c.req.raw);
  if (!sentry) return;
  sentry.setTag("requestId", c.get("requestId") ?? "");
  sentry.setTag("route", c.req.routePath);
  sentry.captureException(err);
}
