/**
 * Ingest: POST /v1/collect with a 20-event batch under closed-loop load, against an empty
 * worker on the same runtime and load tool. The ingest worker runs without its queue
 * consumer, so the numbers are the accept path (validate, KV, rate limits, queue send), not
 * aggregation competing for the same cores.
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
  scriptPath: string;
  ingestPort: number;
  emptyPort: number;
  probePort: number;
  /** Measure each binding's simulator on its own too (the CPU breakdown). */
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
  /** workerd CPU per request, split by what spends it; null when probes were skipped. */
  breakdown: Breakdown | null;
  /** Where the handler's own CPU goes (--profile only). */
  handlerProfile: HandlerProfile | null;
}

export interface Breakdown {
  /** The runtime itself over HTTP: accept, parse, respond (the empty worker). */
  runtimeUs: number;
  /**
   * Our handler alone, in-isolate with do-nothing bindings (body, JSON, zod, Hono, log line);
   * includes ~10 µs of building each Request in the harness loop.
   */
  handlerUs: number;
  /** The rest of an ingest request: the binding calls as Miniflare simulates them. */
  bindingsUs: number;
  /** Of which two ratelimit calls (a SQLite Durable Object each), measured on their own. */
  rateLimitsUs: number | null;
  /** Of which one queue send (the broker Durable Object), measured on its own. */
  queueSendUs: number | null;
  /** (runtime + handler) per event: what cpuUsPerEvent would be with free bindings. */
  withoutSimulatorsUsPerEvent: number;
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

/** workerd CPU per handler call in the harness: the median of three timed loops after a warm-up. */
async function handlerCpu(inst: Instance, opts: IngestOptions): Promise<number> {
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
  opts.log(`harness: ${samples.map((x) => x.toFixed(0)).join(", ")} µs per handler call`);
  return samples.sort((a, b) => a - b)[1] as number;
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

  const ingestRun = await withInstance(
    opts,
    () => startIngest({ port: opts.ingestPort, scriptPath: opts.scriptPath, consumer: false }),
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
      () => startHarness(opts.probePort, opts.scriptPath, site, harnessRequest, profilePort),
      async (inst) => {
        await harnessCall(inst, opts.harnessCalls);
        await harnessCall(inst, opts.harnessCalls);
        opts.log(`harness: profiling ${opts.harnessCalls} handler calls`);
        return profileHandler(profilePort, "core:user:harness", opts.scriptPath, opts.harnessCalls, () =>
          harnessCall(inst, opts.harnessCalls),
        );
      },
    );
  }

  let breakdown: Breakdown | null = null;
  if (opts.probes) {
    const floor = perRequest(empty);
    const total = perRequest(ingestRun);
    const handlerUs = await withInstance(
      opts,
      () => startHarness(opts.probePort, opts.scriptPath, site, harnessRequest),
      (inst) => handlerCpu(inst, opts),
    );
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
    const rateLimitsUs = await probeCpu("rateLimits");
    const queueSendUs = await probeCpu("queueSend");
    breakdown = {
      runtimeUs: floor,
      handlerUs,
      bindingsUs: total - floor - handlerUs,
      rateLimitsUs: Number.isFinite(rateLimitsUs) ? rateLimitsUs : null,
      queueSendUs: Number.isFinite(queueSendUs) ? queueSendUs : null,
      withoutSimulatorsUsPerEvent: (floor + handlerUs) / EVENTS_PER_BATCH,
    };
  }

  const { load, cpu } = ingestRun;
  const events = load.ok * EVENTS_PER_BATCH;
  const canCount = ingestRun.cpu.workerdUs > 0;
  return {
    rps: load.rps,
    emptyRps: empty.load.rps,
    ratio: load.rps / empty.load.rps,
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
    breakdown,
    handlerProfile,
  };
}
