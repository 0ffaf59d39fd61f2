/**
 * Starting and stopping the local stack from a test, exactly as `pnpm start` does, on free
 * ports and with a site key of its own so runs never collide.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "drizzle-orm";
import { openDb } from "../../scripts/lib/db.ts";
import { childEnv, NODE_BIN, ROOT } from "../../scripts/lib/paths.ts";
import { startPgBridge, targetFromConnectionString } from "../../scripts/lib/pg-bridge.ts";

export const ARTIFACTS = join(ROOT, "test", "system", "artifacts");
export const READY_LINE = "Sightline is ready";
export const DATABASE_URL = process.env.DATABASE_URL || "postgresql://postgres@127.0.0.1:5432/test";

/** A database of a test's own on DATABASE_URL's server, reached through a Postgres bridge of its own. */
export interface ScratchDatabase {
  /** Its connection string: `startStack(name, { databaseUrl: url })`. */
  url: string;
  /** The bridge's port: `openDb(url, bridgePort)`, `migrate(url, bridgePort)`. */
  bridgePort: number;
  /** Drops the database (its connections forced out) and closes the bridge. */
  drop(): Promise<void>;
}

/** Creates `<prefix>_<time>`, so runs never share one; `drop` it in afterAll. */
export async function scratchDatabase(prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}`;
  const u = new URL(DATABASE_URL);
  u.pathname = `/${name}`;
  const bridge = await startPgBridge({ port: 0, target: targetFromConnectionString(DATABASE_URL) });
  const admin = openDb(DATABASE_URL, bridge.port);
  await admin.db.execute(sql.raw(`create database ${name}`));
  return {
    url: u.toString(),
    bridgePort: bridge.port,
    async drop() {
      await admin.db.execute(sql.raw(`drop database if exists ${name} with (force)`));
      await admin.close();
      await bridge.close();
    },
  };
}

export interface Stack {
  ingestPort: number;
  apiPort: number;
  demoPort: number;
  bridgePort: number;
  siteKey: string;
  databaseUrl: string;
  /** The API and the dashboard, e.g. http://localhost:8788. */
  apiUrl: string;
  demoUrl: string;
  /** The owner-setup link the start script printed; null when an owner already existed. */
  setupUrl: string | null;
  /** wrangler's local state (`--persist-to` root): `ingest/` and `api/` KV, Durable Objects, R2. */
  stateDir: string;
  pid: number;
  output(): string;
  /** SIGTERM, as Ctrl-C would; resolves with the exit code once the script has exited. */
  stop(): Promise<number | string>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export function uniqueSiteKey(prefix = "sys"): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

export interface StackOptions {
  timeoutMs?: number;
  /**
   * Postgres for this stack: the shared test database when unset; `null` for no DATABASE_URL
   * at all, so the start script runs its embedded PostgreSQL as on a fresh machine.
   */
  databaseUrl?: string | null;
  /** SIGHTLINE_DIR, the `.sightline` directory; unset, local state goes to a temporary one. */
  sightlineDir?: string;
}

const SETUP_LINE = /Create the owner account: (http:\/\/\S+\/setup#token=[A-Za-z0-9_-]+)/;
const BRIDGE_LINE = /bridge\s+ws:\/\/\S+\s+->\s+(postgresql:\/\/\S+)/;

export async function startStack(name: string, opts: StackOptions = {}): Promise<Stack> {
  const timeoutMs = opts.timeoutMs ?? 280_000;
  const givenUrl = opts.databaseUrl === undefined ? DATABASE_URL : opts.databaseUrl;
  mkdirSync(ARTIFACTS, { recursive: true });
  const ports = { ingestPort: 0, apiPort: 0, demoPort: 0, bridgePort: 0 };
  for (const k of Object.keys(ports) as Array<keyof typeof ports>) {
    let p = await freePort();
    while (Object.values(ports).includes(p)) p = await freePort();
    ports[k] = p;
  }
  const siteKey = uniqueSiteKey();
  // Local KV / Durable Object state of its own, so a developer's running stack is untouched.
  const stateDir = opts.sightlineDir ? null : mkdtempSync(join(tmpdir(), "sightline-system-state-"));
  const env = childEnv({
    INGEST_PORT: String(ports.ingestPort),
    API_PORT: String(ports.apiPort),
    DEMO_PORT: String(ports.demoPort),
    PG_BRIDGE_PORT: String(ports.bridgePort),
    SIGHTLINE_DEMO_SITE_KEY: siteKey,
  });
  delete env.DATABASE_URL;
  delete env.SIGHTLINE_DIR;
  delete env.SIGHTLINE_STATE_DIR;
  if (givenUrl !== null) env.DATABASE_URL = givenUrl;
  if (opts.sightlineDir) env.SIGHTLINE_DIR = opts.sightlineDir;
  if (stateDir) env.SIGHTLINE_STATE_DIR = stateDir;
  const log = createWriteStream(join(ARTIFACTS, `${name}.stack.log`));
  let output = "";
  // One process (no pnpm or tsx wrapper in between), so SIGTERM reaches the script itself.
  const child: ChildProcess = spawn(NODE_BIN, ["--import", "tsx", "scripts/start.ts"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? 1)),
  );
  let exitedWith: number | string | undefined;
  void exited.then((c) => {
    exitedWith = c;
  });
  const onData = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    log.write(chunk);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);

  const stop = async (): Promise<number | string> => {
    if (exitedWith === undefined && child.pid) process.kill(child.pid, "SIGTERM");
    const code = await Promise.race([exited, sleep(45_000).then(() => "timeout" as const)]);
    if (code === "timeout" && child.pid) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    log.end();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    return code;
  };

  const deadline = Date.now() + timeoutMs;
  while (!output.split("\n").includes(READY_LINE)) {
    if (exitedWith !== undefined) {
      await stop();
      throw new Error(`the stack exited (${exitedWith}) before it was ready:\n${output.slice(-4000)}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the stack was not ready within ${timeoutMs / 1000} s:\n${output.slice(-4000)}`);
    }
    await sleep(200);
  }
  // The embedded server's address is known only once the start script has printed it.
  const databaseUrl = givenUrl ?? BRIDGE_LINE.exec(output)?.[1];
  if (!databaseUrl) {
    await stop();
    throw new Error(`no database URL in the start output:\n${output.slice(-4000)}`);
  }
  return {
    ...ports,
    siteKey,
    databaseUrl,
    apiUrl: `http://localhost:${ports.apiPort}`,
    demoUrl: `http://localhost:${ports.demoPort}`,
    setupUrl: SETUP_LINE.exec(output)?.[1] ?? null,
    stateDir: stateDir ?? resolve(ROOT, opts.sightlineDir ?? ".sightline", "state"),
    pid: child.pid ?? 0,
    output: () => output,
    stop,
  };
}

/** Every live descendant of `pid`, as "pid command". Read from /proc. */
export function descendants(pid: number): string[] {
  const children = new Map<number, number[]>();
  const commands = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name in parentheses may hold spaces; the fields after it do not.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
      commands.set(Number(entry), readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ").slice(0, 160));
    } catch {
      // Exited meanwhile.
    }
  }
  const out: string[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(`${c} ${commands.get(c) ?? ""}`);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
