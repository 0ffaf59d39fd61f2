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
import {
  type Instance,
  type LogCounts,
  type ProbeKind,
  startEmpty,
  startHarness,
  startIngest,
  startProbe,
} from "./lib/miniflare.ts";
import { type HandlerProfile, profileHandler } from "./lib/profile.ts";
import type { SectionHooks } from "./lib/section.ts";

export const EVENTS_PER_BATCH = 20;
/**
 * Requests from one client address before the next: a visitor's pageview batches come a few
 * at a time, so the per-isolate visitor memo misses on one request in four (one SHA-256), as
 * it would with real traffic, instead of never.
 */
export const REQUESTS_PER_CLIENT = 4;

export interface IngestOptions extends SectionHooks {
  tool: LoadTool;
  /** The `edge` bundle (headline) and the `ingest` bundle (with Miniflare's simulators). */
  scripts: { edge: string; ingest: string };
  ingestPort: number;
  emptyPort: number;
  probePort: number;
  /** Also measure each binding's simulator on its own (two more short loads). */
  probes: boolean;
  probeDurationS: number;
  /** The headline pair's measured time is split into this many alternating slices. */
  rounds: number;
  /** Handler calls per timed loop in the in-isolate harness. */
  harnessCalls: number;
  /** Also take a V8 CPU profile of the handler in the harness (inspector on this port). */
  profilePort: number | null;
  connections: number;
  warmupS: number;
  durationS: number;
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
   * includes building each Request in the harness loop. Timed between the headline slices.
   */
  handlerUs: number;
  /**
   * The rest of an `edge` request, by difference: reading a body off a socket rather than a
   * string, the in-isolate binding stand-ins, timing noise. Can come out slightly negative.
   */
  restUs: number;
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

/** Sums the slices of one target into one run; p99 and max are the worst slice's. */
function combine(runs: TargetRun[]): TargetRun {
  const sum = (f: (r: TargetRun) => number) => runs.reduce((a, r) => a + f(r), 0);
  const worst = (f: (r: TargetRun) => number) => Math.max(...runs.map(f));
  const durationS = sum((r) => r.load.durationS);
  const responses = sum((r) => r.load.responses);
  const machine = runs.every((r) => r.cpu.machineBusyUs !== null) ? sum((r) => r.cpu.machineBusyUs ?? 0) : null;
  const p50s = runs.map((r) => r.load.p50Ms).sort((a, b) => a - b);
  return {
    load: {
      tool: (runs[0] as TargetRun).load.tool,
      durationS,
      responses,
      ok: sum((r) => r.load.ok),
      bad: sum((r) => r.load.bad),
      socketErrors: sum((r) => r.load.socketErrors),
      rps: responses / durationS,
      p50Ms: p50s[Math.floor(p50s.length / 2)] as number,
      p99Ms: worst((r) => r.load.p99Ms),
      maxMs: worst((r) => r.load.maxMs),
    },
    cpu: {
      wallUs: sum((r) => r.cpu.wallUs),
      workerdUs: sum((r) => r.cpu.workerdUs),
      nodeUs: sum((r) => r.cpu.nodeUs),
      machineBusyUs: machine,
    },
  };
}

/**
 * Several targets measured in alternating slices (A B, B A, A B ...) after a warm-up each, so
 * that slow and fast spells of a shared machine fall on all of them alike.
 */
async function measureInterleaved(
  targets: { inst: Instance; spec: LoadSpec }[],
  opts: IngestOptions,
  eachRound: () => Promise<void>,
): Promise<TargetRun[]> {
  for (const t of targets) {
    opts.log(`${t.inst.name}: warm-up ${opts.warmupS}s`);
    await runLoad(opts.tool, { ...t.spec, durationS: opts.warmupS });
  }
  const sliceS = Math.max(1, Math.round(opts.durationS / opts.rounds));
  opts.log(
    `${targets.map((t) => t.inst.name).join(" / ")}: measuring ${opts.rounds} alternating slices of ${sliceS}s each, ${opts.connections} connections`,
  );
  const slices: TargetRun[][] = targets.map(() => []);
  for (let r = 0; r < opts.rounds; r++) {
    // A B, then B A: the order flips each round, so a drift in the machine's speed within a
    // round weighs on both targets alike.
    const order = r % 2 === 0 ? [...targets.entries()] : [...targets.entries()].reverse();
    for (const [k, t] of order) {
      await sleep(200);
      const stop = startCpuWindow(t.inst.pids);
      const load = await runLoad(opts.tool, { ...t.spec, durationS: sliceS });
      slices[k]?.push({ load, cpu: stop() });
    }
    await eachRound();
  }
  return slices.map(combine);
}

const perRequest = (r: TargetRun) => (r.load.ok > 0 ? r.cpu.workerdUs / r.load.ok : Number.NaN);

async function harnessCall(inst: Instance, n: number): Promise<void> {
  const res = await fetch(`${inst.url}/?n=${n}`);
  const statuses = (await res.json()) as Record<string, number>;
  if (statuses["202"] !== n) throw new Error(`harness: expected ${n} x 202, got ${JSON.stringify(statuses)}`);
}

/** workerd CPU of one harness loop of `n` handler calls. */
async function harnessLoop(inst: Instance, n: number): Promise<number> {
  const stop = startCpuWindow(inst.pids);
  await harnessCall(inst, n);
  return stop().workerdUs;
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

/**
 * The ingest section's site and request body: one session's batch of 20 events on 7 pages,
 * as a page with heatmaps on sends them: pageviews and clicks in turn, two of the clicks rage
 * clicks, and the scroll depth last.
 */
export function ingestFixture(): { site: SiteEdgeRecord; paths: string[]; body: string } {
  const site: SiteEdgeRecord = {
    siteId: newId("site"),
    siteKey: benchSiteKey("bi"),
    origins: [BENCH_ORIGIN],
    shards: 1,
    respectDnt: true,
    hashRoutes: true,
    dailyEventQuota: 1_000_000,
    recordingSampleRate: 0,
    recordingDailyQuota: 0,
    maskAllText: false,
    recordingConsent: "opt-out",
    heatmaps: true,
  };
  const paths = Array.from({ length: EVENTS_PER_BATCH }, (_, i) => `/ingest/page-${i % 7}`);
  return { site, paths, body: collectBody(site.siteKey, uuidv7(), paths, Date.now(), { clicks: true }) };
}

export async function benchIngest(opts: IngestOptions): Promise<IngestResult> {
  const { site, paths, body } = ingestFixture();
  const spec = (url: string): LoadSpec => ({
    url: `${url}/v1/collect`,
    method: "POST",
    body,
    headers: COLLECT_HEADERS,
    connections: opts.connections,
    durationS: opts.durationS,
    requestsPerClient: REQUESTS_PER_CLIENT,
  });

  const startEmptyChecked = async () => {
    const inst = await startEmpty(opts.emptyPort);
    const probe = await fetch(`${inst.url}/v1/collect`, { method: "POST", body, headers: COLLECT_HEADERS });
    await probe.arrayBuffer();
    if (probe.status !== 204) {
      await inst.dispose();
      throw new Error(`empty worker answered ${probe.status}, expected 204`);
    }
    return inst;
  };
  const startIngestChecked = async (name: string, scriptPath: string) => {
    const inst = await startIngest({ name, port: opts.ingestPort, scriptPath, consumer: false });
    try {
      const kv = await inst.mf.getKVNamespace("SITES");
      await kv.put(siteKvKey(site.siteKey), JSON.stringify(site));
      // One request first: the load is only meaningful if every batch is fully accepted.
      const probe = await fetch(`${inst.url}/v1/collect`, { method: "POST", body, headers: COLLECT_HEADERS });
      const answer = await probe.text();
      if (probe.status !== 202 || JSON.parse(answer).accepted !== EVENTS_PER_BATCH) {
        throw new Error(`${name} probe answered ${probe.status} ${answer}`);
      }
    } catch (err) {
      await inst.dispose();
      throw err;
    }
    return inst;
  };
  const logsOf = (inst: Instance) => ({
    ...inst.logs,
    firstErrors: [...inst.logs.firstErrors],
    lastErrors: [...inst.logs.lastErrors],
  });

  // A Request built in JS gets no Content-Length of its own; an HTTP one (wrk, browsers) has it.
  const harnessRequest = {
    url: "https://ingest.bench.test/v1/collect",
    body,
    headers: { ...COLLECT_HEADERS, "Content-Length": String(Buffer.byteLength(body)) },
    requestsPerClient: REQUESTS_PER_CLIENT,
  };

  // The headline pair in alternating slices, and after each round one timed loop of the
  // in-isolate harness: the machine's speed drifts by tens of percent over seconds here, and
  // numbers taken a minute apart would carry that drift. (A loop without console.log read the
  // log line anywhere from -62 to +35 µs: below what these 10 ms CPU ticks resolve. Callgrind
  // puts it at about 1% of a request; `pnpm bench:instructions` is the tool for such parts.)
  const harnessUs = { total: 0, calls: 0 };
  const [empty, ingestRun] = await withInstance(opts, startEmptyChecked, (emptyInst) =>
    withInstance(
      opts,
      () => startIngestChecked("edge", opts.scripts.edge),
      (edgeInst) =>
        withInstance(
          opts,
          () => startHarness(opts.probePort, opts.scripts.ingest, site, harnessRequest),
          async (harness) => {
            // V8 keeps tiering the handler up for a few thousand calls; time it once it is hot.
            for (let i = 0; i < 3; i++) await harnessCall(harness, opts.harnessCalls);
            const [e, i] = await measureInterleaved(
              [
                { inst: emptyInst, spec: spec(emptyInst.url) },
                { inst: edgeInst, spec: spec(edgeInst.url) },
              ],
              opts,
              async () => {
                harnessUs.total += await harnessLoop(harness, opts.harnessCalls);
                harnessUs.calls += opts.harnessCalls;
              },
            );
            return [e, { ...i, logs: logsOf(edgeInst) }] as [TargetRun, TargetRun & { logs: LogCounts }];
          },
        ),
    ),
  );
  const handlerUs = harnessUs.total / harnessUs.calls;
  opts.log(`harness: ${handlerUs.toFixed(0)} µs per handler call`);
  const simRun = await withInstance(
    opts,
    () => startIngestChecked("ingest with simulators", opts.scripts.ingest),
    async (inst) => ({ ...(await measure(inst, spec(inst.url), opts)), logs: logsOf(inst) }),
  );

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
