/**
 * Ingest: POST /v1/collect with a 20-event batch under closed-loop load, against an empty
 * worker on the same runtime and load tool. The headline runs the `edge` variant: the real
 * worker with production-shaped ratelimit and queue bindings (bench/fixtures/edge-bindings.ts),
 * so it measures our worker rather than Miniflare's local simulators of those bindings. The
 * same load against the worker as deployed, simulators and all, is kept as `withSimulators`.
 * No queue consumer runs in either, so the numbers are the accept path, not aggregation
 * competing for the same cores.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { newId, uuidv7 } from "@sightline/shared/ids";
import { type SiteEdgeRecord, siteKvKey } from "@sightline/shared/site";
import { pagePath } from "@sightline/shared/wire";
import { BENCH_ORIGIN, benchSiteKey, COLLECT_HEADERS, collectBody } from "./lib/batch.ts";
import { type CpuWindow, startCpuWindow } from "./lib/cpu.ts";
import { type LoadResult, type LoadSpec, type LoadTool, runLoad } from "./lib/load.ts";
import { type Instance, type ProbeKind, startEmpty, startHarness, startIngest, startProbe } from "./lib/miniflare.ts";
import { type HandlerProfile, profileHandler } from "./lib/profile.ts";

export const EVENTS_PER_BATCH = 20;

export interface IngestOptions {
  tool: LoadTool;
  /** The `edge` bundle (headline) and the `ingest` bundle (with Miniflare's simulators). */
  scripts: { edge: string; ingest: string };
  ingestPort: number;
  emptyPort: number;
  probePort: number;
  /** Also measure each binding's simulator on its own (two more short loads). */
  probes: boolean;
  probeDurationS: number;
  /** Handler calls per timed loop in the in-isolate harness. */
  harnessCalls: number;
  /** Also take a V8 CPU profile of the handler in the harness (inspector on this port). */
  profilePort: number | null;
  connections: number;
  warmupS: number;
  durationS: number;
  track: (cleanup: () => Promise<void>) => () => void;
  log: (line: string) => void;
}

export interface TargetRun {
  load: LoadResult;
  cpu: CpuWindow;
}

export interface IngestResult {
  rps: number;
  emptyRps: number;
  ratio: number;
  /**
   * The empty worker's workerd CPU per request / ours: what the ratio would be if both had a
   * whole core to themselves. Other work on the machine moves the ratio, much less this.
   */
  cpuRatio: number | null;
  cpuUsPerEvent: number | null;
  p99Ms: number;
  emptyP99Ms: number;
  emptyCpuUsPerRequest: number | null;
  cpuUsPerRequest: number | null;
  eventsPerSec: number;
  eventsPerBatch: number;
  batchBytes: number;
  connections: number;
  durationS: number;
  queueConsumer: false;
  /** Cores busy during the ingest window: workerd, this Node process, everything. */
  cores: { workerd: number; node: number; machine: number | null };
  emptyCores: { workerd: number; machine: number | null };
  errors: { non2xx: number; socket: number; emptyNon2xx: number; emptySocket: number };
  workerLogs: { lines: number; errors: number; firstErrors: string[]; lastErrors: string[] };
  /** The same load against the worker as deployed, with Miniflare's binding simulators. */
  withSimulators: SimulatorsRun;
  /** workerd CPU per request, split by what spends it. */
  breakdown: Breakdown;
  /** Where the handler's own CPU goes (--profile only). */
  handlerProfile: HandlerProfile | null;
}

export interface SimulatorsRun {
  rps: number;
  /** rps / the empty worker's rps. */
  ratio: number;
  cpuUsPerEvent: number | null;
  cpuUsPerRequest: number | null;
  p99Ms: number;
  cores: { workerd: number; machine: number | null };
  errors: { non2xx: number; socket: number };
  workerLogErrors: number;
}

export interface Breakdown {
  /** The runtime itself over HTTP: accept, parse, respond (the empty worker). */
  runtimeUs: number;
  /**
   * Our handler alone, in-isolate with do-nothing bindings (body, JSON, zod, Hono, log line);
   * includes ~10 µs of building each Request in the harness loop.
   */
  handlerUs: number;
  /**
   * The rest of an `edge` request, by difference: reading a body off a socket rather than a
   * string, the in-isolate binding stand-ins, timing noise. Can come out slightly negative.
   */
  restUs: number;
  /**
   * Of handlerUs, console.log of the request's log line (the harness again with console.log a
   * no-op; the JSON.stringify before it stays). --profile only, else null.
   */
  consoleLogUs: number | null;
  /** What Miniflare's binding simulators add per request: withSimulators - edge. */
  simulatorsUs: number;
  /** Two ratelimit calls (a SQLite Durable Object each), measured on their own; null when skipped. */
  rateLimitsUs: number | null;
  /** One queue send (the broker Durable Object), measured on its own; null when skipped. */
  queueSendUs: number | null;
}

