/**
 * `pnpm start`: the whole stack on one machine. Builds the tracker, brings up Postgres (yours
 * through DATABASE_URL, or an embedded one), the WebSocket bridge, migrations, a demo site,
 * both workers under `wrangler dev` and the demo pages; prints `Sightline is ready` once
 * every service answers. Ctrl-C or SIGTERM stops everything it started.
 *
 * Ports: INGEST_PORT (8787), API_PORT (8788), DEMO_PORT (8789), PG_BRIDGE_PORT (8790), or
 * the matching --ingest-port style flags. SIGHTLINE_DEMO_SITE_KEY names the demo site;
 * SIGHTLINE_STATE_DIR moves wrangler's local state (.sightline/state), SIGHTLINE_DIR the
 * whole .sightline directory (the embedded PostgreSQL's data too); --skip-build skips the
 * build.
 *
 * Until an owner account exists, each run makes a fresh setup token (never a default
 * password), hands it to the API worker and prints the one link that creates the owner.
 * The recording grant secret is RECORDING_GRANT_SECRET when set, else one made on the first
 * run and kept in the state directory, so grants outlive a restart.
 */
import { randomBytes } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { openDb } from "./lib/db.ts";
import { snippetFor, startDemoServer } from "./lib/demo-server.ts";
import { startEmbeddedPg } from "./lib/embedded-pg.ts";
import { describeError } from "./lib/errors.ts";
import {
  API_CONFIG,
  childEnv,
  INGEST_CONFIG,
  NODE_BIN,
  POSTGRES_DIR,
  ROOT,
  STATE_DIR,
  WRANGLER_JS,
} from "./lib/paths.ts";
import { startPgBridge, targetFromConnectionString } from "./lib/pg-bridge.ts";
import { killGroup, prefixed, run, running, type Service, startService, waitForHttp } from "./lib/proc.ts";
import { ensureSite } from "./lib/sites.ts";
import { migrate, redact } from "./migrate.ts";

export const READY_LINE = "Sightline is ready";
const DEFAULT_SITE_KEY = "demo_site_key_01";
// First `wrangler dev` bundles the worker and boots workerd; on 2 cores that takes a while.
const SERVICE_TIMEOUT_MS = 180_000;

const say = prefixed("start");

interface Config {
  ingestPort: number;
  apiPort: number;
  demoPort: number;
  bridgePort: number;
  siteKey: string;
  /** wrangler's --persist-to root: KV, Durable Objects and R2 of both workers. */
  stateDir: string;
  databaseUrl?: string;
  sentryDsn?: string;
  build: boolean;
}

function readConfig(): Config {
  const { values } = parseArgs({
    options: {
      "ingest-port": { type: "string" },
      "api-port": { type: "string" },
      "demo-port": { type: "string" },
      "pg-bridge-port": { type: "string" },
      "site-key": { type: "string" },
      "skip-build": { type: "boolean", default: false },
    },
  });
  const env = process.env;
  const port = (name: string, flag: string | undefined, fallback: number): number => {
    const raw = flag ?? env[name];
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 65_535) throw new Error(`${name} must be a port number, got ${raw}`);
    return n;
  };
  const siteKey = values["site-key"] ?? env.SIGHTLINE_DEMO_SITE_KEY ?? DEFAULT_SITE_KEY;
  if (!/^[A-Za-z0-9_-]{8,64}$/.test(siteKey)) {
    throw new Error(`the demo site key must be 8-64 of A-Z a-z 0-9 _ -, got ${siteKey}`);
  }
  return {
    ingestPort: port("INGEST_PORT", values["ingest-port"], 8787),
    apiPort: port("API_PORT", values["api-port"], 8788),
    demoPort: port("DEMO_PORT", values["demo-port"], 8789),
    bridgePort: port("PG_BRIDGE_PORT", values["pg-bridge-port"], 8790),
    siteKey,
    stateDir: resolve(ROOT, env.SIGHTLINE_STATE_DIR || STATE_DIR),
    databaseUrl: env.DATABASE_URL || undefined,
    sentryDsn: env.SENTRY_DSN || undefined,
    build: !values["skip-build"],
  };
}

