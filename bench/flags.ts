/**
 * Flags at the edge (issue 13, "Measured, not asserted"), for one site with 50 typical flags:
 * bulk OFREP against the `edge` build beside the empty worker (the ingest section's floor, loaded
 * the same way here), evaluateAll's CPU in Node, the loader's gzipped size with and without
 * flags, how long a flip written to the local KV takes to show in OFREP (the worst case, past the
 * isolate's cache), and how long a flip through the API takes (bench/flag-flip.ts).
 */
import { request } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import { type EvaluationContext, evaluateAll, type FlagResult, type SiteFlags } from "@sightline/shared/flags";
import { typicalFlags } from "@sightline/shared/flags/typical";
import { newId } from "@sightline/shared/ids";
import { FLAG_LIMITS } from "@sightline/shared/limits/flags";
import { flagsKvKey, type SiteEdgeRecord, siteKvKey } from "@sightline/shared/site";
import { type ApiFlipResult, benchApiFlip } from "./flag-flip.ts";
import { BENCH_ORIGIN, benchSiteKey, COLLECT_HEADERS } from "./lib/batch.ts";
import { startCpuWindow } from "./lib/cpu.ts";
import { type Instance, startEmpty, startIngest } from "./lib/miniflare.ts";
import type { SectionHooks } from "./lib/section.ts";

export const FLAG_COUNT = 50;
const FLIP_KEY = "bench-flip";
const POLL_MS = 50;
const FLIP_TIMEOUT_MS = FLAG_LIMITS.edgeCacheMs * 3;

export interface FlagsOptions extends SectionHooks {
  /** The `edge` bundle: in-isolate limiters, as the ingest headline. */
  scriptPath: string;
  port: number;
  emptyPort: number;
  connections: number;
  warmupS: number;
  /** Each target is loaded in this many alternating slices of sliceS (A B, B A, ...). */
  slices: number;
  sliceS: number;
  /** evaluateAll calls timed in Node. */
  evalCalls: number;
  /** Flips through the API on the local stack. */
  apiFlips: number;
}

export interface LoadFigures {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** workerd utime + stime over the slices / 2xx responses. */
  cpuUsPerRequest: number | null;
  ok: number;
  bad: number;
  socketErrors: number;
  durationS: number;
  /** Targeting keys sent, each once: a new one for every request autocannon built. */
  keys: number;
}

export interface FlagsResult {
  flags: number;
  /** The record as published (JSON), and its public part as the loader carries it. */
  recordBytes: number;
  ofrep: LoadFigures;
  empty: LoadFigures;
  /** ofrep rps / empty rps (autocannon, in Node on the same two cores, caps both). */
  ratio: number;
  /** workerd CPU per OFREP request above the empty worker's. */
  cpuOverFloorUs: number | null;
  node: { calls: number; usPerCall: number; usPerFlag: number; version: string };
  loader: {
    noFlagsBytes: number;
    noFlagsGzipBytes: number;
    withFlagsBytes: number;
    withFlagsGzipBytes: number;
    /** Content-Length as workerd sends it with `Accept-Encoding: gzip`. */
    servedGzipBytes: number;
    noFlagsServedGzipBytes: number;
  };
  flip: { ms: number; polls: number; edgeCacheMs: number; pollMs: number };
  apiFlip: ApiFlipResult;
  load: { tool: string; connections: number; slices: number; sliceS: number; warmupS: number };
}

