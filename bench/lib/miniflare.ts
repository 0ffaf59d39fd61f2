/**
 * The runtime under test: workerd driven through Miniflare's API (not `wrangler dev`, whose
 * proxy costs more per request than our handler). The ingest worker is bundled offline by
 * wrangler, and its Miniflare options come from wrangler.toml through wrangler's own
 * translation, so the bench runs what the config declares.
 */
import { spawn } from "node:child_process";
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { convertV4MiniflareOptions, Miniflare, type V4WorkerOptions as WorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { workerdPids } from "./cpu.ts";
import { clientAddress } from "./load.ts";
import { BUILD_DIR, childEnv, EDGE_ENTRY, INGEST_CONFIG, NODE_BIN, ROOT, WRANGLER_JS } from "./paths.ts";

/** High enough that the bench's load never trips them; the binding calls still happen. */
export const BENCH_RATE_LIMIT = 1_000_000_000;

export interface LogCounts {
  lines: number;
  errors: number;
  /** The first and the last few error lines, for the report when something went wrong. */
  firstErrors: string[];
  lastErrors: string[];
}

export interface Instance {
  name: string;
  mf: Miniflare;
  url: string;
  /** The workerd processes this instance started, for CPU accounting. */
  pids: number[];
  logs: LogCounts;
  dispose(): Promise<void>;
}

/**
 * What the bench bundles and runs:
 * - `ingest`: the worker as deployed, with Miniflare's local simulators behind every binding.
 * - `edge`: bench/fixtures/edge-bindings.ts around the same worker: both ratelimit bindings
 *   are in-isolate fixed-window counters and INGEST_QUEUE sends are serialised and dropped,
 *   as cheap for the isolate as in production. The ingest headline.
 * - `edge-queue`: the same limiters, the real local Queue, so the consumer, the aggregator and
 *   Postgres run. The pipeline and freshness.
 */
export type Variant = "ingest" | "edge" | "edge-queue";
export const VARIANTS: readonly Variant[] = ["ingest", "edge", "edge-queue"];

/** Each ratelimit binding from wrangler.toml with its limit raised to BENCH_RATE_LIMIT. */
function benchRateLimits(): Record<string, { simple: { limit: number; period: number } }> {
  const rls = (configOptions().ratelimits ?? {}) as Record<string, { simple: { limit: number; period: number } }>;
  return Object.fromEntries(
    Object.entries(rls).map(([name, rl]) => [name, { ...rl, simple: { ...rl.simple, limit: BENCH_RATE_LIMIT } }]),
  );
}

function buildArgs(variant: Variant): string[] {
  const common = ["--dry-run", "--outdir", join(BUILD_DIR, variant), "--config", INGEST_CONFIG];
  if (variant === "ingest") return ["deploy", ...common];
  const bindings = {
    dropQueue: variant === "edge",
    limiters: Object.fromEntries(
      Object.entries(benchRateLimits()).map(([name, rl]) => [
        name,
        { limit: rl.simple.limit, period: rl.simple.period },
      ]),
    ),
  };
  return ["deploy", EDGE_ENTRY, ...common, "--define", `BENCH_BINDINGS:${JSON.stringify(bindings)}`];
}

/**
 * Bundles one variant exactly as a deploy would, without uploading it (the edge variants with
 * the fixture as the entry instead of wrangler.toml's `main`). Resolves to the script's path.
 */
function buildVariant(variant: Variant): Promise<string> {
  const args = buildArgs(variant);
  const script = join(BUILD_DIR, variant, variant === "ingest" ? "index.js" : `${basename(EDGE_ENTRY, ".ts")}.js`);
  rmSync(join(BUILD_DIR, variant), { recursive: true, force: true });
  return new Promise((resolve, reject) => {
    const child = spawn(NODE_BIN, [WRANGLER_JS, ...args], { cwd: ROOT, env: childEnv(), stdio: "pipe" });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    const timer = setTimeout(() => child.kill("SIGTERM"), 120_000);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && existsSync(script)) resolve(script);
      else reject(new Error(`wrangler ${args.join(" ")} failed (${code ?? signal}):\n${out}`.trim()));
    });
  });
}

/** Bundles every variant, concurrently; each resolves to its script path. */
export async function buildWorkers(): Promise<Record<Variant, string>> {
  const paths = await Promise.all(VARIANTS.map(buildVariant));
  return Object.fromEntries(VARIANTS.map((v, i) => [v, paths[i]])) as Record<Variant, string>;
}