/** Things to undo on the way out, last started first. */
const cleanups: Array<{ name: string; fn: () => Promise<void> }> = [];
const services: Service[] = [];
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say("stopping");
    // Workers first and together: each gets a grace period, so one after the other is slow.
    await Promise.all([...running, ...services].map((s) => s.stop()));
    for (const { name, fn } of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        say(`stopping ${name} failed: ${(err as Error).message}`);
      }
    }
    say("stopped");
  }
  process.exit(code);
}

async function step<T>(label: string, fn: () => Promise<T>): Promise<T> {
  say(label);
  try {
    return await fn();
  } catch (err) {
    throw new Error(`${label} failed: ${describeError(err)}`);
  }
}

/** Fails fast, and plainly, when nothing listens where DATABASE_URL points. */
function assertReachable(target: { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port, timeout: 5_000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve();
    });
    socket.once("timeout", () => {
      socket.destroy();
      reject(new Error(`no answer from ${target.host}:${target.port} within 5 s`));
    });
    socket.once("error", (err) => reject(new Error(`cannot reach ${target.host}:${target.port} (${err.message})`)));
  });
}

function assertPortFree(port: number, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (err: NodeJS.ErrnoException) =>
      reject(new Error(`port ${port} (${name}) is ${err.code === "EADDRINUSE" ? "already in use" : err.message}`)),
    );
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve()));
  });
}

/** A port nothing listens on right now, from the kernel. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const addr = probe.address();
      probe.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

interface WranglerDevOptions {
  config: string;
  port: number;
  /**
   * Each wrangler dev otherwise probes for 9229 on its own; two starting together both find
   * it free and one dies with "Address already in use (socket direct:1:default)".
   */
  inspectorPort: number;
  persistTo: string;
  vars: Record<string, string>;
  registry: string;
}

function wranglerDev(name: string, opts: WranglerDevOptions): Service {
  const { config, port, persistTo, vars, registry } = opts;
  const args = [
    WRANGLER_JS,
    "dev",
    "--config",
    config,
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(opts.inspectorPort),
    "--persist-to",
    persistTo,
    // No hotkeys: this runs without a terminal, and stdin is closed.
    "--show-interactive-dev-session=false",
  ];
  // Passed on the command line so no file holding a secret is written.
  for (const [key, value] of Object.entries(vars)) args.push("--var", `${key}:${value}`);
  const service = startService(name, NODE_BIN, args, {
    cwd: ROOT,
    // DATABASE_URL, SETUP_TOKEN and RECORDING_GRANT_SECRET are declared secrets: wrangler looks
    // for them in the environment (without a .dev.vars) and warns when one is missing; the
    // --var above wins either way. No setup token is set at all once an owner exists: an empty
    // one is invalid.
    env: childEnv({
      WRANGLER_REGISTRY_PATH: registry,
      DATABASE_URL: vars.DATABASE_URL ?? "",
      ...(vars.SETUP_TOKEN ? { SETUP_TOKEN: vars.SETUP_TOKEN } : {}),
      ...(vars.RECORDING_GRANT_SECRET ? { RECORDING_GRANT_SECRET: vars.RECORDING_GRANT_SECRET } : {}),
    }),
  });
  services.push(service);
  cleanups.push({ name, fn: () => service.stop() });
  return service;
}

