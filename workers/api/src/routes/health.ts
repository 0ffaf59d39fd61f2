import { createDb } from "@sightline/db";
import { errorJson } from "@sightline/http";
import { LIMITS } from "@sightline/shared/limits";
import { sql } from "drizzle-orm";
import { Hono } from "hono";
import type { ApiEnv, HonoEnv } from "../env.ts";
import { maintenanceOf } from "../middleware/maintenance.ts";

/** Liveness and readiness; outside the API document, like any probe. */
export const health = new Hono<HonoEnv>();

/** Liveness, and whether maintenance is on (the API is up and answering 503 MAINTENANCE). */
health.get("/health", async (c) => {
  const { on, since } = await maintenanceOf(c.env).catch(() => ({ on: null, since: null }));
  return c.json({ status: "ok", service: "api", maintenance: { on, since } });
});

interface Probe {
  ok: boolean;
  ms: number;
}

/**
 * The last probe per database, shared by the isolate's requests (one in flight too), so a
 * public route cannot open a Postgres connection per call: one per `readyCacheMs` at most.
 */
const probes = new Map<string, { startedAt: number; result: Promise<Probe> }>();

async function probe(env: ApiEnv, waitUntil: (p: Promise<unknown>) => void): Promise<Probe> {
  const { db, close } = createDb({
    connectionString: env.DATABASE_URL,
    wsProxy: env.PG_WS_PROXY,
    connectTimeoutMs: LIMITS.db.connectTimeoutMs,
  });
  const started = performance.now();
  try {
    await db.execute(sql`select 1`);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch {
    return { ok: false, ms: Math.round(performance.now() - started) };
  } finally {
    waitUntil(close().catch(() => undefined));
  }
}

/** Readiness: Postgres answers. 503 with a code when it does not, never a bare 500. */
health.get("/ready", async (c) => {
  const env = c.get("env");
  let last = probes.get(env.DATABASE_URL);
  const cached = last !== undefined && Date.now() - last.startedAt <= LIMITS.api.readyCacheMs;
  if (!last || !cached) {
    last = { startedAt: Date.now(), result: probe(env, (p) => c.executionCtx.waitUntil(p)) };
    probes.set(env.DATABASE_URL, last);
  }
  const result = await last.result;
  const headers: Record<string, string> = { "Server-Timing": `db;dur=${result.ms}` };
  if (cached) headers.Age = String(Math.floor((Date.now() - last.startedAt) / 1000));
  if (result.ok) return c.json({ status: "ready", db: "ok" }, 200, headers);
  c.get("logFields").db = "down";
  return errorJson(c, "SERVICE_UNAVAILABLE", "The database is not reachable.", { ...headers, "Retry-After": "5" });
});
