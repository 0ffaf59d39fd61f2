/**
 * OFREP 0.3.0 (the OpenFeature Remote Evaluation Protocol) at the edge, under /ofrep/v1:
 * `POST /evaluate/flags/{key}` evaluates one flag, `POST /evaluate/flags` every flag of the
 * site (ETag / 304). Browsers authenticate with the site's public key as `X-API-Key`, and
 * their Origin must be one of the site's; they are answered the site's public flags, what the
 * loader carries. A server adds an API token of the site's account
 * (`Authorization: Bearer sl_…`, any scope: `flags` is the one to give it) and is answered
 * every flag, private targeting included: a list no one holding only the public key can probe.
 * Flags come from KV through an isolate cache (lib/flags.ts) and are evaluated by the shared
 * evaluator the loader also runs.
 *
 * Bodies the spec shapes (400, 404, the evaluations) are exactly its shapes. The statuses it
 * leaves without a body (401, 403, 413, 429) carry our one error shape and its stable codes.
 *
 * Reasons: the evaluator answers DEFAULT when a flag has rules, none matched and there is no
 * rollout. OFREP's enum lists STATIC, TARGETING_MATCH, SPLIT, DISABLED and UNKNOWN, but its
 * text defers to OpenFeature's reasons, where DEFAULT is this case exactly; Flipt's and
 * flagd's OFREP answer it, and the OpenFeature providers pass the reason through as it is. So
 * it is sent as DEFAULT: UNKNOWN would throw away what is known, STATIC would say there was
 * nothing to match.
 */

import { hashSecret, looksLikeApiToken } from "@sightline/core/auth";
import { errorJson } from "@sightline/http";
import { SightlineError } from "@sightline/shared/errors";
import { type EvaluationContext, evaluateAll, evaluateFlag } from "@sightline/shared/flags";
import { FLAG_LIMITS } from "@sightline/shared/limits/flags";
import { type EdgeToken, edgeTokenKvKey } from "@sightline/shared/site";
import { type Context, Hono } from "hono";
import type { HonoEnv } from "../env.ts";
import { readTextCapped } from "../lib/body.ts";
import { edgeAttributes, findFlags } from "../lib/flags.ts";
import { corsFor } from "../lib/http.ts";
import { findSite } from "../lib/sites.ts";

const L = FLAG_LIMITS;

type RequestFailure = { errorCode: "PARSE_ERROR" | "INVALID_CONTEXT"; errorDetails: string };

export const ofrep = new Hono<HonoEnv>();

// The site is named by a header a preflight does not carry, so any origin is answered here
// and the POST checks it.
ofrep.options("/evaluate/*", (c) => {
  const origin = c.req.header("origin");
  if (!origin) return c.body(null, 204);
  return c.body(null, 204, {
    "Access-Control-Allow-Origin": origin,
    "Access-Control-Allow-Methods": "POST",
    "Access-Control-Allow-Headers": "Content-Type, X-API-Key, If-None-Match",
    "Access-Control-Max-Age": "86400",
    Vary: "Origin",
  });
});

/** Authenticates, limits and reads the request; a Response when it is refused. */
async function evaluationRequest(c: Context<HonoEnv>) {
  const env = c.get("env");
  const origin = c.req.header("origin");
  // ETag is exposed so the web provider can send it back as If-None-Match.
  const cors = origin ? { ...corsFor(origin), "Access-Control-Expose-Headers": "ETag" } : {};
  const siteKey = c.req.header("x-api-key");
  const site = siteKey ? await findSite(env.SITES, siteKey, c.get("log")) : null;
  if (!siteKey || !site) {
    return errorJson(c, "UNAUTHENTICATED", "Send the site's key as X-API-Key; this one is not a site's.", cors);
  }
  c.get("logFields").site = site.siteId;
  const server = await isServer(c, site.accountId);
  if (server === null) {
    return errorJson(c, "UNAUTHENTICATED", "This token is not one of the site's account, or it was revoked.", cors);
  }
  // Without an Origin the caller is not a page (a server, a script); the key is public anyway.
  if (origin && !site.origins.includes(origin)) {
    return errorJson(c, "ORIGIN_NOT_ALLOWED", "This origin is not registered for the site.", cors);
  }
  const client = c.req.header("cf-connecting-ip") ?? "unknown";
  // Their own keys on the bindings /v1/collect uses, so flag polling does not spend event budget.
  const [perSite, perClient] = await Promise.all([
    env.SITE_LIMITER.limit({ key: `ofrep:${site.siteId}` }),
    env.CLIENT_LIMITER.limit({ key: `ofrep:${site.siteId}:${client}` }),
  ]);
  if (!perSite.success || !perClient.success) {
    c.get("logFields").limited = perSite.success ? "client" : "site";
    return errorJson(c, "RATE_LIMITED", "Too many requests; retry later.", { ...cors, "Retry-After": "10" });
  }

  let text: string;
  try {
    text = await readTextCapped(c.req.raw, L.maxContextBytes);
  } catch (err) {
    if (err instanceof SightlineError) return errorJson(c, err.code, err.message, cors);
    throw err;
  }
  const context = readContext(text);
  if ("errorCode" in context) return { cors, failure: context };
  // The caller's own country and device win over what the edge sees.
  const ctx: EvaluationContext = Object.assign(Object.create(null), edgeAttributes(c), context);
  const found = await findFlags(env.SITES, site.siteKey, c.get("log"));
  const flags = found && {
    record: server ? found.record : found.public,
    byKey: server ? found.byKey : found.publicByKey,
  };
  return { cors, ctx, flags, siteKey: site.siteKey, server };
}