async function main(): Promise<void> {
  const cfg = readConfig();
  let firstSignalAt = 0;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      if (!stopping) {
        firstSignalAt = Date.now();
        void shutdown(signal === "SIGINT" ? 130 : 143);
        return;
      }
      // Under `pnpm start` one Ctrl-C arrives twice (from the terminal, and relayed by tsx);
      // only a later one means "stop waiting" and kills what is left outright.
      if (Date.now() - firstSignalAt < 1_500) return;
      say("killing what is left");
      for (const s of services) void killGroup(s.child.pid, 0);
      process.exit(130);
    });
  }

  await step("checking ports", async () => {
    await assertPortFree(cfg.ingestPort, "INGEST_PORT");
    await assertPortFree(cfg.apiPort, "API_PORT");
    await assertPortFree(cfg.demoPort, "DEMO_PORT");
    await assertPortFree(cfg.bridgePort, "PG_BRIDGE_PORT");
  });

  if (cfg.build) {
    await step("building (turbo run build)", () =>
      run("build", "turbo", ["run", "build", "--output-logs=errors-only"], { cwd: ROOT, env: childEnv() }),
    );
  }

  const databaseUrl = await step(
    cfg.databaseUrl ? `postgres: ${redact(cfg.databaseUrl)}` : `postgres: embedded PostgreSQL in ${POSTGRES_DIR}`,
    async () => {
      if (cfg.databaseUrl) return cfg.databaseUrl;
      const pg = await startEmbeddedPg({ dataDir: POSTGRES_DIR, log: prefixed("pg") });
      cleanups.push({ name: "embedded postgres", fn: () => pg.close() });
      return pg.connectionString;
    },
  );

  const target = targetFromConnectionString(databaseUrl);
  if (cfg.databaseUrl) await step("checking that postgres answers", () => assertReachable(target));

  const bridge = await step(`starting the postgres bridge on 127.0.0.1:${cfg.bridgePort}`, async () => {
    const b = await startPgBridge({
      port: cfg.bridgePort,
      target,
      log: prefixed("bridge"),
    });
    cleanups.push({ name: "bridge", fn: () => b.close() });
    return b;
  });

  await step("applying migrations", () => migrate(databaseUrl, bridge.port));

  const demoOrigins = [`http://localhost:${cfg.demoPort}`, `http://127.0.0.1:${cfg.demoPort}`];
  await step(`creating the demo site ${cfg.siteKey}`, async () => {
    const { db, close } = openDb(databaseUrl, bridge.port);
    try {
      await ensureSite(
        db,
        { siteKey: cfg.siteKey, name: "Demo site", origins: demoOrigins, shards: 1 },
        { persistTo: join(cfg.stateDir, "ingest"), config: INGEST_CONFIG },
      );
    } finally {
      await close();
    }
  });

  const setupToken = await step("checking for an owner account", async () => {
    const { db, close } = openDb(databaseUrl, bridge.port);
    try {
      const result = await db.execute(sql`select exists (select 1 from accounts) as present`);
      return result.rows[0]?.present === true ? null : newSetupToken();
    } finally {
      await close();
    }
  });

  // The configs say "production" so a deploy never runs as development by accident.
  const vars: Record<string, string> = {
    ENVIRONMENT: "development",
    DATABASE_URL: databaseUrl,
    PG_WS_PROXY: bridge.proxy,
  };
  if (cfg.sentryDsn) vars.SENTRY_DSN = cfg.sentryDsn;
  const ingestVars: Record<string, string> = { ...vars, RECORDING_GRANT_SECRET: recordingGrantSecret(cfg.stateDir) };

  // A dev registry of this stack's own: the machine-wide one would make these workers reload
  // whenever any other `wrangler dev` starts or stops, and would clash with a second stack.
  const registry = mkdtempSync(join(tmpdir(), "sightline-registry-"));
  // On every way out, including a second Ctrl-C that skips the cleanups.
  process.on("exit", () => rmSync(registry, { recursive: true, force: true }));
  const ingestInspector = await freePort();
  let apiInspector = await freePort();
  while (apiInspector === ingestInspector) apiInspector = await freePort();
  say(`starting the ingest worker on ${cfg.ingestPort}`);
  const ingest = wranglerDev("ingest", {
    config: INGEST_CONFIG,
    port: cfg.ingestPort,
    inspectorPort: ingestInspector,
    persistTo: join(cfg.stateDir, "ingest"),
    vars: ingestVars,
    registry,
  });
  say(`starting the api worker on ${cfg.apiPort}`);
  const ingestOrigin = `http://localhost:${cfg.ingestPort}`;
  // The snippet the dashboard shows points at this stack's ingest worker.
  const apiVars: Record<string, string> = { ...vars, INGEST_ORIGIN: ingestOrigin };
  if (setupToken) apiVars.SETUP_TOKEN = setupToken;
  // The API serves the recordings the ingest worker writes (one bucket in production), so its
  // local R2 is the ingest worker's, through a link.
  shareLocalR2(join(cfg.stateDir, "ingest"), join(cfg.stateDir, "api"));
  const api = wranglerDev("api", {
    config: API_CONFIG,
    port: cfg.apiPort,
    inspectorPort: apiInspector,
    persistTo: join(cfg.stateDir, "api"),
    vars: apiVars,
    registry,
  });

  await step(`serving the demo site on ${cfg.demoPort}`, async () => {
    const demo = await startDemoServer({
      port: cfg.demoPort,
      snippet: snippetFor(ingestOrigin, cfg.siteKey),
      // `?site=<key>` puts another site's snippet on the demo pages, e.g. one made in the dashboard.
      snippetForSite: (key) => snippetFor(ingestOrigin, key),
    });
    cleanups.push({ name: "demo", fn: () => demo.close() });
  });

  await step("waiting for the services to answer", () =>
    Promise.all([
      waitForHttp(`http://127.0.0.1:${cfg.ingestPort}/health`, { timeoutMs: SERVICE_TIMEOUT_MS, service: ingest }),
      waitForHttp(`http://127.0.0.1:${cfg.apiPort}/health`, { timeoutMs: SERVICE_TIMEOUT_MS, service: api }),
      waitForHttp(`http://127.0.0.1:${cfg.demoPort}/`, { timeoutMs: 10_000 }),
    ]),
  );

  // A worker that dies later takes the stack down with it, loudly.
  for (const s of services) {
    void s.exited.then((code) => {
      if (stopping) return;
      say(`${s.name} exited unexpectedly (${code})`);
      void shutdown(1);
    });
  }

  say(`ingest  ${ingestOrigin}   (tracker: ${ingestOrigin}/s/${cfg.siteKey}.js)`);
  const dashboard = `http://localhost:${cfg.apiPort}`;
  say(`api     ${dashboard}/v1   (OpenAPI: ${dashboard}/openapi.json)`);
  say(`demo    http://localhost:${cfg.demoPort}   (site key ${cfg.siteKey}; ?site=<key> for another site)`);
  say(`bridge  ws://${bridge.proxy}  ->  ${redact(databaseUrl)}`);
  if (setupToken) say(`Create the owner account: ${dashboard}/setup#token=${setupToken}`);
  else say(`dashboard ${dashboard}/`);
  process.stdout.write(`${READY_LINE}\n`);
}

