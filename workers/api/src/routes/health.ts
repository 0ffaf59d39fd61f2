import { createDb } from "@sightline/db";
import { errorJson } from "@sightline/http";
import { LIMITS } from "@sightline/shared/limits";
import { sql } from "drizzle-orm";
import { Hono } from "hono";
import type { HonoEnv } from "../env.ts";

/** Liveness and readiness; outside the API document, like any probe. */
export const health = new Hono<HonoEnv>();

health.get("/health", (c) => c.json({ status: "ok", service: "api" }));

/** Readiness: Postgres answers. 503 with a code when it does not, never a bare 500. */
health.get("/ready", async (c) => {
  const env = c.get("env");
  const { db, close } = createDb({
    connectionString: env.DATABASE_URL,
    wsProxy: env.PG_WS_PROXY,
    connectTimeoutMs: LIMITS.db.connectTimeoutMs,
  });
  const started = performance.now();
  try {
    await db.execute(sql`select 1`);
    const ms = Math.round(performance.now() - started);
    return c.json({ status: "ready", db: "ok" }, 200, { "Server-Timing": `db;dur=${ms}` });
  } catch {
    c.get("logFields").db = "down";
    return errorJson(c, "SERVICE_UNAVAILABLE", "The database is not reachable.", { "Retry-After": "5" });
  } finally {
    c.executionCtx.waitUntil(close().catch(() => undefined));
  }
});
