/**
 * Pipeline: events per second from HTTP accept to rows in Postgres (Queue -> consumer ->
 * SiteAggregator Durable Object -> alarm flush), then freshness: how long one accepted
 * event takes to show up in Postgres. Both against one instance of the `edge-queue` variant
 * (the real worker; in-isolate rate limiters; the real local Queue, consumer, Durable Object
 * and Postgres) with a site id nobody else uses.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { newId, uuidv7 } from "@sightline/shared/ids";
import { type SiteEdgeRecord, siteKvKey } from "@sightline/shared/site";
import { sql } from "drizzle-orm";
import { BENCH_ORIGIN, benchSiteKey, COLLECT_HEADERS, collectBody } from "./lib/batch.ts";
import { startCpuWindow } from "./lib/cpu.ts";
import type { BenchDb } from "./lib/db.ts";
import { type Instance, startIngest } from "./lib/miniflare.ts";
import type { SectionHooks } from "./lib/section.ts";

export const EVENTS_PER_BATCH = 20;
const PATHS = 100;

export interface PipelineOptions extends SectionHooks {
  /** The `edge-queue` bundle. */
  scriptPath: string;
  port: number;
  pgWsProxy: string;
  databaseUrl: string;
  db: BenchDb;
  /** Events of the batched run (20 to a request). */
  events: number;
  /** Events of the one-event-per-request run. */
  singleEvents: number;
  concurrency: number;
  drainTimeoutS: number;
  /** Give up on the drain after this long without one new row. */
  stallTimeoutS: number;
  freshnessSamples: number;
  freshnessSpacingMs: number;
  freshnessTimeoutS: number;
}

export interface PipelineResult {
  eventsPerSec: number;
  accepted: number;
  counted: number;
  lost: number;
  events: number;
  batches: number;
  eventsPerBatch: number;
  concurrency: number;
  rejected: Record<string, number>;
  drained: boolean;
  /** First send to last 202, to the drain, in seconds. */
  sendSeconds: number;
  totalSeconds: number;
  /** Events per second the HTTP side accepted while the consumer ran alongside. */
  acceptEventsPerSec: number;
  distinctPaths: number;
  distinctSessions: number;
  shards: number;
  cores: { workerd: number; node: number; machine: number | null };
  workerLogs: { lines: number; errors: number; firstErrors: string[]; lastErrors: string[] };
}

export interface FreshnessResult {
  p95Ms: number | null;
  p50Ms: number | null;
  maxMs: number | null;
  samples: number;
  seen: number;
  spacingMs: number;
  pollMs: number;
}

/** A deterministic spread, so runs are comparable: paths skewed towards a few popular pages. */
export function pathFor(i: number): string {
  const r = ((i * 2654435761) >>> 0) / 2 ** 32;
  return `/docs/page-${Math.floor(r * r * PATHS)}`;
}

async function countFor(db: BenchDb, siteId: string): Promise<number> {
  const r = await db.db.execute(
    sql`select coalesce(sum(pageviews), 0)::bigint as n from page_stats_hourly where site_id = ${siteId}`,
  );
  return Number((r.rows[0] as { n: string | number } | undefined)?.n ?? 0);
}

async function post(url: string, body: string): Promise<{ status: number; accepted: number }> {
  const res = await fetch(url, { method: "POST", body, headers: COLLECT_HEADERS });
  const text = await res.text();
  if (res.status !== 202) return { status: res.status, accepted: 0 };
  return { status: 202, accepted: (JSON.parse(text) as { accepted: number }).accepted };
}

/** Removes what the bench wrote into the shared tables, so repeated runs leave nothing behind. */
async function deleteSiteRows(db: BenchDb, siteId: string): Promise<void> {
  await db.db.execute(sql`delete from page_stats_hourly where site_id = ${siteId}`);
  await db.db.execute(sql`delete from flush_log where site_id = ${siteId}`);
}

