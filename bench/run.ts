/**
 * `pnpm bench [--quick]`: ingest throughput and CPU against an empty worker, the pipeline
 * from HTTP to Postgres against one-row-per-event inserts, freshness, and the tracker's
 * size. Prints a table with the targets and writes bench/results/latest.json. Exits 0 when
 * every section ran (targets missed or not), 1 when something crashed; stops everything it
 * started either way.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname } from "node:path";
import { migrate } from "../scripts/migrate.ts";
import { type AggregatorResult, benchAggregator } from "./aggregator.ts";
import { type BaselineResult, benchBaseline } from "./baseline.ts";
import { benchFlags, type FlagsResult } from "./flags.ts";
import { benchHeatmapQuery, type HeatmapQueryResult } from "./heatmaps.ts";
import { benchIngest, type IngestResult } from "./ingest.ts";
import { type BenchDb, DATABASE_URL, openDb, startBridge } from "./lib/db.ts";
import { type LoadTool, resolveLoadTool, wrkVersion } from "./lib/load.ts";
import { BENCH_RATE_LIMIT, buildCommand, buildWorkers, STORAGE, VARIANTS, versions } from "./lib/miniflare.ts";
import { OFFLINE_ENV, RESULTS_FILE } from "./lib/paths.ts";
import { benchPipeline, type FreshnessResult, type PipelineResult } from "./pipeline.ts";
import { benchRecord, type RecordResult } from "./record.ts";
import { benchRecordingMinute, type RecordingMinuteResult } from "./recording-minute.ts";
import { benchRecordingsList, type RecordingsListResult } from "./recordings.ts";
import { benchShards, type ShardRun, type ShardsResult } from "./shards.ts";
import { ensureTrackerBuilt, type TrackerResult, trackerSize } from "./tracker.ts";

const quick = process.argv.includes("--quick");
const profile = process.argv.includes("--profile");
/** `--only <section>` (pipeline: with freshness, the baseline and the aggregator alone): one section. */
const onlyAt = process.argv.indexOf("--only");
const only = onlyAt === -1 ? undefined : process.argv[onlyAt + 1];
const SECTIONS = ["ingest", "pipeline", "shards", "recordings", "record", "heatmaps", "flags"] as const;
if (only !== undefined && !(SECTIONS as readonly string[]).includes(only)) {
  console.error(`--only takes ${SECTIONS.join(", ")}`);
  process.exit(2);
}
const runs = (s: (typeof SECTIONS)[number]) => only === undefined || only === s;
const MODE = quick
  ? {
      name: "quick",
      connections: 64,
      warmupS: 2,
      // An even number of rounds, so the A B / B A order puts each target first equally often.
      durationS: 8,
      rounds: 4,
      probeDurationS: 3,
      harnessCalls: 2_000,
      // Long enough (about 10 s of load here) that the last flush's wait (up to the 1 s Queue
      // batch timeout plus the 2 s flush interval) does not decide the rate.
      pipelineEvents: 160_000,
      // One event per request: the accept path's per-request cost decides, so fewer events.
      singleEvents: 20_000,
      drainTimeoutS: 120,
      stallTimeoutS: 45,
      freshnessSamples: 10,
      freshnessSpacingMs: 400,
      aggregatorCalls: 40,
      aggregatorRounds: 3,
      shardCalls: 60,
      shardRounds: 3,
      recordedSeconds: 30,
      recordingRows: 100_000,
      recordingRepeats: 20,
      heatmapClicks: 1_000_000,
      heatmapRepeats: 20,
      recordSessions: 40,
      recordChunks: 15,
      // OFREP and the empty worker: 2 slices of 2 s each, alternating.
      flagsSlices: 2,
      flagsSliceS: 2,
      flagsEvalCalls: 50_000,
      apiFlips: 10,
      watchdogS: 360,
    }
  : {
      name: "full",
      connections: 64,
      warmupS: 3,
      durationS: 12,
      rounds: 4,
      probeDurationS: 6,
      harnessCalls: 5_000,
      pipelineEvents: 400_000,
      singleEvents: 60_000,
      drainTimeoutS: 300,
      stallTimeoutS: 90,
      freshnessSamples: 20,
      freshnessSpacingMs: 500,
      aggregatorCalls: 100,
      aggregatorRounds: 5,
      shardCalls: 150,
      shardRounds: 5,
      recordedSeconds: 60,
      recordingRows: 100_000,
      recordingRepeats: 50,
      heatmapClicks: 1_000_000,
      heatmapRepeats: 50,
      recordSessions: 100,
      recordChunks: 30,
      flagsSlices: 2,
      flagsSliceS: 5,
      flagsEvalCalls: 200_000,
      apiFlips: 20,
      watchdogS: 900,
    };
