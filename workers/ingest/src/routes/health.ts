import { coreHash } from "@sightline/tracker/bundle";
import { Hono } from "hono";
import type { HonoEnv } from "../env.ts";

/** Liveness. Ingest has no database to check: it must keep accepting when Postgres is down. */
export const health = new Hono<HonoEnv>();

health.get("/", (c) => c.json({ status: "ok", service: "ingest", tracker: coreHash }));
