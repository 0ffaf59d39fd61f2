/**
 * Reads that survive a database outage: each good answer is kept in the read cache; when
 * Postgres fails, the last one is served with `X-Sightline-Stale: true`; with nothing kept,
 * a 503 with Retry-After. Any other failure is a bug and a 500. Keys are per account, so one account never sees another's data.
 */
import type { Db } from "@sightline/db";
import { errorJson } from "@sightline/http";
import type { Context } from "hono";
import type { HonoEnv } from "../env.ts";
import { databaseUnavailable, isConnectionError } from "./db-errors.ts";
import { readCache } from "./read-cache.ts";

export const STALE_HEADER = "X-Sightline-Stale";

/** Typed `never` for the same reason as `fail` in ./openapi.ts. */
export async function cachedRead<T>(c: Context<HonoEnv>, read: (db: Db) => Promise<T | null>): Promise<never> {
  return (await readThrough(c, read)) as never;
}

async function readThrough<T>(c: Context<HonoEnv>, read: (db: Db) => Promise<T | null>): Promise<Response> {
  const cache = readCache(c.get("env"));
  const url = new URL(c.req.url);
  const key = `read:${c.get("caller").account.id}:${url.pathname}${url.search}`;
  let value: T | null;
  try {
    value = await read(c.get("db")());
  } catch (err) {
    // A bug is a 500, never hidden behind an old answer.
    if (!isConnectionError(err)) throw databaseUnavailable(err);
    const hit = await cache.get(key);
    if (!hit) throw databaseUnavailable(err);
    c.get("logFields").stale = true;
    if (hit.value === null) return errorJson(c, "NOT_FOUND", "Not found.", { [STALE_HEADER]: "true" });
    return c.json(hit.value as object, 200, {
      [STALE_HEADER]: "true",
      Age: String(Math.max(0, Math.round((Date.now() - hit.storedAt) / 1000))),
    });
  }
  c.executionCtx.waitUntil(cache.put(key, value));
  if (value === null) return errorJson(c, "NOT_FOUND", "Not found.");
  return c.json(value as object, 200);
}
