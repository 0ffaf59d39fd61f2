import { OpenAPIHono } from "@hono/zod-openapi";
import { createDb } from "@sightline/db";
import { describeError, onError, onNotFound, requestContext } from "@sightline/http";
import { LIMITS } from "@sightline/shared/limits";
import { apiEnv, type HonoEnv } from "./env.ts";
import { authenticate, SESSION_COOKIE } from "./middleware/auth.ts";
import { csrf } from "./middleware/csrf.ts";
import { jsonBody } from "./middleware/json-body.ts";
import { maintenanceGate } from "./middleware/maintenance.ts";
import { account } from "./routes/account.ts";
import { auth } from "./routes/auth.ts";
import { docs } from "./routes/docs.ts";
import { flags } from "./routes/flags.ts";
import { health } from "./routes/health.ts";
import { heatmaps } from "./routes/heatmaps.ts";
import { maintenance, maintenancePublic } from "./routes/maintenance.ts";
import { pipeline } from "./routes/pipeline.ts";
import { recordings } from "./routes/recordings.ts";
import { sites } from "./routes/sites.ts";
import { stats } from "./routes/stats.ts";

export const app = new OpenAPIHono<HonoEnv>();

app.use(requestContext({ service: "api", quietPaths: ["/health"] }));
app.use(async function init(c, next) {
  const env = apiEnv(c.env);
  c.set("env", env);
  const held: { conn?: ReturnType<typeof createDb> } = {};
  c.set("db", () => {
    held.conn ??= createDb({
      connectionString: env.DATABASE_URL,
      wsProxy: env.PG_WS_PROXY,
      connectTimeoutMs: LIMITS.db.connectTimeoutMs,
      onError: (err) => c.get("log").error("postgres pool error", describeError(err)),
    });
    return held.conn.db;
  });
  try {
    await next();
  } finally {
    const close = held.conn?.close;
    if (close) c.executionCtx.waitUntil(close().catch(() => undefined));
  }
});

app.route("/", health);
app.use("/v1/*", csrf());
app.use("/v1/*", jsonBody());
// Before authentication, so a request gated by maintenance costs no Postgres.
app.use("/v1/*", maintenanceGate());
// Routes answer in the order they are registered: the public ones (setup, login, logout, the
// maintenance switch) first; every /v1 route after them needs a caller, found once here.
app.route("/v1", auth);
app.route("/v1", maintenancePublic);
app.use("/v1/*", authenticate());
app.route("/v1", maintenance);
app.route("/v1", account);
app.route("/v1", sites);
app.route("/v1", stats);
app.route("/v1", recordings);
app.route("/v1", heatmaps);
app.route("/v1", flags);
app.route("/v1", pipeline);

app.openAPIRegistry.registerComponent("securitySchemes", "session", {
  type: "apiKey",
  in: "cookie",
  name: SESSION_COOKIE,
});
app.openAPIRegistry.registerComponent("securitySchemes", "token", { type: "http", scheme: "bearer" });
app.doc31("/openapi.json", {
  openapi: "3.1.0",
  info: {
    title: "Sightline API",
    version: "1",
    description:
      "Sites, traffic, session recordings and API tokens. Authenticate with the dashboard session cookie or `Authorization: Bearer sl_...`. Every error is `{ error: { code, message, requestId } }`.",
  },
});
app.route("/", docs);

app.onError(onError);
app.notFound(onNotFound);
