/** Postgres from Node: the production driver through the same WebSocket bridge the workers use. */
import { createDb } from "@sightline/db";
import { WebSocket } from "ws";
import { type PgBridge, startPgBridge, targetFromConnectionString } from "../../scripts/lib/pg-bridge.ts";

export const DATABASE_URL = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

export function startBridge(log: (line: string) => void): Promise<PgBridge> {
  return startPgBridge({ port: 0, target: targetFromConnectionString(DATABASE_URL), log: (l) => log(`bridge: ${l}`) });
}

export function openDb(bridgePort: number) {
  return createDb({
    connectionString: DATABASE_URL,
    wsProxy: `127.0.0.1:${bridgePort}`,
    webSocketConstructor: WebSocket,
  });
}

export type BenchDb = ReturnType<typeof openDb>;