/**
 * The ingest worker's recording grant secret: RECORDING_GRANT_SECRET, else the one kept in
 * the state directory (made on the first run, readable by this user only).
 */
function recordingGrantSecret(stateDir: string): string {
  const fromEnv = process.env.RECORDING_GRANT_SECRET;
  if (fromEnv) {
    if (fromEnv.length < 32) throw new Error("RECORDING_GRANT_SECRET must be at least 32 characters");
    return fromEnv;
  }
  const file = join(stateDir, "recording-grant-secret");
  if (existsSync(file)) {
    const kept = readFileSync(file, "utf8").trim();
    if (kept.length >= 32) return kept;
  }
  const secret = randomBytes(32).toString("base64url");
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/** 32 random bytes, base64url: the one secret that lets someone become the owner. */
function newSetupToken(): string {
  return randomBytes(32).toString("base64url");
}

main().catch(async (err: unknown) => {
  say(`error: ${describeError(err)}`);
  await shutdown(1);
});

/**
 * Makes `<apiState>/v3/r2` (where wrangler dev keeps the API worker's local R2) a link to the
 * ingest worker's, replacing an R2 state of the API's own: the API only reads and erases what
 * the ingest worker wrote. A junction on Windows, which needs no privilege.
 */
function shareLocalR2(ingestState: string, apiState: string): void {
  const target = resolve(ingestState, "v3", "r2");
  const link = resolve(apiState, "v3", "r2");
  mkdirSync(target, { recursive: true });
  mkdirSync(resolve(apiState, "v3"), { recursive: true });
  const found = lstatSync(link, { throwIfNoEntry: false });
  if (found?.isSymbolicLink()) return;
  if (found) rmSync(link, { recursive: true, force: true });
  symlinkSync(target, link, "junction");
}