export async function benchPipeline(
  opts: PipelineOptions,
): Promise<{ pipeline: PipelineResult; singleEvent: PipelineResult; freshness: FreshnessResult }> {
  const newSite = (prefix: string): SiteEdgeRecord => ({
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
    heatmaps: false,
  });
  // A site each, so each run's drain is counted apart and starts on a fresh Durable Object.
  const batched = newSite("bp");
  const single = newSite("bs");
  const sites = [batched, single];
  // Registered before the instance so it runs after the instance is gone (cleanups run in
  // reverse): no flush can land after the delete.
  const deleteRows = async () => {
    for (const site of sites) await deleteSiteRows(opts.db, site.siteId);
  };
  const untrackRows = opts.track(deleteRows);
  const inst: Instance = await startIngest({
    name: "edge-queue",
    port: opts.port,
    scriptPath: opts.scriptPath,
    consumer: true,
    bindings: { DATABASE_URL: opts.databaseUrl, PG_WS_PROXY: opts.pgWsProxy },
  });
  const untrackInst = opts.track(() => inst.dispose());
  try {
    const kv = await inst.mf.getKVNamespace("SITES");
    for (const site of sites) await kv.put(siteKvKey(site.siteKey), JSON.stringify(site));
    const url = `${inst.url}/v1/collect`;

    const pipeline = await streamRun(opts, inst, url, batched, opts.events, EVENTS_PER_BATCH);
    const singleEvent = await streamRun(opts, inst, url, single, opts.singleEvents, 1);
    const freshness = await measureFreshness(opts, url, batched);
    const logs = { ...inst.logs, firstErrors: [...inst.logs.firstErrors], lastErrors: [...inst.logs.lastErrors] };
    pipeline.workerLogs = logs;
    singleEvent.workerLogs = logs;
    return { pipeline, singleEvent, freshness };
  } finally {
    untrackInst();
    await inst.dispose();
    untrackRows();
    await deleteRows().catch((err) => opts.log(`pipeline: cleanup failed: ${String(err)}`));
  }
}

/**
 * `events` unique pageviews as a live stream, `perBatch` to a request (20 as the tracker
 * batches; 1 as Umami and most trackers send), then waits for Postgres to count them all.
 */
async function streamRun(
  opts: PipelineOptions,
  inst: Instance,
  url: string,
  site: SiteEdgeRecord,
  events: number,
  perBatch: number,
): Promise<PipelineResult> {
  const label = `pipeline (${perBatch} per request)`;
  // Bodies first, so building them is not timed.
  const batches = Math.ceil(events / perBatch);
  // Each session in four requests.
  const sessions = Array.from({ length: Math.max(1, Math.floor(batches / 4)) }, () => uuidv7());
  // Sent as a live stream is: each batch 1 ms after the one before (about the rate here), so
  // event ids, minted from event times, arrive in roughly the order they were minted.
  const start = Date.now() - batches;
  const bodies = Array.from({ length: batches }, (_, b) => {
    const paths = Array.from({ length: perBatch }, (_, e) => pathFor(b * perBatch + e));
    return collectBody(site.siteKey, sessions[b % sessions.length] as string, paths, start + b);
  });
  const distinctPaths = new Set(Array.from({ length: batches * perBatch }, (_, i) => pathFor(i))).size;

  opts.log(`${label}: ${batches} requests x ${perBatch} events, ${opts.concurrency} in flight`);
  const stopCpu = startCpuWindow(inst.pids);
  const t0 = performance.now();
  let accepted = 0;
  const rejected: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (next < batches) {
        const body = bodies[next++] as string;
        try {
          const r = await post(url, body);
          if (r.status === 202) accepted += r.accepted;
          else rejected[r.status] = (rejected[r.status] ?? 0) + 1;
        } catch {
          rejected.network = (rejected.network ?? 0) + 1;
        }
      }
    }),
  );
  const tSent = performance.now();
  opts.log(`${label}: ${accepted} events accepted in ${((tSent - t0) / 1000).toFixed(1)}s; waiting for the drain`);

  let counted = 0;
  let tDrain = tSent;
  let lastProgress = tSent;
  const deadline = tSent + opts.drainTimeoutS * 1000;
  let stalled = false;
  while (performance.now() < deadline) {
    const n = await countFor(opts.db, site.siteId);
    tDrain = performance.now();
    if (n !== counted) lastProgress = tDrain;
    counted = n;
    if (counted >= accepted) break;
    // Flushes retry with a growing backoff; this long without a single new row is a stall.
    if (tDrain - lastProgress > opts.stallTimeoutS * 1000) {
      stalled = true;
      break;
    }
    await sleep(100);
  }
  const cpu = stopCpu();
  const drained = counted >= accepted;
  if (!drained) {
    const why = stalled ? `no new rows for ${opts.stallTimeoutS}s` : `timed out after ${opts.drainTimeoutS}s`;
    opts.log(`${label}: drain ${why} with ${counted}/${accepted} counted`);
    for (const line of new Set([...inst.logs.firstErrors, ...inst.logs.lastErrors]))
      opts.log(`${label}: worker error: ${line}`);
  }
  const totalSeconds = (tDrain - t0) / 1000;
  return {
    eventsPerSec: counted / totalSeconds,
    accepted,
    counted,
    lost: accepted - counted,
    events: batches * perBatch,
    batches,
    eventsPerBatch: perBatch,
    concurrency: opts.concurrency,
    rejected,
    drained,
    sendSeconds: (tSent - t0) / 1000,
    totalSeconds,
    acceptEventsPerSec: accepted / ((tSent - t0) / 1000),
    distinctPaths,
    distinctSessions: sessions.length,
    shards: site.shards,
    cores: {
      workerd: cpu.workerdUs / cpu.wallUs,
      node: cpu.nodeUs / cpu.wallUs,
      machine: cpu.machineBusyUs === null ? null : cpu.machineBusyUs / cpu.wallUs,
    },
    workerLogs: { lines: 0, errors: 0, firstErrors: [], lastErrors: [] },
  };
}