function benchSite(prefix: string): SiteEdgeRecord {
  return {
    siteId: newId("site"),
    siteKey: benchSiteKey(prefix),
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
}

/** What a browser's OFREP provider sends, and what Cloudflare's edge adds (country, address). */
function ofrepHeaders(siteKey: string): Record<string, string> {
  return {
    "Content-Type": "application/json",
    "X-API-Key": siteKey,
    Origin: BENCH_ORIGIN,
    "User-Agent": COLLECT_HEADERS["User-Agent"] as string,
    "CF-Connecting-IP": "203.0.113.7",
    "CF-IPCountry": "DE",
  };
}

const ofrepBody = (n: number) => JSON.stringify({ context: { targetingKey: `visitor-${n}` } });

async function ofrep(url: string, siteKey: string, n: number): Promise<FlagResult[]> {
  const res = await fetch(`${url}/ofrep/v1/evaluate/flags`, {
    method: "POST",
    headers: ofrepHeaders(siteKey),
    body: ofrepBody(n),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`OFREP answered ${res.status}: ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { flags: FlagResult[] }).flags;
}

interface Slice {
  ok: number;
  bad: number;
  socketErrors: number;
  durationS: number;
  p50Ms: number;
  p99Ms: number;
  workerdUs: number;
  /** Targeting keys handed out, one a request autocannon built. */
  keys: number;
}

/** autocannon, each request with the next targeting key (setupRequest rebuilds the body). */
async function load(
  inst: Instance,
  siteKey: string,
  connections: number,
  durationS: number,
  next: () => number,
): Promise<Slice> {
  const { default: autocannon } = await import("autocannon");
  let keys = 0;
  const stop = startCpuWindow(inst.pids);
  const r = await autocannon({
    url: `${inst.url}/ofrep/v1/evaluate/flags`,
    method: "POST",
    headers: ofrepHeaders(siteKey),
    body: ofrepBody(0),
    requests: [
      {
        setupRequest: (req) => {
          keys++;
          return { ...req, body: ofrepBody(next()) };
        },
      },
    ],
    connections,
    duration: durationS,
    timeout: 10,
  });
  const cpu = stop();
  return {
    ok: r["2xx"],
    bad: r.non2xx,
    socketErrors: r.errors,
    durationS: r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    workerdUs: cpu.workerdUs,
    keys,
  };
}

function combine(slices: Slice[]): LoadFigures {
  const sum = (f: (s: Slice) => number) => slices.reduce((a, s) => a + f(s), 0);
  const ok = sum((s) => s.ok);
  const durationS = sum((s) => s.durationS);
  const p50s = slices.map((s) => s.p50Ms).sort((a, b) => a - b);
  const workerdUs = sum((s) => s.workerdUs);
  return {
    rps: ok / durationS,
    p50Ms: p50s[Math.floor(p50s.length / 2)] ?? Number.NaN,
    // The worst slice's, as the ingest section reports it.
    p99Ms: Math.max(...slices.map((s) => s.p99Ms)),
    cpuUsPerRequest: ok > 0 && workerdUs > 0 ? workerdUs / ok : null,
    ok,
    bad: sum((s) => s.bad),
    socketErrors: sum((s) => s.socketErrors),
    durationS,
    keys: sum((s) => s.keys),
  };
}

/** A GET's body bytes as sent (no decoding), and its Content-Encoding. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: Buffer; enc: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.once("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks),
          enc: String(res.headers["content-encoding"] ?? ""),
        }),
      );
      res.once("error", reject);
    });
    req.once("error", reject);
    req.end();
  });
}

/** The loader as a desktop Chrome in Germany gets it: raw, gzipped here, and as workerd gzips it. */
async function loaderSize(url: string, siteKey: string): Promise<{ bytes: number; gzip: number; served: number }> {
  const headers = { "User-Agent": COLLECT_HEADERS["User-Agent"] as string, "CF-IPCountry": "DE" };
  const raw = await rawGet(`${url}/s/${siteKey}.js`, { ...headers, "Accept-Encoding": "identity" });
  if (raw.status !== 200 || raw.enc !== "") throw new Error(`loader answered ${raw.status} ${raw.enc}`);
  const served = await rawGet(`${url}/s/${siteKey}.js`, { ...headers, "Accept-Encoding": "gzip" });
  if (served.status !== 200 || served.enc !== "gzip") throw new Error(`loader (gzip) answered ${served.status}`);
  return { bytes: raw.body.length, gzip: gzipSync(raw.body).length, served: served.body.length };
}

/**
 * evaluateAll in Node over the record with the context OFREP builds here (a key, DE, desktop):
 * µs per call, wall time of a busy loop after a warm-up, the median of 5 rounds so that a round
 * which lost the core to other work does not decide.
 */
function evaluateCpu(record: SiteFlags, calls: number): number {
  // The keys are hashed on every split (no memo), so a ring of 4,096 is as good as fresh ones.
  const contexts: EvaluationContext[] = Array.from({ length: 4_096 }, (_, i) => ({
    targetingKey: `visitor-${i}`,
    country: "DE",
    device: "desktop",
  }));
  let sink = 0;
  const run = (n: number) => {
    for (let i = 0; i < n; i++) sink += evaluateAll(record, contexts[i & 4_095] as EvaluationContext).length;
  };
  run(Math.ceil(calls / 5));
  const rounds: number[] = [];
  const per = Math.ceil(calls / 5);
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    run(per);
    rounds.push(((performance.now() - t) * 1000) / per);
  }
  if (sink === 0) throw new Error("evaluateAll answered nothing");
  rounds.sort((a, b) => a - b);
  return rounds[2] as number;
}

/** Starts an instance and stops it afterwards, on a failure too. */
async function withInstance<T>(opts: FlagsOptions, start: () => Promise<Instance>, fn: (i: Instance) => Promise<T>) {
  const inst = await start();
  const untrack = opts.track(() => inst.dispose());
  try {
    return await fn(inst);
  } finally {
    untrack();
    await inst.dispose();
  }
}

export async function benchFlags(opts: FlagsOptions): Promise<FlagsResult> {
  const record = typicalFlags(FLAG_COUNT);
  const edgeFigures = await withInstance(
    opts,
    () => startEmpty(opts.emptyPort),
    (empty) =>
      withInstance(
        opts,
        () => startIngest({ name: "edge (flags)", port: opts.port, scriptPath: opts.scriptPath, consumer: false }),
        (edge) => atTheEdge(opts, record, edge, empty),
      ),
  );
  const apiFlip = await benchApiFlip({ flips: opts.apiFlips, track: opts.track, log: opts.log });
  const usPerCall = evaluateCpu(record, opts.evalCalls);
  opts.log(`flags: evaluateAll in Node ${usPerCall.toFixed(1)} µs a call of ${FLAG_COUNT} flags`);
  return {
    ...edgeFigures,
    apiFlip,
    flags: FLAG_COUNT,
    recordBytes: JSON.stringify(record).length,
    node: { calls: opts.evalCalls, usPerCall, usPerFlag: usPerCall / FLAG_COUNT, version: process.version },
    load: {
      tool: "autocannon 9.0.0",
      connections: opts.connections,
      slices: opts.slices,
      sliceS: opts.sliceS,
      warmupS: opts.warmupS,
    },
  };
}

async function atTheEdge(
  opts: FlagsOptions,
  record: SiteFlags,
  edge: Instance,
  empty: Instance,
): Promise<Pick<FlagsResult, "ofrep" | "empty" | "ratio" | "cpuOverFloorUs" | "loader" | "flip">> {
  const site = benchSite("bfl");
  const bare = benchSite("bfn");
  const flipSite = benchSite("bff");
  const kv = await edge.mf.getKVNamespace("SITES");
  // The text EdgeAdmin.putFlags stores: the record as validated.
  const publish = (siteKey: string, r: SiteFlags) => kv.put(flagsKvKey(siteKey), JSON.stringify(r));
  for (const s of [site, bare, flipSite]) await kv.put(siteKvKey(s.siteKey), JSON.stringify(s));
  await publish(site.siteKey, record);

  const first = await ofrep(edge.url, site.siteKey, 0);
  if (first.length !== FLAG_COUNT || first.some((f) => "errorCode" in f)) {
    throw new Error(`OFREP probe: ${JSON.stringify(first).slice(0, 300)}`);
  }

  const withFlags = await loaderSize(edge.url, site.siteKey);
  const noFlags = await loaderSize(edge.url, bare.siteKey);
  opts.log(
    `flags: loader ${withFlags.gzip} B gzipped with ${FLAG_COUNT} flags (${withFlags.bytes} B raw), ${noFlags.gzip} B without`,
  );

  let sent = 1;
  const next = () => sent++;
  const targets = [edge, empty];
  for (const t of targets) {
    opts.log(`flags: ${t.name} warm-up ${opts.warmupS}s`);
    await load(t, site.siteKey, opts.connections, opts.warmupS, next);
  }
  opts.log(
    `flags: OFREP bulk / empty worker, ${opts.slices} alternating slices of ${opts.sliceS}s, ${opts.connections} connections (autocannon)`,
  );
  const slices: Slice[][] = [[], []];
  for (let r = 0; r < opts.slices; r++) {
    // A B, then B A, so a drift of the machine's speed weighs on both alike.
    for (const k of r % 2 === 0 ? [0, 1] : [1, 0]) {
      await sleep(200);
      slices[k]?.push(await load(targets[k] as Instance, site.siteKey, opts.connections, opts.sliceS, next));
    }
  }
  const ofrepRun = combine(slices[0] as Slice[]);
  const emptyRun = combine(slices[1] as Slice[]);

  // The flip, worst case: the isolate reads v1 just before v2 is written, then answers from
  // its cache until that expires. Written beside the isolate, as `wrangler kv key put --local`
  // writes: on Cloudflare almost every isolate learns of a flip this way (EdgeAdmin.putFlags
  // clears the cache only of the isolate it runs in).
  const flipRecord = (on: boolean, version: number) =>
    typicalFlags(FLAG_COUNT, version, [
      {
        key: FLIP_KEY,
        enabled: true,
        variants: { on: true, off: false },
        defaultVariant: on ? "on" : "off",
        offVariant: "off",
      },
    ]);
  const flipValue = async () => {
    const f = (await ofrep(edge.url, flipSite.siteKey, 1)).find((x) => x.key === FLIP_KEY);
    return f && "value" in f ? f.value : undefined;
  };
  await publish(flipSite.siteKey, flipRecord(false, 1));
  if ((await flipValue()) !== false) throw new Error("flip: the flag did not read off");
  await publish(flipSite.siteKey, flipRecord(true, 2));
  const t0 = performance.now();
  let polls = 0;
  for (;;) {
    polls++;
    if ((await flipValue()) === true) break;
    if (performance.now() - t0 > FLIP_TIMEOUT_MS) throw new Error(`flip: still off after ${FLIP_TIMEOUT_MS} ms`);
    await sleep(POLL_MS);
  }
  const flipMs = performance.now() - t0;
  opts.log(`flags: flip seen after ${Math.round(flipMs)} ms (${polls} polls)`);

  return {
    ofrep: ofrepRun,
    empty: emptyRun,
    ratio: ofrepRun.rps / emptyRun.rps,
    cpuOverFloorUs:
      ofrepRun.cpuUsPerRequest !== null && emptyRun.cpuUsPerRequest !== null
        ? ofrepRun.cpuUsPerRequest - emptyRun.cpuUsPerRequest
        : null,
    loader: {
      noFlagsBytes: noFlags.bytes,
      noFlagsGzipBytes: noFlags.gzip,
      withFlagsBytes: withFlags.bytes,
      withFlagsGzipBytes: withFlags.gzip,
      servedGzipBytes: withFlags.served,
      noFlagsServedGzipBytes: noFlags.served,
    },
    flip: { ms: Math.round(flipMs), polls, edgeCacheMs: FLAG_LIMITS.edgeCacheMs, pollMs: POLL_MS },
  };
}
