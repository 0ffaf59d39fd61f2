/** Opening the database from Node: the production driver through the local bridge. */
import { createDb } from "@sightline/db";
import { WebSocket } from "ws";

export function openDb(connectionString: string, bridgePort: number) {
  return createDb({
    connectionString,
    wsProxy: `127.0.0.1:${bridgePort}`,
    // Node 20 has no global WebSocket, and ws is what the bridge is tested against anyway.
    webSocketConstructor: WebSocket,
  });
}