/** The wrangler command line for a variant, for the report. */
export function buildCommand(variant: Variant): string {
  const rel = (p: string) => relative(ROOT, p) || ".";
  return `wrangler ${buildArgs(variant)
    .map((a) => (a.startsWith("/") ? rel(a) : a.startsWith("BENCH_BINDINGS:") ? `'${a}'` : a))
    .join(" ")}`;
}

const MINIFLARE_PKG = createRequire(import.meta.url).resolve("miniflare/package.json");
/** workerd as miniflare resolves it: the one binary both wrangler and the bench use. */
const WORKERD_PKG = createRequire(MINIFLARE_PKG).resolve("workerd/package.json");
export const WORKERD_BIN = join(dirname(WORKERD_PKG), "bin", "workerd");

export function versions(): { miniflare: string; workerd: string } {
  const version = (pkg: string) => JSON.parse(readFileSync(pkg, "utf8")).version as string;
  return { miniflare: version(MINIFLARE_PKG), workerd: version(WORKERD_PKG) };
}

export interface IngestOptions {
  /** For the log lines; "ingest" when unset. */
  name?: string;
  port: number;
  scriptPath: string;
  /** Whether this instance consumes its queue (pipeline) or only produces (ingest). */
  consumer: boolean;
  bindings?: Record<string, string>;
}

let fromWrangler: WorkerOptions | undefined;
function configOptions(): WorkerOptions {
  // Read once: wrangler reparses the config (and the secrets check) on every call.
  fromWrangler ??= unstable_getMiniflareWorkerOptions(INGEST_CONFIG).workerOptions as WorkerOptions;
  return fromWrangler;
}

/** The ingest worker's options from wrangler.toml, with the bench's changes applied. */
export function ingestWorkerOptions(opts: IngestOptions): WorkerOptions {
  // modulesRules only matter for unbundled sources; the dry-run bundle is one module.
  const { modulesRules: _rules, ...fromConfig } = configOptions() as WorkerOptions & { modulesRules?: unknown };
  // The edge variants never call these (their limiters are in-isolate); harmless there.
  const ratelimits = benchRateLimits();
  return {
    ...fromConfig,
    name: "ingest",
    rootPath: ROOT,
    modules: true,
    scriptPath: opts.scriptPath,
    ratelimits,
    // Without a consumer the local broker accepts each send and drops it: the producer's
    // cost stays in the measurement, aggregation does not.
    queueConsumers: opts.consumer ? fromConfig.queueConsumers : {},
    bindings: { ...fromConfig.bindings, ...opts.bindings },
  } as WorkerOptions;
}

function compat(): { compatibilityDate?: string; compatibilityFlags?: string[] } {
  const o = configOptions();
  return { compatibilityDate: o.compatibilityDate, compatibilityFlags: o.compatibilityFlags };
}

/**
 * Where Miniflare keeps its (non-persistent) storage. The local ratelimit, queue broker and
 * aggregator are SQLite-backed Durable Objects; on this VM's disk their commits wait on
 * fsync and the bench would measure the disk (rate limits alone drop ~4x). Production keeps
 * none of these on a local disk, so the bench uses tmpfs when there is one.
 * BENCH_STORAGE=disk measures the disk anyway.
 */
export const STORAGE: { kind: "tmpfs" | "disk"; dir: string } =
  process.env.BENCH_STORAGE !== "disk" && existsSync("/dev/shm") && accessible("/dev/shm")
    ? { kind: "tmpfs", dir: "/dev/shm" }
    : { kind: "disk", dir: tmpdir() };

function accessible(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Miniflare picks its temporary directory from os.tmpdir() in its constructor. */
function inStorageDir<T>(fn: () => T): T {
  const prev = process.env.TMPDIR;
  process.env.TMPDIR = STORAGE.dir;
  try {
    return fn();
  } finally {
    if (prev === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = prev;
  }
}

/**
 * workerd's output goes to a file per process in the storage directory, not through
 * Miniflare's pipe. Through the pipe every log line woke this Node process, which parsed it
 * in JS (about a fifth of a core at the ingest section's rate) on the two cores the load and
 * workerd share, and cost workerd a pipe write and a reader wakeup a line; a deployed worker's
 * logs go to the runtime's own collector, not to a reader process beside it. The lines are
 * counted from the file instead. `BENCH_WORKER_LOGS=pipe` keeps Miniflare's pipe, to measure what it costs.
 */
function useWorkerdWrapper(): void {
  mkdirSync(WORKERD_LOG_DIR, { recursive: true });
  const wrapper = join(WORKERD_LOG_DIR, "workerd.sh");
  writeFileSync(wrapper, `#!/bin/sh\nexec '${WORKERD_BIN}' "$@" >>"${WORKERD_LOG_DIR}/workerd.$$.log" 2>&1\n`);
  chmodSync(wrapper, 0o755);
  process.env.MINIFLARE_WORKERD_PATH = wrapper;
}

/** Where the wrapper writes; removed with each instance, and the directory at exit. */
const WORKERD_LOG_DIR = join(STORAGE.dir, `sightline-bench-${process.pid}`);
process.once("exit", () => rmSync(WORKERD_LOG_DIR, { recursive: true, force: true }));

/** Line and error counts of a workerd log file of structured lines (`{"level":...,"message":...}`). */
function countLogs(files: string[]): LogCounts {
  const logs = noLogs();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    let at = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; at = nl + 1, nl = text.indexOf("\n", at)) {
      const line = text.slice(at, nl);
      if (line.includes('"level":"error"')) countLine(logs, { level: "error", message: messageOf(line) });
      else logs.lines++;
    }
  }
  return logs;
}

