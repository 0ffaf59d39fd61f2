/**
 * Which database failures are an outage (503, stale reads) and which are bugs (500): judged
 * on the errors the real driver throws, through the local bridge.
 */
import { env } from "cloudflare:test";
import { createDb } from "@sightline/db";
import { SightlineError } from "@sightline/shared/errors";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { databaseUnavailable, isConnectionError } from "../src/lib/db-errors.ts";

const wsProxy = (env as { PG_WS_PROXY?: string }).PG_WS_PROXY;

async function failureOf(connectionString: string, query = sql`select 1`): Promise<unknown> {
  const { db, close } = createDb({ connectionString, wsProxy, connectTimeoutMs: 2_000 });
  try {
    await db.execute(query);
  } catch (err) {
    return err;
  } finally {
    await close().catch(() => undefined);
  }
  throw new Error("the query did not fail");
}

describe("databaseUnavailable", () => {
  it("turns an unreachable Postgres into 503 SERVICE_UNAVAILABLE with retry", async () => {
    const err = await failureOf("postgresql://postgres@127.0.0.1:1/unreachable");
    expect(isConnectionError(err)).toBe(true);
    const out = databaseUnavailable(err);
    expect(out).toBeInstanceOf(SightlineError);
    expect(out).toMatchObject({ code: "SERVICE_UNAVAILABLE", status: 503, retry: true });
  });

  it("lets a bad query, a constraint or a missing database surface as themselves (a 500)", async () => {
    const failures = [
      await failureOf(env.DATABASE_URL, sql`select * from no_such_table`),
      await failureOf(env.DATABASE_URL, sql`select 1/0`),
      await failureOf(env.DATABASE_URL, sql`select 'websocket connection terminated'::int`),
      await failureOf(env.DATABASE_URL.replace(/\/[^/?]+(\?|$)/, "/no_such_database$1")),
    ];
    for (const err of failures) {
      expect(isConnectionError(err), String(err)).toBe(false);
      expect(databaseUnavailable(err)).toBe(err);
    }
    const bug = new TypeError("cannot read properties of undefined");
    expect(databaseUnavailable(bug)).toBe(bug);
    expect(databaseUnavailable("a string")).toBeInstanceOf(Error);
  });

  it("logs what the pool reports about idle connections instead of dropping it", () => {
    const seen: Error[] = [];
    const { pool, close } = createDb({ connectionString: env.DATABASE_URL, wsProxy, onError: (e) => seen.push(e) });
    pool.emit("error", new Error("terminating connection due to administrator command"));
    // The WebSocket driver emits events, not Errors; their message is kept.
    pool.emit("error", { type: "error", message: "WebSocket closed" });
    expect(seen.map((e) => e.message)).toEqual([
      "terminating connection due to administrator command",
      "WebSocket closed",
    ]);
    return close();
  });
});
