/**
 * Runs in Node before the workerd tests: a real Postgres (DATABASE_URL, else the local server
 * on 127.0.0.1:5432, else the embedded PostgreSQL `pnpm start` uses, in a directory of its
 * own, so a machine without Postgres still runs the suite), a WebSocket bridge to it (the same
 * one `pnpm start` uses), and the migrations. Each run gets a scratch database of its own,
 * dropped afterwards, so runs and suites (the first-owner setup above all) never see each
 * other's rows.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { TestProject } from "vitest/node";
import { openDb } from "../../scripts/lib/db.ts";
import { startEmbeddedPg } from "../../scripts/lib/embedded-pg.ts";
import { startPgBridge, targetFromConnectionString } from "../../scripts/lib/pg-bridge.ts";
import { migrate } from "../../scripts/migrate.ts";
import { reachable } from "./net.ts";

declare module "vitest" {
  interface ProvidedContext {
    databaseUrl: string;
    pgWsProxy: string;
  }
}

const LOCAL = "postgresql://postgres@127.0.0.1:5432/test";

export default async function setup(project: TestProject) {
  let databaseUrl = process.env.DATABASE_URL;
  let cleanup = async () => {};
  if (!databaseUrl) {
    if (await reachable("127.0.0.1", 5432)) databaseUrl = LOCAL;
    else {
      const dir = mkdtempSync(join(tmpdir(), "sightline-postgres-"));
      const pg = await startEmbeddedPg({ dataDir: dir, log: (line) => console.error(`postgres: ${line}`) });
      databaseUrl = pg.connectionString;
      cleanup = async () => {
        await pg.close();
        rmSync(dir, { recursive: true, force: true });
      };
    }
  }
  const bridge = await startPgBridge({ port: 0, target: targetFromConnectionString(databaseUrl) });
  const name = `sl_test_${process.pid}_${Date.now().toString(36)}`;
  const admin = openDb(databaseUrl, bridge.port);
  await admin.db.execute(sql.raw(`create database ${name}`));
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  const testUrl = url.toString();
  const dropScratch = async () => {
    await admin.db.execute(sql.raw(`drop database if exists ${name} with (force)`));
    await admin.close();
  };
  await migrate(testUrl, bridge.port);
  project.provide("databaseUrl", testUrl);
  project.provide("pgWsProxy", bridge.proxy);
  return async () => {
    await dropScratch().catch((err) => console.error(`could not drop the scratch database: ${err}`));
    await bridge.close();
    await cleanup();
  };
}