/** The worker's own text of a structured line (`{"level":...,"message":...}`). */
function messageOf(line: string): unknown {
  try {
    return (JSON.parse(line) as { message?: unknown }).message ?? line;
  } catch {
    return line;
  }
}

function noLogs(): LogCounts {
  return { lines: 0, errors: 0, firstErrors: [], lastErrors: [] };
}

function countLine(logs: LogCounts, log: { level: string; message: unknown }): void {
  logs.lines++;
  if (log.level !== "error") return;
  logs.errors++;
  const message = String(log.message).slice(0, 800);
  if (logs.firstErrors.length < 3) logs.firstErrors.push(message);
  else {
    logs.lastErrors.push(message);
    if (logs.lastErrors.length > 3) logs.lastErrors.shift();
  }
}

async function start(name: string, port: number, worker: WorkerOptions, inspectorPort?: number): Promise<Instance> {
  const viaPipe = process.env.BENCH_WORKER_LOGS === "pipe";
  if (!viaPipe && !process.env.MINIFLARE_WORKERD_PATH) useWorkerdWrapper();
  const piped = noLogs();
  const before = new Set(workerdPids());
  // Miniflare 5 takes a new option shape; wrangler still produces the v4 one and converts.
  const mf = inStorageDir(
    () =>
      new Miniflare(
        convertV4MiniflareOptions({
          host: "127.0.0.1",
          // Miniflare's own entry socket routes every request through an entry worker that costs
          // ~400 µs of CPU a request here, ten times an empty worker. The load goes to a direct
          // socket on the fixed port instead: workerd straight into the worker, as in production.
          port: 0,
          unsafeDirectSockets: [{ host: "127.0.0.1", port }],
          ...(inspectorPort ? { inspectorPort } : {}),
          ...(viaPipe
            ? { handleStructuredLogs: (log: { level: string; message: unknown }) => countLine(piped, log) }
            : {}),
          ...worker,
        }),
      ),
  );
  let url: URL;
  try {
    await mf.ready;
    url = await mf.unsafeGetDirectURL();
  } catch (err) {
    await mf.dispose().catch(() => undefined);
    throw err;
  }
  const pids = workerdPids().filter((p) => !before.has(p));
  const files = pids.map((p) => join(WORKERD_LOG_DIR, `workerd.${p}.log`));
  let final: LogCounts | undefined;
  return {
    name,
    mf,
    url: url.toString().replace(/\/$/, ""),
    pids,
    get logs() {
      return viaPipe ? piped : (final ?? countLogs(files));
    },
    dispose: async () => {
      await mf.dispose();
      final ??= countLogs(files);
      for (const f of files) rmSync(f, { force: true });
    },
  };
}

export function startIngest(opts: IngestOptions): Promise<Instance> {
  return start(opts.name ?? "ingest", opts.port, ingestWorkerOptions(opts));
}

/** The floor: the same runtime answering the same request with 204 and nothing else. */
export function startEmpty(port: number): Promise<Instance> {
  return start("empty", port, {
    name: "empty",
    modules: true,
    script: "export default { fetch() { return new Response(null, { status: 204 }); } };",
    ...compat(),
  } as WorkerOptions);
}

export type ProbeKind = "rateLimits" | "queueSend";

/**
 * A worker that makes only one of the ingest worker's binding calls, with the ingest
 * worker's own binding options, so the bench can say how much of a request's CPU is the
 * local simulator of that binding rather than our handler.
 */