const POLL_MS = 100;

/** Single-event batches on unique paths, spaced out; each is timed from its 202 to its row. */
async function measureFreshness(opts: PipelineOptions, url: string, site: SiteEdgeRecord): Promise<FreshnessResult> {
  const tag = uuidv7().slice(-12);
  const prefix = `/fresh/${tag}/`;
  const acceptedAt = new Map<string, number>();
  const latencies = new Map<string, number>();
  let sending = true;
  opts.log(`freshness: ${opts.freshnessSamples} single-event batches, one every ${opts.freshnessSpacingMs} ms`);

  const sender = (async () => {
    for (let i = 0; i < opts.freshnessSamples; i++) {
      const path = `${prefix}${i}`;
      const r = await post(url, collectBody(site.siteKey, uuidv7(), [path]));
      if (r.status === 202 && r.accepted === 1) acceptedAt.set(path, performance.now());
      else opts.log(`freshness: sample ${i} answered ${r.status}`);
      await sleep(opts.freshnessSpacingMs);
    }
    sending = false;
  })();

  let lastAccept = performance.now();
  for (let guard = 0; guard < 100_000; guard++) {
    const r = await opts.db.db.execute(
      sql`select path from page_stats_hourly where site_id = ${site.siteId} and path like ${`${prefix}%`}`,
    );
    const seenAt = performance.now();
    for (const row of r.rows as { path: string }[]) {
      const at = acceptedAt.get(row.path);
      if (at !== undefined && !latencies.has(row.path)) latencies.set(row.path, seenAt - at);
    }
    if (acceptedAt.size > 0) lastAccept = Math.max(...acceptedAt.values());
    if (!sending && latencies.size >= acceptedAt.size) break;
    if (!sending && seenAt - lastAccept > opts.freshnessTimeoutS * 1000) {
      opts.log(`freshness: ${acceptedAt.size - latencies.size} samples not visible after ${opts.freshnessTimeoutS}s`);
      break;
    }
    await sleep(POLL_MS);
  }
  await sender;

  const sorted = [...latencies.values()].sort((a, b) => a - b);
  // Samples that never showed up count as the worst case, not as missing.
  const unseen = acceptedAt.size - sorted.length;
  const all = [...sorted, ...Array.from({ length: unseen }, () => Number.POSITIVE_INFINITY)];
  const rank = (p: number) => (all.length ? (all[Math.ceil(p * all.length) - 1] ?? null) : null);
  const finite = (v: number | null) => (v === null || !Number.isFinite(v) ? null : Math.round(v));
  return {
    p95Ms: unseen > 0 && (rank(0.95) ?? 0) === Number.POSITIVE_INFINITY ? null : finite(rank(0.95)),
    p50Ms: finite(rank(0.5)),
    maxMs: finite(sorted.length ? (sorted[sorted.length - 1] as number) : null),
    samples: acceptedAt.size,
    seen: sorted.length,
    spacingMs: opts.freshnessSpacingMs,
    pollMs: POLL_MS,
  };
}
