/**
 * A WebSocket-to-TCP bridge so the production Postgres driver (@neondatabase/serverless,
 * which speaks WebSocket) reaches a plain local Postgres, from workerd and from Node alike.
 * The driver connects to `ws://127.0.0.1:<port>/v1?address=<host>:<port>`; the bridge only
 * ever dials its one configured target, so it is not an open proxy.
 */
import { createConnection, type Socket } from "node:net";
import { type RawData, WebSocket, WebSocketServer } from "ws";

export interface PgTarget {
  host: string;
  port: number;
}

export interface PgBridgeOptions {
  /** Port to listen on, on 127.0.0.1; 0 picks a free one. */
  port: number;
  target: PgTarget;
  /** Called with one short line per refused or failed connection. */
  log?: (line: string) => void;
}

export interface PgBridge {
  port: number;
  /** `host:port` for `PG_WS_PROXY` / `neonConfig.wsProxy`. */
  proxy: string;
  close(): Promise<void>;
}

/** Policy violation: the close code a client sees when it asks for another address. */
export const CLOSE_ADDRESS_REFUSED = 1008;
// Past this many bytes queued towards the browser side, stop reading from Postgres.
const HIGH_WATER = 1 << 20;

export function targetFromConnectionString(connectionString: string): PgTarget {
  const url = new URL(connectionString);
  return { host: url.hostname, port: url.port ? Number(url.port) : 5432 };
}

export function startPgBridge(opts: PgBridgeOptions): Promise<PgBridge> {
  const allowed = `${opts.target.host}:${opts.target.port}`;
  const log = opts.log ?? (() => {});
  const wss = new WebSocketServer({ host: "127.0.0.1", port: opts.port });
  const sockets = new Set<Socket>();

  wss.on("connection", (ws, req) => {
    const url = new URL(req.url ?? "/", "ws://bridge");
    const address = url.searchParams.get("address");
    if (url.pathname !== "/v1" || address !== allowed) {
      log(`refused connection to ${JSON.stringify(address)} (only ${allowed} is bridged)`);
      ws.close(CLOSE_ADDRESS_REFUSED, "address not allowed");
      return;
    }
    const tcp = createConnection({ host: opts.target.host, port: opts.target.port });
    sockets.add(tcp);
    tcp.setNoDelay(true);

    ws.on("message", (data: RawData) => {
      const chunks = Array.isArray(data) ? data : [data];
      for (const chunk of chunks) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as ArrayBuffer);
        // net.Socket queues writes made before it connects, so nothing is lost early.
        if (!tcp.write(buf)) ws.pause();
      }
    });
    tcp.on("drain", () => ws.resume());

    tcp.on("data", (chunk) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(chunk, { binary: true }, () => {
        if (tcp.isPaused() && ws.bufferedAmount < HIGH_WATER) tcp.resume();
      });
      if (ws.bufferedAmount >= HIGH_WATER) tcp.pause();
    });

    tcp.on("error", (err) => {
      log(`postgres at ${allowed}: ${err.message}`);
      if (ws.readyState === WebSocket.OPEN) ws.close(1011, "upstream error");
    });
    tcp.on("close", () => {
      sockets.delete(tcp);
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
    });
    ws.on("close", () => tcp.destroy());
    ws.on("error", () => tcp.destroy());
  });

  return new Promise((resolve, reject) => {
    wss.once("error", reject);
    wss.once("listening", () => {
      wss.off("error", reject);
      wss.on("error", (err) => log(`bridge error: ${err.message}`));
      const addr = wss.address();
      const port = typeof addr === "object" && addr ? addr.port : opts.port;
      resolve({
        port,
        proxy: `127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            for (const c of wss.clients) c.terminate();
            wss.close(() => done());
          }),
      });
    });
  });
}
