/**
 * Who is calling: a dashboard session (cookie) or an API token (Bearer). `authenticate` runs
 * once per request, for every route after the public ones: the client address's budget
 * first (before any lookup), then one lookup, then the caller's own budget. Routes then
 * state the scope they need with `requireScope`, which looks nothing up.
 *
 * A found identity is kept in the read cache for `LIMITS.api.identityCacheMs`, and answers
 * from there only while Postgres is unreachable; logout and revocation delete it. Unknown
 * credentials are never cached.
 */
import { hashSecret, looksLikeApiToken } from "@sightline/core/auth";
import { accountsData } from "@sightline/db";
import { errorJson } from "@sightline/http";
import { scopeAllows, type TokenScope } from "@sightline/shared/auth";
import { LIMITS } from "@sightline/shared/limits";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import type { Caller, HonoEnv } from "../env.ts";
import { databaseUnavailable, isConnectionError } from "../lib/db-errors.ts";
import { readCache } from "../lib/read-cache.ts";
import { clientAddress, spend } from "./rate-limit.ts";

/** `__Host-`: the browser keeps it only if Secure, Path=/ and without Domain. */
export const SESSION_COOKIE = "__Host-sl_session";

const MINUTE = { windowMs: 60_000 };
const CALLER_RULE = { limit: LIMITS.api.requestsPerMinute, ...MINUTE };
const ADDRESS_RULE = { limit: LIMITS.api.requestsPerMinutePerAddress, ...MINUTE };
const MAX_SECRET_LENGTH = 200;

export type CredentialKind = "session" | "token";

const identityKey = (kind: CredentialKind, hash: string) => `auth:${kind}:${hash}`;

/** The session secret from the cookie, when there is a plausible one. */
export function sessionSecret(c: Context<HonoEnv>): string | null {
  const cookie = getCookie(c, SESSION_COOKIE);
  return cookie && cookie.length < MAX_SECRET_LENGTH ? cookie : null;
}

/** The credential the request presents: a Bearer token wins over the cookie. */
function credentialOf(c: Context<HonoEnv>): { kind: CredentialKind; secret: string } | null {
  const header = c.req.header("authorization");
  if (header !== undefined) {
    const token = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    return looksLikeApiToken(token) ? { kind: "token", secret: token } : null;
  }
  const secret = sessionSecret(c);
  return secret ? { kind: "session", secret } : null;
}

/** Removes a credential's cached identity: after logout or revocation it must never answer. */
export async function forgetIdentity(c: Context<HonoEnv>, kind: CredentialKind, hash: string): Promise<void> {
  await readCache(c.get("env")).delete(identityKey(kind, hash));
}

async function lookup(c: Context<HonoEnv>, kind: CredentialKind, hash: string): Promise<Caller | null> {
  const cache = readCache(c.get("env"));
  const key = identityKey(kind, hash);
  let caller: Caller | null = null;
  try {
    const db = c.get("db")();
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
  } catch (err) {
    if (!isConnectionError(err)) throw databaseUnavailable(err);
    const hit = await cache.get(key);
    if (hit?.value && Date.now() - hit.storedAt <= LIMITS.api.identityCacheMs) {
      c.get("logFields").identity = "cached";
      return hit.value as Caller;
    }
    throw databaseUnavailable(err);
  }
  if (caller) c.executionCtx.waitUntil(cache.put(key, caller, Math.ceil(LIMITS.api.identityCacheMs / 1000)));
  return caller;
}

/** Finds the caller once per request and spends one unit of its budget; 401 without one. */
export function authenticate(): MiddlewareHandler<HonoEnv> {
  return async function authenticate(c, next) {
    const limited = await spend(c, "api:address", ADDRESS_RULE, clientAddress(c), { headers: false });
    if (limited) return limited;
    const credential = credentialOf(c);
    const caller = credential && (await lookup(c, credential.kind, await hashSecret(credential.secret)));
    if (!caller) return errorJson(c, "UNAUTHENTICATED", "Log in or send a valid API token.");
    c.set("caller", caller);
    c.get("logFields").account = caller.account.id;
    const refused = await spend(c, "api", CALLER_RULE, caller.tokenId ?? `account:${caller.account.id}`);
    if (refused) return refused;
    await next();
  };
}

/** A route's scope: a check of the caller `authenticate` found (a session has every scope). */
export function requireScope(scope: TokenScope): MiddlewareHandler<HonoEnv> {
  return async function requireScope(c, next) {
    const caller = c.get("caller") as Caller | undefined;
    if (!caller) return errorJson(c, "UNAUTHENTICATED", "Log in or send a valid API token.");
    if (!scopeAllows(caller.scopes, scope)) return errorJson(c, "FORBIDDEN", `This token lacks the ${scope} scope.`);
    await next();
  };
}