export function startProbe(port: number, kind: ProbeKind, message: unknown): Promise<Instance> {
  const base = ingestWorkerOptions({ port, scriptPath: "", consumer: false });
  const call =
    kind === "rateLimits"
      ? `await Promise.all([env.SITE_LIMITER.limit({ key: "site_probe" }), env.CLIENT_LIMITER.limit({ key: "site_probe:unknown" })]);`
      : `await env.INGEST_QUEUE.send(MESSAGE, { contentType: "json" });`;
  return start(`probe:${kind}`, port, {
    name: `probe-${kind}`,
    modules: true,
    script: `const MESSAGE = ${JSON.stringify(message)};
export default { async fetch(req, env) { ${call} return new Response(null, { status: 204 }); } };`,
    ...compat(),
    ratelimits: base.ratelimits,
    queueProducers: base.queueProducers,
  } as WorkerOptions);
}

/**
 * The ingest bundle imported by a harness worker that calls its fetch handler `n` times in a
 * loop, in-isolate, with stub bindings that do nothing (the queue stub still serialises the
 * message). workerd CPU around one such request, divided by n, is our handler's own cost:
 * no HTTP, no binding simulators. Timers do not advance inside workerd, hence the outside clock.
 */
export function startHarness(
  port: number,
  scriptPath: string,
  site: unknown,
  request: HarnessRequest,
  inspectorPort?: number,
): Promise<Instance> {
  const dir = dirname(scriptPath);
  const harness = `import worker from "./index.js";
const SITE = ${JSON.stringify(site)};
const REQ = ${JSON.stringify(request)};
const limiter = { async limit() { return { success: true }; } };
const queue = { async send(m) { JSON.stringify(m); }, async sendBatch(ms) { JSON.stringify(ms); } };
const env = {
  ENVIRONMENT: "production",
  DATABASE_URL: "postgresql://bench@127.0.0.1:5432/unused",
  SITES: { async get(key) { return key.startsWith("quota:") ? null : SITE; } },
  INGEST_QUEUE: queue,
  DEAD_LETTERS: queue,
  AGGREGATOR: {},
  VISITOR_SALT: { idFromName() { return {}; }, get() { return { async forDay() { return "bench-salt"; } }; } },
  SITE_LIMITER: limiter,
  CLIENT_LIMITER: limiter,
};
const ctx = { waitUntil() {}, passThroughOnException() {} };
let sent = 0;
const clientAddress = ${clientAddress.toString()};
export default {
  async fetch(req) {
    const params = new URL(req.url).searchParams;
    const n = Number(params.get("n") ?? 1);
    const statuses = {};
    for (let i = 0; i < n; i++) {
      const headers = { ...REQ.headers, "CF-Connecting-IP": clientAddress(Math.floor(sent++ / REQ.requestsPerClient)) };
      const res = await worker.fetch(new Request(REQ.url, { method: "POST", body: REQ.body, headers }), env, ctx);
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    }
    return Response.json(statuses);
  },
};`;
  return start(
    "harness",
    port,
    {
      name: "harness",
      modules: [
        { type: "ESModule", path: join(dir, "harness.mjs"), contents: harness },
        { type: "ESModule", path: join(dir, "index.js"), contents: readFileSync(scriptPath, "utf8") },
      ],
      ...compat(),
    } as WorkerOptions,
    inspectorPort,
  );
}

/**
 * The aggregator on its own: the ingest bundle's SiteAggregator behind a worker that stores
 * the calls POSTed to it, each `{ shard, messages }`, then on `GET /?site=<id>` makes them in
 * order, each to the object `<id>#<shard>`, as the consumer would (a fresh id gives fresh
 * objects). No Queue, no HTTP per call, and no Postgres: the object name is not a site's, so
 * its flush alarm finds nothing to send.
 */
export function startAggregatorHarness(port: number, scriptPath: string): Promise<Instance> {
  const dir = dirname(scriptPath);
  const harness = `export { SiteAggregator, EdgeAdmin } from "./index.js";
let calls = [];
export default {
  async fetch(req, env) {
    if (req.method === "POST") {
      calls = await req.json();
      return new Response(null, { status: 204 });
    }
    const site = new URL(req.url).searchParams.get("site");
    let counted = 0;
    for (const { shard, messages } of calls) {
      const name = site + "#" + shard;
      counted += (await env.AGGREGATOR.get(env.AGGREGATOR.idFromName(name)).ingest(name, messages)).counted;
    }
    return Response.json({ counted });
  },
};`;
  return start("aggregator", port, {
    name: "aggregator",
    modules: [
      { type: "ESModule", path: join(dir, "aggregator-harness.mjs"), contents: harness },
      { type: "ESModule", path: join(dir, "index.js"), contents: readFileSync(scriptPath, "utf8") },
    ],
    durableObjects: { AGGREGATOR: { className: "SiteAggregator", useSQLite: true } },
    ...compat(),
  } as WorkerOptions);
}

export interface HarnessRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  /** A new CF-Connecting-IP every this many calls (`clientAddress`, shipped into the harness). */
  requestsPerClient: number;
}
