import { coreHash } from "@sightline/tracker/bundle";
import { Hono } from "hono";
import type { HonoEnv } from "../env.ts";
import { readMaintenance } from "../lib/maintenance.ts";

/**
 * Liveness. Ingest has no database to check: it must keep accepting when Postgres is down, and
 * while maintenance is on (shown here, so a probe sees it).
 */
export const health = new Hono<HonoEnv>();

health.get("/", async (c) => {
  const { on, since } = await readMaintenance(c.env.SITES);
  return c.json({ status: "ok", service: "ingest", tracker: coreHash, maintenance: { on, since } });
});
