import { createDb } from "@sightline/db";
import { errorJson, onError, onNotFound, requestContext } from "@sightline/http";
import { LIMITS } from "@sightline/shared/limits";
import { sql } from "drizzle-orm";
import { Hono } from "hono";
import { apiEnv, type HonoEnv } from "./env.ts";

const app = new Hono<HonoEnv>();

app.use(requestContext({ service: "api", quietPaths: ["/health"] }));
app.use(async function init(c, next) {
  c.set("env", apiEnv(c.env));
  await next();
});

app.get("/", (c) => c.json({ name: "Sightline API", health: "/health", ready: "/ready" }));

/** Liveness: the worker runs. */
app.get("/health", (c) => c.json({ status: "ok", service: "api" }));

/** Readiness: Postgres answers. 503 with a code when it does not, never a bare 500. */
app.get("/ready", async (c) => {
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

app.onError(onError);
app.notFound(onNotFound);

export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
