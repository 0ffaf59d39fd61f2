/**
 * An embedded Postgres (PGlite, Postgres compiled to WASM) for a first local run on a machine
 * without one. It speaks the wire protocol on a local TCP port through pglite-socket, so the
 * bridge and the production driver treat it like any other server. PGlite runs one query at a
 * time; the socket server queues the rest, which is plenty for a local stack.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface EmbeddedPgOptions {
  /** Where PGlite keeps its files; created when missing. */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port?: number;
}

export interface EmbeddedPg {
  connectionString: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

// The ingest and API workers each keep a small pool, plus migrations and the start script.
const MAX_CONNECTIONS = 32;

export async function startEmbeddedPg(opts: EmbeddedPgOptions): Promise<EmbeddedPg> {
  mkdirSync(opts.dataDir, { recursive: true });
  const unlock = lock(opts.dataDir);
  let db: PGlite;
  try {
    db = await PGlite.create(opts.dataDir);
  } catch (err) {
    unlock();
    throw err;
  }
  const server = new PGLiteSocketServer({
    db,
    host: "127.0.0.1",
    port: opts.port ?? 0,
    maxConnections: MAX_CONNECTIONS,
  });
  try {
    await server.start();
  } catch (err) {
    await db.close();
    unlock();
    throw err;
  }
  const conn = server.getServerConn();
  const port = Number(conn.slice(conn.lastIndexOf(":") + 1));
  return {
    connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    host: "127.0.0.1",
    port,
    close: async () => {
      await server.stop();
      await db.close();
      unlock();
    },
  };
}

/**
 * PGlite is a single-process database: a second process opening the same directory would
 * corrupt it. A pid file keeps `pnpm db:migrate` off a directory `pnpm start` is serving.
 */
function lock(dataDir: string): () => void {
  const file = join(dataDir, "..", `${basename(dataDir)}.pid`);
  try {
    const holder = Number(readFileSync(file, "utf8"));
    if (holder && holder !== process.pid && alive(holder)) {
      throw new Error(`${dataDir} is in use by process ${holder} (is \`pnpm start\` running?)`);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  writeFileSync(file, String(process.pid));
  return () => rmSync(file, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
