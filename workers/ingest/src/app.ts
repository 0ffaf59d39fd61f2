import { onError, onNotFound, requestContext } from "@sightline/http";
import { Hono } from "hono";
import { type HonoEnv, ingestEnv } from "./env.ts";
import { collect } from "./routes/collect.ts";
import { health } from "./routes/health.ts";
import { ofrep } from "./routes/ofrep.ts";
import { record } from "./routes/record.ts";
import { snapshot } from "./routes/snapshot.ts";
import { tracker } from "./routes/tracker.ts";

export const app = new Hono<HonoEnv>();

app.use(requestContext({ service: "ingest", quietPaths: ["/health"] }));
app.use(async function init(c, next) {
  c.set("env", ingestEnv(c.env));
  await next();
});
app.route("/health", health);
app.route("/v1/collect", collect);
app.route("/v1/record", record);
app.route("/v1/snapshot", snapshot);
app.route("/ofrep/v1", ofrep);
app.route("/", tracker);
app.onError(onError);
app.notFound(onNotFound);