const CONCURRENCY = 32;
// Four connections per createDb pool: eight pools give the baseline one per insert in flight.
const BASELINE_POOLS = CONCURRENCY / 4;
const PORT_BASE = Number(process.env.BENCH_PORT ?? 18787);
const PORTS = {
  ingest: PORT_BASE,
  empty: PORT_BASE + 1,
  probe: PORT_BASE + 2,
  pipeline: PORT_BASE + 3,
  inspector: PORT_BASE + 4,
  aggregator: PORT_BASE + 5,
  record: PORT_BASE + 6,
  // and + 8
  shards: PORT_BASE + 7,
  // and + 10
  recordingMinute: PORT_BASE + 9,
  flags: PORT_BASE + 11,
  flagsEmpty: PORT_BASE + 12,
};

for (const [k, v] of Object.entries(OFFLINE_ENV)) process.env[k] ??= v;
// wrangler reads the required DATABASE_URL secret from the environment when it builds the
// Miniflare options; the bench passes its own bindings anyway. Its info lines are noise here.
process.env.DATABASE_URL ??= DATABASE_URL;
process.env.WRANGLER_LOG ??= "error";

const started = Date.now();
const log = (line: string) => {
  const s = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
  process.stdout.write(`[${s}s] ${line}\n`);
};

// Cleanups run newest first, on success, failure, a signal or the watchdog.
const cleanups: (() => Promise<void>)[] = [];
function track(fn: () => Promise<void>): () => void {
  cleanups.push(fn);
  return () => {
    const i = cleanups.lastIndexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}
let cleaning: Promise<void> | undefined;
function cleanupAll(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length > 0) {
      const fn = cleanups.pop() as () => Promise<void>;
      await Promise.race([fn(), new Promise((r) => setTimeout(r, 15_000))]).catch((err) =>
        log(`cleanup failed: ${err instanceof Error ? err.message : String(err)}`),
      );
    }
  })();
  return cleaning;
}
// process.on, not once: Miniflare's signal-exit hook kills the process at once when it is
// the only listener left, which would cut the cleanup short. A second signal exits now.
let signalled = false;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    if (signalled) process.exit(130);
    signalled = true;
    log(`${sig}: cleaning up (send it again to exit at once)`);
    void cleanupAll().finally(() => process.exit(130));
  });
}
const watchdog = setTimeout(() => {
  log(`watchdog: the ${MODE.name} run passed ${MODE.watchdogS}s; stopping`);
  void cleanupAll().finally(() => process.exit(1));
}, MODE.watchdogS * 1000);
watchdog.unref();

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

interface Target {
  metric: string;
  value: number | null;
  op: ">=" | "<=" | "=";
  target: number;
  pass: boolean;
}

function target(metric: string, value: number | null | undefined, op: Target["op"], t: number): Target {
  const v = value ?? null;
  const pass = v !== null && Number.isFinite(v) && (op === ">=" ? v >= t : op === "<=" ? v <= t : v === t);
  return { metric, value: v, op, target: t, pass };
}

const fmt = (v: number | null | undefined, digits = 0) =>
  v === null || v === undefined || !Number.isFinite(v)
    ? "n/a"
    : v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

const INGEST_NOTES = [
  "Headline (rps, ratio, cpuUsPerEvent, p99Ms): the `edge` variant, bench/fixtures/edge-bindings.ts around the real worker. SITE_LIMITER and CLIENT_LIMITER are in-isolate fixed-window counters per key (period from wrangler.toml, limit raised to " +
    `${BENCH_RATE_LIMIT}); INGEST_QUEUE.send JSON-serialises the message and drops it. Everything else is Miniflare's (KV for the site lookup included).`,
  "Why: in production a ratelimit call is an in-colo counter and a queue send one subrequest; Miniflare simulates them with Durable Objects (a SQLite one per limit() call, a broker per send) that cost several times our handler in the same workerd process. The bench measures our worker, not that scaffolding, as it measures on workerd rather than through wrangler dev's proxy.",
  "withSimulators: the same load against the worker as deployed, both limiters (raised, still called) and the queue producer going to Miniflare's simulators. breakdownUsPerRequest.simulatorsUs is the difference.",
  "No queue consumer runs during the ingest section: this is the accept path only. The pipeline and freshness run the `edge-queue` variant: the same limiters, the real local Queue, consumer, SiteAggregator Durable Object and Postgres.",
  "cpuUsPerEvent is workerd utime+stime over the measured window / (2xx responses x 20). The edge worker and the empty one are loaded in alternating slices, summed per target; p99Ms is the worst slice's.",
];

