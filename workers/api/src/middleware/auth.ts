/**
 * Who is calling: a dashboard session (cookie) or an API token (Bearer). Lookups are cached
 * by the secret's hash, so a known caller is still recognised while Postgres is down.
 */
import { hashSecret, looksLikeApiToken } from "@sightline/core/auth";
import { accountsData } from "@sightline/db";
import { errorJson } from "@sightline/http";
import { scopeAllows, type TokenScope } from "@sightline/shared/auth";
import { LIMITS } from "@sightline/shared/limits";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import type { Caller, HonoEnv } from "../env.ts";
import { databaseUnavailable } from "../lib/db-errors.ts";
import { readCache } from "../lib/read-cache.ts";
import { rateLimit } from "./rate-limit.ts";

export const SESSION_COOKIE = "sl_session";

/** Each token (or a session's account) gets its own request budget. */
const callerLimit = rateLimit("api", { limit: LIMITS.api.requestsPerMinute, windowMs: 60_000 }, (c) => {
  const caller = c.get("caller");
  return caller.tokenId ?? `account:${caller.account.id}`;
});

async function lookup(c: Context<HonoEnv>, kind: "session" | "token", hash: string): Promise<Caller | null> {
  const cache = readCache(c.get("env"));
  const key = `auth:${kind}:${hash}`;
  try {
    const db = c.get("db")();
    let caller: Caller | null = null;
    if (kind === "session") {
      const account = await accountsData.accountForSession(db, hash);
      if (account) caller = { account, via: "session", scopes: ["admin"] };
    } else {
      const row = await accountsData.accountForToken(db, hash);
      if (row) {
        caller = { account: { id: row.id, email: row.email }, via: "token", scopes: row.scopes, tokenId: row.tokenId };
        c.executionCtx.waitUntil(accountsData.touchToken(db, row.tokenId).catch(() => undefined));
      }
    }
    c.executionCtx.waitUntil(cache.put(key, caller));
    return caller;
  } catch (err) {
    const hit = await cache.get(key);
    if (hit) return hit.value as Caller | null;
    throw databaseUnavailable(err);
  }
}

/** Requires a caller whose scopes include `scope` (a session carries every scope). */
export function requireAuth(scope: TokenScope): MiddlewareHandler<HonoEnv> {
  return async function requireAuth(c, next) {
    const header = c.req.header("authorization");
    let caller: Caller | null = null;
    if (header) {
      const token = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
      if (looksLikeApiToken(token)) caller = await lookup(c, "token", await hashSecret(token));
    } else {
      const cookie = getCookie(c, SESSION_COOKIE);
      if (cookie && cookie.length < 200) caller = await lookup(c, "session", await hashSecret(cookie));
    }
    if (!caller) return errorJson(c, "UNAUTHENTICATED", "Log in or send a valid API token.");
    if (!scopeAllows(caller.scopes, scope)) {
      return errorJson(c, "FORBIDDEN", `This token lacks the ${scope} scope.`);
    }
    c.set("caller", caller);
    c.get("logFields").account = caller.account.id;
    await callerLimit(c, next);
  };
}