async function measure(inst: Instance, spec: LoadSpec, opts: IngestOptions): Promise<TargetRun> {
  opts.log(`${inst.name}: warm-up ${opts.warmupS}s`);
  await runLoad(opts.tool, { ...spec, durationS: opts.warmupS });
  await sleep(500);
  opts.log(
    `${inst.name}: measuring ${spec.durationS}s, ${spec.connections} connections (workerd pids ${inst.pids.join(",")})`,
  );
  const stop = startCpuWindow(inst.pids);
  const load = await runLoad(opts.tool, spec);
  const cpu = stop();
  return { load, cpu };
}

const perRequest = (r: TargetRun) => (r.load.ok > 0 ? r.cpu.workerdUs / r.load.ok : Number.NaN);

async function harnessCall(inst: Instance, n: number): Promise<void> {
  const res = await fetch(`${inst.url}/?n=${n}`);
  const statuses = (await res.json()) as Record<string, number>;
  if (statuses["202"] !== n) throw new Error(`harness: expected ${n} x 202, got ${JSON.stringify(statuses)}`);
}

/**
 * workerd CPU per handler call in the harness: the fastest of three timed loops after a
 * warm-up (other work on the machine only ever adds to it, through the shared cores).
 */
async function handlerCpu(inst: Instance, opts: IngestOptions, label = "harness"): Promise<number> {
  const call = (n: number) => harnessCall(inst, n);
  // V8 keeps tiering the handler up for a few thousand calls; time it once it is hot.
  await call(opts.harnessCalls);
  await call(opts.harnessCalls);
  const samples: number[] = [];
  for (let k = 0; k < 3; k++) {
    const stop = startCpuWindow(inst.pids);
    await call(opts.harnessCalls);
    samples.push(stop().workerdUs / opts.harnessCalls);
  }
  opts.log(`${label}: ${samples.map((x) => x.toFixed(0)).join(", ")} µs per handler call`);
  return Math.min(...samples);
}

/** Starts an instance and registers its disposal, so a failure anywhere still stops it. */
async function withInstance<T>(
  opts: IngestOptions,
  start: () => Promise<Instance>,
  fn: (inst: Instance) => Promise<T>,
): Promise<T> {
  const inst = await start();
  const untrack = opts.track(() => inst.dispose());
  try {
    return await fn(inst);
  } finally {
    untrack();
    await inst.dispose();
  }
}