async function main(): Promise<number> {
  const errors: Record<string, string> = {};
  /** Runs one section; null when it failed (recorded in `errors`) or `--only` left it out. */
  const section = async <T>(name: string, fn: () => Promise<T>, on = true): Promise<T | null> => {
    if (!on) return null;
    try {
      return await fn();
    } catch (err) {
      const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
      errors[name] = msg.split("\n").slice(0, 6).join("\n");
      log(`${name} failed: ${msg}`);
      return null;
    }
  };

  const cpu = cpus();
  const machine = `${cpu[0]?.model.trim() ?? "unknown cpu"}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB`;
  const v = versions();
  const runtime = `workerd ${v.workerd} via miniflare ${v.miniflare} (direct socket, ${STORAGE.kind} storage)`;
  // Other work on the machine skews every number here; the load average says how much.
  const loadAtStart = loadavg().map((l) => Math.round(l * 100) / 100);
  log(`mode ${MODE.name}; ${runtime}; ${machine}; load average ${loadAtStart.join(" ")}`);

  for (const [name, port] of Object.entries(PORTS)) {
    if (!(await portFree(port))) throw new Error(`port ${port} (${name}) is busy on 127.0.0.1; set BENCH_PORT`);
  }

  const tool: LoadTool = resolveLoadTool(log);
  const loadTool = tool === "wrk" ? `wrk ${wrkVersion() ?? "?"}` : "autocannon 9.0.0";

  let tracker: TrackerResult | null = null;
  const built = await section("tracker", async () => ensureTrackerBuilt(log));
  tracker = await section("tracker", async () => trackerSize(built ?? false));

  log(`bundling ${VARIANTS.join(", ")} (wrangler deploy --dry-run, concurrently)`);
  const scripts = await buildWorkers();

  const bridge = await startBridge(log);
  track(() => bridge.close());
  await migrate(DATABASE_URL, bridge.port);
  const admin: BenchDb = openDb(bridge.port);
  track(() => admin.close());
  log(`migrations applied; Postgres bridge on ${bridge.proxy}`);

  const ingest: IngestResult | null = await section(
    "ingest",
    () =>
      benchIngest({
        tool,
        scripts,
        ingestPort: PORTS.ingest,
        emptyPort: PORTS.empty,
        probePort: PORTS.probe,
        probes: true,
        probeDurationS: MODE.probeDurationS,
        harnessCalls: MODE.harnessCalls,
        rounds: MODE.rounds,
        profilePort: profile ? PORTS.inspector : null,
        connections: MODE.connections,
        warmupS: MODE.warmupS,
        durationS: MODE.durationS,
        track,
        log,
      }),
    runs("ingest"),
  );

  const pf = await section(
    "pipeline",
    () =>
      benchPipeline({
        scriptPath: scripts["edge-queue"],
        port: PORTS.pipeline,
        pgWsProxy: bridge.proxy,
        databaseUrl: DATABASE_URL,
        db: admin,
        events: MODE.pipelineEvents,
        singleEvents: MODE.singleEvents,
        concurrency: CONCURRENCY,
        drainTimeoutS: MODE.drainTimeoutS,
        stallTimeoutS: MODE.stallTimeoutS,
        freshnessSamples: MODE.freshnessSamples,
        freshnessSpacingMs: MODE.freshnessSpacingMs,
        freshnessTimeoutS: 30,
        track,
        log,
      }),
    runs("pipeline"),
  );
  const pipeline: PipelineResult | null = pf?.pipeline ?? null;
  const singleEvent: PipelineResult | null = pf?.singleEvent ?? null;
  const freshness: FreshnessResult | null = pf?.freshness ?? null;

  const baseline: BaselineResult | null = await section(
    "baseline",
    () =>
      benchBaseline({
        bridgePort: bridge.port,
        admin,
        events: pipeline?.events ?? MODE.pipelineEvents,
        concurrency: CONCURRENCY,
        pools: BASELINE_POOLS,
        track,
        log,
      }),
    runs("pipeline"),
  );

  const aggregator: AggregatorResult | null = await section(
    "aggregator",
    () =>
      benchAggregator({
        scriptPath: scripts.ingest,
        port: PORTS.aggregator,
        calls: MODE.aggregatorCalls,
        rounds: MODE.aggregatorRounds,
        track,
        log,
      }),
    runs("pipeline"),
  );

  const shards: ShardsResult | null = await section(
    "shards",
    () =>
      benchShards({
        scriptPath: scripts.ingest,
        port: PORTS.shards,
        calls: MODE.shardCalls,
        rounds: MODE.shardRounds,
        track,
        log,
      }),
    runs("shards"),
  );

  const recordingsList: RecordingsListResult | null = await section(
    "recordings",
    () => benchRecordingsList({ db: admin, rows: MODE.recordingRows, repeats: MODE.recordingRepeats, track, log }),
    runs("recordings"),
  );

  const heatmaps: HeatmapQueryResult | null = await section(
    "heatmaps",
    () => benchHeatmapQuery({ db: admin, clicks: MODE.heatmapClicks, repeats: MODE.heatmapRepeats, track, log }),
    runs("heatmaps"),
  );

  const record: RecordResult | null = await section(
    "record",
    () =>
      benchRecord({
        scriptPath: scripts.edge,
        port: PORTS.record,
        sessions: MODE.recordSessions,
        chunksPerSession: MODE.recordChunks,
        track,
        log,
      }),
    runs("record"),
  );

  const recordingMinute: RecordingMinuteResult | null = await section(
    "recordingMinute",
    () =>
      benchRecordingMinute({
        scriptPath: scripts.edge,
        port: PORTS.recordingMinute,
        seconds: MODE.recordedSeconds,
        track,
        log,
      }),
    runs("record"),
  );

  const flags: FlagsResult | null = await section(
    "flags",
    () =>
      benchFlags({
        scriptPath: scripts.edge,
        port: PORTS.flags,
        emptyPort: PORTS.flagsEmpty,
        connections: MODE.connections,
        warmupS: 1,
        slices: MODE.flagsSlices,
        sliceS: MODE.flagsSliceS,
        evalCalls: MODE.flagsEvalCalls,
        apiFlips: MODE.apiFlips,
        track,
        log,
      }),
    runs("flags"),
  );

  await cleanupAll();

  const result = {
    ingest: ingest && {
      rps: ingest.rps,
      emptyRps: ingest.emptyRps,
      ratio: ingest.ratio,
      cpuRatio: ingest.cpuRatio,
      cpuUsPerEvent: ingest.cpuUsPerEvent,
      p99Ms: ingest.p99Ms,
      emptyP99Ms: ingest.emptyP99Ms,
      eventsPerSec: ingest.eventsPerSec,
      cpuUsPerRequest: ingest.cpuUsPerRequest,
      emptyCpuUsPerRequest: ingest.emptyCpuUsPerRequest,
      withSimulators: ingest.withSimulators,
      breakdownUsPerRequest: ingest.breakdown,
      handlerProfileUsPerCall: ingest.handlerProfile,
      eventsPerBatch: ingest.eventsPerBatch,
      batchBytes: ingest.batchBytes,
      connections: ingest.connections,
      durationS: ingest.durationS,
      cores: ingest.cores,
      emptyCores: ingest.emptyCores,
      errors: ingest.errors,
      workerLogLines: ingest.workerLogs.lines,
      workerLogErrors: ingest.workerLogs.errors,
      queueConsumer: false,
      variant: "edge",
      notes: INGEST_NOTES,
      builds: Object.fromEntries(VARIANTS.map((v) => [v, buildCommand(v)])),
    },
    pipeline: pipeline && {
      eventsPerSec: pipeline.eventsPerSec,
      baselineEventsPerSec: baseline?.eventsPerSec ?? null,
      ratio: baseline ? pipeline.eventsPerSec / baseline.eventsPerSec : null,
      accepted: pipeline.accepted,
      counted: pipeline.counted,
      lost: pipeline.lost,
      drained: pipeline.drained,
      events: pipeline.events,
      batches: pipeline.batches,
      concurrency: pipeline.concurrency,
      rejected: pipeline.rejected,
      sendSeconds: pipeline.sendSeconds,
      totalSeconds: pipeline.totalSeconds,
      acceptEventsPerSec: pipeline.acceptEventsPerSec,
      distinctPaths: pipeline.distinctPaths,
      distinctSessions: pipeline.distinctSessions,
      shards: pipeline.shards,
      cores: pipeline.cores,
      workerLogErrors: pipeline.workerLogs.errors,
      workerErrorSamples: [...pipeline.workerLogs.firstErrors, ...pipeline.workerLogs.lastErrors],
      singleEvent: singleEvent && {
        eventsPerSec: singleEvent.eventsPerSec,
        accepted: singleEvent.accepted,
        counted: singleEvent.counted,
        lost: singleEvent.lost,
        drained: singleEvent.drained,
        requests: singleEvent.batches,
        rejected: singleEvent.rejected,
        sendSeconds: singleEvent.sendSeconds,
        totalSeconds: singleEvent.totalSeconds,
        acceptEventsPerSec: singleEvent.acceptEventsPerSec,
        cores: singleEvent.cores,
      },
      baseline,
      aggregator,
    },
    freshness,
    shards,
    recordingsList,
    heatmaps,
    record,
    recordingMinute,
    flags,
    tracker: tracker && {
      coreGzipBytes: tracker.coreGzipBytes,
      coreBytes: tracker.coreBytes,
      recorderGzipBytes: tracker.recorderGzipBytes,
    },
    targets: [] as Target[],
    runtime,
    machine,
    date: new Date().toISOString(),
    mode: MODE.name,
    load: {
      tool: loadTool,
      threads: 1,
      connections: MODE.connections,
      warmupS: MODE.warmupS,
      durationS: MODE.durationS,
      rounds: MODE.rounds,
    },
    storage: STORAGE.kind,
    loadAverageAtStart: loadAtStart,
    durationS: Math.round((Date.now() - started) / 1000),
    errors,
  };
  result.targets = [
    target("ingest.ratio", result.ingest?.ratio, ">=", 0.3),
    target("ingest.cpuUsPerEvent", result.ingest?.cpuUsPerEvent, "<=", 15),
    target("pipeline.ratio", result.pipeline?.ratio, ">=", 5),
    target("pipeline.lost", result.pipeline?.lost, "=", 0),
    target("pipeline.singleEvent.lost", result.pipeline?.singleEvent?.lost, "=", 0),
    target("freshness.p95Ms", result.freshness?.p95Ms, "<=", 15_000),
    target("tracker.coreGzipBytes", result.tracker?.coreGzipBytes, "<=", 3_072),
    // Two shards on two cores: the split must not eat what the second thread gives.
    target("shards.scaling", result.shards?.scaling, ">=", 1.5),
    target("recordings.listP50Ms", result.recordingsList?.p50Ms, "<=", 100),
    target("heatmaps.clickP50Ms", result.heatmaps?.p50Ms, "<=", 50),
    // Issue 11's 25 KB, read as KiB.
    target("tracker.recorderGzipBytes", result.tracker?.recorderGzipBytes, "<=", 25 * 1024),
    // Loose sanity bounds, not the issue's: docs/FLAGS.md gives a flip locally as <= 10 s (the
    // isolate cache), read here by 50 ms polls; 5 KB is a loader well above the 2.9 KB measured.
    target("flags.flipMs", result.flags?.flip.ms, "<=", 11_000),
    target("flags.loaderGzipBytes", result.flags?.loader.withFlagsGzipBytes, "<=", 5 * 1024),
    // With --only, the sections left out have no figure to hold to a target.
  ].filter((t) => only === undefined || t.value !== null);

  mkdirSync(dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify(result, null, 2)}\n`);
  printTable(result);
  log(`wrote ${RESULTS_FILE}`);
  return Object.keys(errors).length > 0 ? 1 : 0;
}

function shardRows(s: ShardsResult | null, mark: (metric: string) => string[]): string[][] {
  const run = (x: ShardRun | undefined) =>
    x
      ? `${fmt(x.eventsPerSec)} ev/s, ${fmt(x.callsPerSecPerShard)} calls/s a shard, ${fmt(x.eventsPerCall)} ev a call, ${fmt(x.cpuUsPerEvent, 1)} µs CPU an event`
      : "n/a";
  return [
    ["one site, one shard saturated", run(s?.oneShard), "", ""],
    ["  two shards, one workerd (one thread)", run(s?.twoShardsOneProcess), "", ""],
    ["  two shards, a process each", run(s?.twoShardsTwoProcesses), "", ""],
    ["  two shards / one shard", fmt(s?.scaling, 2), ...mark("shards.scaling")],
    ["  one shard, one event a message", run(s?.oneEventMessages), "", ""],
  ];
}

function flagRows(f: FlagsResult | null, mark: (metric: string) => string[]): string[][] {
  const ms = (v: number | undefined) => (v === undefined ? "n/a" : `${fmt(v, 1)} ms`);
  const cpu = (v: number | null | undefined) => (v === null || v === undefined ? "n/a" : `${fmt(v)} µs`);
  return [
    [
      `OFREP bulk, ${fmt(f?.flags)} flags: req/s (empty worker)`,
      f ? `${fmt(f.ofrep.rps)} (${fmt(f.empty.rps)})` : "n/a",
      "",
      "",
    ],
    [
      `  p50 / p99 at ${fmt(f?.load.connections)} connections (empty)`,
      f ? `${ms(f.ofrep.p50Ms)} / ${ms(f.ofrep.p99Ms)} (${ms(f.empty.p50Ms)} / ${ms(f.empty.p99Ms)})` : "n/a",
      "",
      "",
    ],
    [
      "  workerd CPU per request (empty)",
      f ? `${cpu(f.ofrep.cpuUsPerRequest)} (${cpu(f.empty.cpuUsPerRequest)})` : "n/a",
      "",
      "",
    ],
    [
      "evaluateAll in Node: per call / per flag",
      f ? `${fmt(f.node.usPerCall, 1)} / ${fmt(f.node.usPerFlag, 2)} µs` : "n/a",
      "",
      "",
    ],
    [
      `loader gzip: ${fmt(f?.flags)} flags (no flags)`,
      f ? `${fmt(f.loader.withFlagsGzipBytes)} B (${fmt(f.loader.noFlagsGzipBytes)} B)` : "n/a",
      ...mark("flags.loaderGzipBytes"),
    ],
    [
      "flip written to KV to a changed OFREP answer, worst case",
      f ? `${fmt(f.flip.ms)} ms` : "n/a",
      ...mark("flags.flipMs"),
    ],
    [
      `flip through the API to a changed OFREP answer, p50 (max of ${fmt(f?.apiFlip.flips)})`,
      f ? `${fmt(f.apiFlip.p50Ms)} ms (${fmt(f.apiFlip.maxMs)})` : "n/a",
      "",
      "",
    ],
  ];
}

function printTable(r: {
  ingest:
    | (Pick<
        IngestResult,
        | "rps"
        | "emptyRps"
        | "ratio"
        | "cpuRatio"
        | "cpuUsPerEvent"
        | "p99Ms"
        | "emptyP99Ms"
        | "emptyCores"
        | "cpuUsPerRequest"
        | "emptyCpuUsPerRequest"
        | "withSimulators"
        | "cores"
      > & {
        breakdownUsPerRequest: IngestResult["breakdown"];
        handlerProfileUsPerCall: IngestResult["handlerProfile"];
      })
    | null;
  pipeline: {
    eventsPerSec: number;
    baselineEventsPerSec: number | null;
    ratio: number | null;
    accepted: number;
    counted: number;
    lost: number;
    acceptEventsPerSec: number;
    totalSeconds: number;
    baseline: BaselineResult | null;
    aggregator: AggregatorResult | null;
    singleEvent: { eventsPerSec: number; accepted: number; counted: number; totalSeconds: number } | null;
  } | null;
  freshness: FreshnessResult | null;
  shards: ShardsResult | null;
  recordingsList: RecordingsListResult | null;
  heatmaps: HeatmapQueryResult | null;
  record: RecordResult | null;
  recordingMinute: RecordingMinuteResult | null;
  flags: FlagsResult | null;
  tracker: { coreGzipBytes: number; recorderGzipBytes: number } | null;
  targets: Target[];
  runtime: string;
  machine: string;
  load: { tool: string; connections: number; durationS: number; rounds: number };
  errors: Record<string, string>;
}): void {
  const mark = (metric: string) => {
    const t = r.targets.find((x) => x.metric === metric);
    if (!t) return ["", ""];
    const unit = metric.endsWith("Ms")
      ? " ms"
      : metric.endsWith("Bytes")
        ? " B"
        : metric.endsWith("PerEvent")
          ? " µs"
          : "";
    return [`${t.op} ${fmt(t.target, Number.isInteger(t.target) ? 0 : 1)}${unit}`, t.pass ? "PASS" : "FAIL"];
  };
  const rows: string[][] = [["metric", "value", "target", ""]];
  const i = r.ingest;
  const p = r.pipeline;
  const b = i?.breakdownUsPerRequest;
  const w = i?.withSimulators;
  const us = (v: number | null | undefined, digits = 0) =>
    v === null || v === undefined ? "n/a" : `${fmt(v, digits)} µs`;
  rows.push(
    ["ingest req/s (20-event batch)", fmt(i?.rps), "", ""],
    ["empty worker req/s", fmt(i?.emptyRps), "", ""],
    ["ingest / empty", fmt(i?.ratio, 3), ...mark("ingest.ratio")],
    [
      "  workerd cores busy: ingest / empty",
      i ? `${fmt(i.cores.workerd, 2)} / ${fmt(i.emptyCores.workerd, 2)}` : "n/a",
      "",
      "",
    ],
    ["  empty / ingest, CPU per request", fmt(i?.cpuRatio, 3), "", ""],
    ["workerd CPU per event", i ? `${fmt(i.cpuUsPerEvent, 1)} µs` : "n/a", ...mark("ingest.cpuUsPerEvent")],
    [
      "  per request: ingest / empty",
      i ? `${fmt(i.cpuUsPerRequest)} / ${fmt(i.emptyCpuUsPerRequest)} µs` : "n/a",
      "",
      "",
    ],
    ["  runtime floor (empty worker)", us(b?.runtimeUs), "", ""],
    ["  our handler (in-isolate harness)", us(b?.handlerUs), "", ""],
    ["  rest (socket body, stand-ins, noise)", us(b?.restUs), "", ""],
    ["ingest p99 (empty p99)", i ? `${fmt(i.p99Ms, 1)} ms (${fmt(i.emptyP99Ms, 1)})` : "n/a", "", ""],
    ["with Miniflare's simulators: req/s", fmt(w?.rps), "", ""],
    ["  / empty", fmt(w?.ratio, 3), "", ""],
    ["  workerd CPU per event", us(w?.cpuUsPerEvent, 1), "", ""],
    ["  simulators per request", us(b?.simulatorsUs), "", ""],
    ["    ratelimit x2 alone", us(b?.rateLimitsUs), "", ""],
    ["    queue send alone", us(b?.queueSendUs), "", ""],
    ["  p99", w ? `${fmt(w.p99Ms, 1)} ms` : "n/a", "", ""],
    ["pipeline events/s, HTTP->Postgres", fmt(p?.eventsPerSec), "", ""],
    ["baseline events/s, row per event", fmt(p?.baselineEventsPerSec), "", ""],
    ["pipeline / baseline", fmt(p?.ratio, 2), ...mark("pipeline.ratio")],
    ["accepted / counted", p ? `${fmt(p.accepted)} / ${fmt(p.counted)}` : "n/a", "", ""],
    ["  HTTP accept rate, events/s", fmt(p?.acceptEventsPerSec), "", ""],
    ["  first send to drained", p ? `${fmt(p.totalSeconds, 1)} s` : "n/a", "", ""],
    ["  baseline connections", fmt(p?.baseline?.connections), "", ""],
    ["  aggregator alone, workerd CPU per event", us(p?.aggregator?.cpuUsPerEvent, 1), "", ""],
    ["lost", fmt(p?.lost), ...mark("pipeline.lost")],
    ["pipeline events/s, one event per request", fmt(p?.singleEvent?.eventsPerSec), "", ""],
    [
      "  accepted / counted",
      p?.singleEvent ? `${fmt(p.singleEvent.accepted)} / ${fmt(p.singleEvent.counted)}` : "n/a",
      "",
      "",
    ],
    ["  first send to drained", p?.singleEvent ? `${fmt(p.singleEvent.totalSeconds, 1)} s` : "n/a", "", ""],
    [
      "  lost",
      fmt(p?.singleEvent ? p.singleEvent.accepted - p.singleEvent.counted : null),
      ...mark("pipeline.singleEvent.lost"),
    ],
    [
      "freshness p95 (p50)",
      r.freshness ? `${fmt(r.freshness.p95Ms)} ms (${fmt(r.freshness.p50Ms)})` : "n/a",
      ...mark("freshness.p95Ms"),
    ],
    ...shardRows(r.shards, mark),
    ["tracker core gzip", r.tracker ? `${fmt(r.tracker.coreGzipBytes)} B` : "n/a", ...mark("tracker.coreGzipBytes")],
    [
      "recorder chunk gzip",
      r.tracker ? `${fmt(r.tracker.recorderGzipBytes)} B` : "n/a",
      ...mark("tracker.recorderGzipBytes"),
    ],
    [
      `recordings list p50 (p95), ${fmt(r.recordingsList?.rows)} rows, two filters`,
      r.recordingsList ? `${fmt(r.recordingsList.p50Ms, 1)} ms (${fmt(r.recordingsList.p95Ms, 1)})` : "n/a",
      ...mark("recordings.listP50Ms"),
    ],
    [
      `click heatmap p50 (p95), ${fmt(r.heatmaps?.clicks)} clicks on one page`,
      r.heatmaps ? `${fmt(r.heatmaps.p50Ms, 1)} ms (${fmt(r.heatmaps.p95Ms, 1)})` : "n/a",
      ...mark("heatmaps.clickP50Ms"),
    ],
    [
      "recording upload, workerd CPU per KB (per chunk)",
      r.record ? `${fmt(r.record.cpuUsPerKb, 1)} µs (${fmt(r.record.cpuUsPerChunk)} µs)` : "n/a",
      "",
      "",
    ],
    [
      "  chunks accepted, mean size",
      r.record ? `${fmt(r.record.accepted)} / ${fmt(r.record.chunks)}, ${fmt(r.record.meanChunkBytes)} B` : "n/a",
      "",
      "",
    ],
    [
      `a recorded minute of the demo (${fmt(r.recordingMinute?.seconds)} s in Chromium): stored in R2 (uploaded)`,
      r.recordingMinute
        ? `${fmt(r.recordingMinute.storedBytesPerMin)} B (${fmt(r.recordingMinute.uploadedBytesPerMin)} B)`
        : "n/a",
      "",
      "",
    ],
    [
      "  chunks, R2 writes a minute",
      r.recordingMinute ? `${fmt(r.recordingMinute.chunksPerMin)}, ${fmt(r.recordingMinute.r2WritesPerMin, 1)}` : "n/a",
      "",
      "",
    ],
    ...flagRows(r.flags, mark),
  );
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((row) => (row[c] ?? "").length)));
  const line = (row: string[]) =>
    row
      .map((cell, c) => (c === 1 ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join("  ")
      .trimEnd();
  console.log("");
  console.log(`Sightline bench: ${r.runtime}`);
  console.log(
    `machine: ${r.machine}; load: ${r.load.tool}, 1 thread, ${r.load.connections} connections, ${r.load.durationS}s per target (ingest and empty: ${r.load.rounds} alternating slices)`,
  );
  console.log(
    "ingest: the real worker with production-shaped bindings (bench/fixtures/edge-bindings.ts): SITE_LIMITER and",
  );
  console.log(
    "  CLIENT_LIMITER are in-isolate fixed-window counters, INGEST_QUEUE.send serialises and drops; no consumer. Miniflare",
  );
  console.log(
    "  simulates those bindings with Durable Objects costing several times our handler, so they are measured apart below.",
  );
  console.log(
    "pipeline, freshness: the same limiters; the real local Queue, consumer, SiteAggregator Durable Object and Postgres.",
  );
  console.log("");
  for (const row of rows) console.log(line(row));
  const prof = r.ingest?.handlerProfileUsPerCall;
  if (prof) {
    console.log("");
    console.log("where the handler's CPU goes (V8 profile of the harness, share of samples; the attached inspector");
    console.log("inflates console.log, which the table measures without it):");
    const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)}%`;
    for (const p of prof.byPackage.slice(0, 8)) console.log(`  ${pct(p.share)}  ${p.name}`);
    console.log("  hottest functions (builtins counted to their caller):");
    for (const f of prof.topFunctions.slice(0, 8)) console.log(`  ${pct(f.share)}  ${f.name}  [${f.where}]`);
  }
  const failed = r.targets.filter((t) => !t.pass).length;
  console.log("");
  console.log(
    `${r.targets.length - failed}/${r.targets.length} targets met${Object.keys(r.errors).length ? `; sections that crashed: ${Object.keys(r.errors).join(", ")}` : ""}`,
  );
}

main()
  .then(async (code) => {
    await cleanupAll();
    process.exit(code);
  })
  .catch(async (err: unknown) => {
    log(`bench crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cleanupAll();
    process.exit(1);
  });