/**
 * Whether the caller authenticated as a server: false without an Authorization header, true
 * with a live API token of the site's account (known to the edge by its hash, EdgeAdmin.putToken;
 * KV caches a read for a minute, so a revocation takes that long plus KV's propagation), null
 * for any other Authorization.
 */
async function isServer(c: Context<HonoEnv>, accountId: string | undefined): Promise<boolean | null> {
  const authorization = c.req.header("authorization");
  if (authorization === undefined) return false;
  const token = /^Bearer (\S+)$/i.exec(authorization)?.[1];
  if (!token || !looksLikeApiToken(token) || !accountId) return null;
  const known = await c.get("env").SITES.get<EdgeToken>(edgeTokenKvKey(await hashSecret(token)), {
    type: "json",
    cacheTtl: 60,
  });
  return known?.accountId === accountId ? true : null;
}

/**
 * The request's `context`, or why it cannot be read. A body without one is an empty context
 * (the web provider sends `{}` before it has one); a null targetingKey reads as absent.
 */
function readContext(text: string): Record<string, unknown> | RequestFailure {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { errorCode: "PARSE_ERROR", errorDetails: "The body is not valid JSON." };
  }
  if (!isObject(body)) return { errorCode: "PARSE_ERROR", errorDetails: "The body is not a JSON object." };
  const context = body.context ?? {};
  if (!isObject(context)) return invalid("context is not an object.");
  if (Object.keys(context).length > L.maxContextAttributes) {
    return invalid(`A context holds at most ${L.maxContextAttributes} attributes.`);
  }
  const { targetingKey, ...attributes } = context;
  if (targetingKey == null) return attributes;
  if (typeof targetingKey !== "string") return invalid("targetingKey is not a string.");
  if (targetingKey.length > L.maxTargetingKeyLength) {
    return invalid(`targetingKey is at most ${L.maxTargetingKeyLength} characters.`);
  }
  return { ...attributes, targetingKey };
}

const invalid = (errorDetails: string): RequestFailure => ({ errorCode: "INVALID_CONTEXT", errorDetails });

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

ofrep.post("/evaluate/flags/:key", async (c) => {
  const key = c.req.param("key");
  const req = await evaluationRequest(c);
  if (req instanceof Response) return req;
  if ("failure" in req) return c.json({ key, ...req.failure }, 400, req.cors);
  const flag = req.flags?.byKey.get(key);
  if (!flag) {
    return c.json({ key, errorCode: "FLAG_NOT_FOUND", errorDetails: `The site has no flag ${key}.` }, 404, req.cors);
  }
  const result = evaluateFlag(flag, req.ctx);
  return c.json(result, "errorCode" in result ? 400 : 200, req.cors);
});

ofrep.post("/evaluate/flags", async (c) => {
  const req = await evaluationRequest(c);
  if (req instanceof Response) return req;
  if ("failure" in req) return c.json(req.failure, 400, req.cors);
  const version = req.flags?.record.version ?? 0;
  // The answer is a function of the record and the context, so they are its tag.
  // A server is answered private flags too: its answer has a tag of its own.
  const etag = `"${version}-${await digest(`${req.siteKey}\n${version}\n${req.server}\n${canonical(req.ctx)}`)}"`;
  const headers = { ...req.cors, ETag: etag };
  if (matches(c.req.header("if-none-match"), etag)) return c.body(null, 304, headers);
  const flags = req.flags ? evaluateAll(req.flags.record, req.ctx) : [];
  return c.json({ flags, metadata: { version } }, 200, headers);
});

/** The context as JSON with its attributes in one order, whatever order the caller sent. */
function canonical(ctx: EvaluationContext): string {
  return JSON.stringify(
    Object.keys(ctx)
      .sort()
      .map((k) => [k, ctx[k]]),
  );
}

/** If-None-Match holds a list; weak tags compare equal to strong ones (RFC 9110, 13.1.2). */
function matches(header: string | undefined, etag: string): boolean {
  return header?.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag) ?? false;
}

async function digest(text: string): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(hash).slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
