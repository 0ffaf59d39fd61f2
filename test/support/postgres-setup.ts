/**
 * Runs in Node before the workerd tests: a WebSocket bridge to the real Postgres (the same
 * one `pnpm start` uses) and the migrations applied, so the aggregator flushes for real.
 */
import type { TestProject } from "vitest/node";
import { startPgBridge, targetFromConnectionString } from "../../scripts/lib/pg-bridge.ts";
import { migrate } from "../../scripts/migrate.ts";

export default async function setup(project: TestProject) {
  const databaseUrl = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
  const bridge = await startPgBridge({ port: 0, target: targetFromConnectionString(databaseUrl) });
  await migrate(databaseUrl, bridge.port);
  project.provide("databaseUrl", databaseUrl);
  project.provide("pgWsProxy", bridge.proxy);
  return () => bridge.close();
}
