/**
 * Opening Postgres. Production talks to Neon over WebSockets with @neondatabase/serverless;
 * locally the same driver goes through a WebSocket-to-TCP bridge (scripts/lib/pg-bridge.ts)
 * to a real Postgres, so one code path runs everywhere.
 */
import { neonConfig, Pool } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-serverless";
import * as schema from "./schema/index.ts";

export * as schema from "./schema/index.ts";

export interface DbOptions {
  connectionString: string;
  /** `host:port` of a local WebSocket bridge; unset in production. */
  wsProxy?: string;
  /** Node has no global WebSocket before 22; pass the `ws` class there. */
  webSocketConstructor?: unknown;
  connectTimeoutMs?: number;
  /** Told about errors of idle connections (a dropped socket); by default a JSON log line. */
  onError?: (err: Error) => void;
}

function logPoolError(err: Error): void {
  const line = { level: "error", msg: "postgres pool error", errName: err.name, errMessage: err.message.slice(0, 500) };
  console.error(JSON.stringify(line));
}

function messageOf(event: unknown): string {
  const m = (event as { message?: unknown; error?: unknown }).message;
  return typeof m === "string" && m ? m : String((event as { error?: unknown }).error ?? event);
}

export function createDb(opts: DbOptions) {
  if (opts.wsProxy) {
    const proxy = opts.wsProxy;
    neonConfig.wsProxy = (host, port) => `${proxy}/v1?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    // The local server trusts its clients, so there is no password round to pipeline.
    neonConfig.pipelineConnect = false;
  }
  if (opts.webSocketConstructor) {
    neonConfig.webSocketConstructor = opts.webSocketConstructor as typeof WebSocket;
    neonConfig.coalesceWrites = false;
  }
  const pool = new Pool({
    connectionString: opts.connectionString,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
    max: 4,
  });
  // An idle connection the server or bridge drops must not surface as an uncaught error (the
  // next query opens a new one), but it is logged: a stream of them is an outage starting.
  const onError = opts.onError ?? logPoolError;
  // The WebSocket driver emits an ErrorEvent, not an Error: keep its message.
  pool.on("error", (err: unknown) => onError(err instanceof Error ? err : new Error(messageOf(err))));
  const db = drizzle({ client: pool, schema, casing: "snake_case" });
  return { db, pool, close: () => pool.end() };
}

export type Db = ReturnType<typeof createDb>["db"];

export * as accountsData from "./accounts/index.ts";
export type { FlagAuditRow, FlagPatch, FlagRow, FlagWriter } from "./flags/index.ts";
export * as flagsData from "./flags/index.ts";
export * as heatmapsData from "./heatmaps/query.ts";
export type { RecordingRow } from "./recordings/query.ts";
export * as recordingsData from "./recordings/query.ts";
export type { SiteRow } from "./sites/index.ts";
export * as sitesData from "./sites/index.ts";
export { applyFlush, postgresStatsSink } from "./stats/apply-flush.ts";
export * as statsData from "./stats/query.ts";
export { applyRetention, RETENTION_TABLES, type RetentionResult } from "./stats/retention.ts";