export async function benchIngest(opts: IngestOptions): Promise<IngestResult> {
  const site: SiteEdgeRecord = {
    siteId: newId("site"),
    siteKey: benchSiteKey("bi"),
    origins: [BENCH_ORIGIN],
    shards: 1,
    respectDnt: true,
  };
  const paths = Array.from({ length: EVENTS_PER_BATCH }, (_, i) => `/ingest/page-${i % 7}`);
  const body = collectBody(site.siteKey, uuidv7(), paths);
  const spec = (url: string): LoadSpec => ({
    url: `${url}/v1/collect`,
    method: "POST",
    body,
    headers: COLLECT_HEADERS,
    connections: opts.connections,
    durationS: opts.durationS,
  });

  const empty = await withInstance(
    opts,
    () => startEmpty(opts.emptyPort),
    async (inst) => {
      const probe = await fetch(`${inst.url}/v1/collect`, { method: "POST", body, headers: COLLECT_HEADERS });
      if (probe.status !== 204) throw new Error(`empty worker answered ${probe.status}, expected 204`);
      return measure(inst, spec(inst.url), opts);
    },
  );

  const runIngest = (name: string, scriptPath: string) =>
    withInstance(
      opts,
      () => startIngest({ name, port: opts.ingestPort, scriptPath, consumer: false }),
      async (inst) => {
        const kv = await inst.mf.getKVNamespace("SITES");
        await kv.put(siteKvKey(site.siteKey), JSON.stringify(site));
        // One request first: the load is only meaningful if every batch is fully accepted.
        const probe = await fetch(`${inst.url}/v1/collect`, { method: "POST", body, headers: COLLECT_HEADERS });
        const answer = await probe.text();
        if (probe.status !== 202 || JSON.parse(answer).accepted !== EVENTS_PER_BATCH) {
          throw new Error(`ingest probe answered ${probe.status} ${answer}`);
        }
        const run = await measure(inst, spec(inst.url), opts);
        return {
          ...run,
          logs: { ...inst.logs, firstErrors: [...inst.logs.firstErrors], lastErrors: [...inst.logs.lastErrors] },
        };
      },
    );
  const ingestRun = await runIngest("edge", opts.scripts.edge);
  const simRun = await runIngest("ingest with simulators", opts.scripts.ingest);

  // A Request built in JS gets no Content-Length of its own; an HTTP one (wrk, browsers) has it.
  const harnessRequest = {
    url: "https://ingest.bench.test/v1/collect",
    body,
    headers: { ...COLLECT_HEADERS, "Content-Length": String(Buffer.byteLength(body)) },
  };
  let handlerProfile: HandlerProfile | null = null;
  const profilePort = opts.profilePort;
  if (profilePort !== null) {
    // A separate instance: an attached inspector slows the handler (console.log most).
    handlerProfile = await withInstance(
      opts,
      () => startHarness(opts.probePort, opts.scripts.ingest, site, harnessRequest, profilePort),
      async (inst) => {
        await harnessCall(inst, opts.harnessCalls);
        await harnessCall(inst, opts.harnessCalls);
        opts.log(`harness: profiling ${opts.harnessCalls} handler calls`);
        return profileHandler(profilePort, "core:user:harness", opts.scripts.ingest, opts.harnessCalls, () =>
          harnessCall(inst, opts.harnessCalls),
        );
      },
    );
  }

  const floor = perRequest(empty);
  const total = perRequest(ingestRun);
  const handlerUs = await withInstance(
    opts,
    () => startHarness(opts.probePort, opts.scripts.ingest, site, harnessRequest),
    (inst) => handlerCpu(inst, opts),
  );
  // The profile cannot say this: with an inspector attached, console.log costs far more.
  const consoleLogUs =
    profilePort === null
      ? null
      : handlerUs -
        (await withInstance(
          opts,
          () => startHarness(opts.probePort, opts.scripts.ingest, site, harnessRequest, undefined, true),
          (inst) => handlerCpu(inst, opts, "harness, console.log muted"),
        ));
  let rateLimitsUs: number | null = null;
  let queueSendUs: number | null = null;
  if (opts.probes) {
    const message = {
      v: 1,
      siteId: site.siteId,
      shards: 1,
      sessionId: uuidv7(),
      receivedAt: Date.now(),
      events: paths.map((p) => ({ id: uuidv7(), ts: Date.now(), path: pagePath(`${BENCH_ORIGIN}${p}`) })),
    };
    const probeCpu = async (kind: ProbeKind) =>
      withInstance(
        opts,
        () => startProbe(opts.probePort, kind, message),
        async (inst) =>
          perRequest(await measure(inst, { ...spec(inst.url), durationS: opts.probeDurationS }, opts)) - floor,
      );
    const finite = (x: number) => (Number.isFinite(x) ? x : null);
    rateLimitsUs = finite(await probeCpu("rateLimits"));
    queueSendUs = finite(await probeCpu("queueSend"));
  }
  const breakdown: Breakdown = {
    runtimeUs: floor,
    handlerUs,
    restUs: total - floor - handlerUs,
    consoleLogUs,
    simulatorsUs: perRequest(simRun) - total,
    rateLimitsUs,
    queueSendUs,
  };

  const { load, cpu } = ingestRun;
  const events = load.ok * EVENTS_PER_BATCH;
  const canCount = ingestRun.cpu.workerdUs > 0;
  const sim = simRun.load;
  const simCanCount = simRun.cpu.workerdUs > 0 && sim.ok > 0;
  return {
    rps: load.rps,
    emptyRps: empty.load.rps,
    ratio: load.rps / empty.load.rps,
    cpuRatio: canCount && load.ok > 0 && empty.cpu.workerdUs > 0 ? perRequest(empty) / perRequest(ingestRun) : null,
    cpuUsPerEvent: canCount && events > 0 ? cpu.workerdUs / events : null,
    cpuUsPerRequest: canCount && load.ok > 0 ? cpu.workerdUs / load.ok : null,
    p99Ms: load.p99Ms,
    emptyP99Ms: empty.load.p99Ms,
    emptyCpuUsPerRequest: empty.cpu.workerdUs > 0 && empty.load.ok > 0 ? empty.cpu.workerdUs / empty.load.ok : null,
    eventsPerSec: load.rps * EVENTS_PER_BATCH,
    eventsPerBatch: EVENTS_PER_BATCH,
    batchBytes: Buffer.byteLength(body),
    connections: opts.connections,
    durationS: load.durationS,
    queueConsumer: false,
    cores: {
      workerd: cpu.workerdUs / cpu.wallUs,
      node: cpu.nodeUs / cpu.wallUs,
      machine: cpu.machineBusyUs === null ? null : cpu.machineBusyUs / cpu.wallUs,
    },
    emptyCores: {
      workerd: empty.cpu.workerdUs / empty.cpu.wallUs,
      machine: empty.cpu.machineBusyUs === null ? null : empty.cpu.machineBusyUs / empty.cpu.wallUs,
    },
    errors: {
      non2xx: load.bad,
      socket: load.socketErrors,
      emptyNon2xx: empty.load.bad,
      emptySocket: empty.load.socketErrors,
    },
    workerLogs: ingestRun.logs,
    withSimulators: {
      rps: sim.rps,
      ratio: sim.rps / empty.load.rps,
      cpuUsPerEvent: simCanCount ? simRun.cpu.workerdUs / (sim.ok * EVENTS_PER_BATCH) : null,
      cpuUsPerRequest: simCanCount ? simRun.cpu.workerdUs / sim.ok : null,
      p99Ms: sim.p99Ms,
      cores: {
        workerd: simRun.cpu.workerdUs / simRun.cpu.wallUs,
        machine: simRun.cpu.machineBusyUs === null ? null : simRun.cpu.machineBusyUs / simRun.cpu.wallUs,
      },
      errors: { non2xx: sim.bad, socket: sim.socketErrors },
      workerLogErrors: simRun.logs.errors,
    },
    breakdown,
    handlerProfile,
  };
}
