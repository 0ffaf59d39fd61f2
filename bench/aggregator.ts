/**
 * The aggregator alone: SiteAggregator.ingest() called in a loop inside workerd with queue
 * batches shaped as the pipeline section sends them (100 messages of 20 events, ids minted
 * from event times, each session in four messages), and the workerd CPU per event it took.
 * Where the pipeline's Durable Object time goes, without the Queue simulator, HTTP or
 * Postgres around it; for comparing aggregator versions. No target.
 */
import { uuidv7 } from "@sightline/shared/ids";
import type { IngestMessage } from "@sightline/shared/wire";
import { processCpuUs } from "./lib/cpu.ts";
import { startAggregatorHarness } from "./lib/miniflare.ts";
import type { SectionHooks } from "./lib/section.ts";
import { EVENTS_PER_BATCH, pathFor } from "./pipeline.ts";

export const MESSAGES_PER_CALL = 100;
const BENCH_SITE = "site_aggregator_bench";

export interface AggregatorResult {
  /** Median over the rounds. */
  cpuUsPerEvent: number;
  roundsCpuUsPerEvent: number[];
  calls: number;
  eventsPerCall: number;
}

export interface AggregatorOptions extends SectionHooks {
  /** The `ingest` bundle. */
  scriptPath: string;
  port: number;
  calls: number;
  rounds: number;
}

/**
 * Queue batches as the consumer hands them over, sent as a stream, 1 ms a message: `calls`
 * batches of 100 messages of `eventsPerMessage` events, each session in four messages.
 */
export function batches(calls: number, opts: { shards?: number; eventsPerMessage?: number } = {}): IngestMessage[][] {
  const shards = opts.shards ?? 1;
  const perMessage = opts.eventsPerMessage ?? EVENTS_PER_BATCH;
  const messages = calls * MESSAGES_PER_CALL;
  const sessions = Array.from({ length: Math.max(1, Math.floor(messages / 4)) }, () => uuidv7());
  const start = Date.now() - messages;
  return Array.from({ length: calls }, (_, c) =>
    Array.from({ length: MESSAGES_PER_CALL }, (_, k) => {
      const m = c * MESSAGES_PER_CALL + k;
      const sentAt = start + m;
      return {
        v: 1,
        siteId: BENCH_SITE,
        shards,
        sessionId: sessions[m % sessions.length] as string,
        receivedAt: sentAt,
        country: "DE",
        device: "desktop",
        events: Array.from({ length: perMessage }, (_, e) => {
          const ts = sentAt - (perMessage - e) * 50;
          return { id: uuidv7(ts), ts, path: pathFor(m * perMessage + e), ref: "www.example.com" };
        }),
      } satisfies IngestMessage;
    }),
  );
}

export async function benchAggregator(opts: AggregatorOptions): Promise<AggregatorResult> {
  const inst = await startAggregatorHarness(opts.port, opts.scriptPath);
  const untrack = opts.track(() => inst.dispose());
  try {
    const events = opts.calls * MESSAGES_PER_CALL * EVENTS_PER_BATCH;
    const run = async (site: string) => {
      const res = await fetch(`${inst.url}/?site=${site}`);
      const { counted } = (await res.json()) as { counted: number };
      if (counted !== events) throw new Error(`aggregator: counted ${counted} of ${events}`);
    };
    // Each round a fresh object (a new name), so every event is new to it; one warm-up round.
    const post = await fetch(inst.url, {
      method: "POST",
      body: JSON.stringify(batches(opts.calls).map((messages) => ({ shard: 0, messages }))),
    });
    if (post.status !== 204) throw new Error(`aggregator: storing the batches answered ${post.status}`);
    opts.log(`aggregator: ${opts.calls} ingest calls of ${MESSAGES_PER_CALL} x ${EVENTS_PER_BATCH} events, warm-up`);
    await run("warm-up");
    const rounds: number[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      const before = processCpuUs(inst.pids);
      await run(`round-${r}`);
      rounds.push((processCpuUs(inst.pids) - before) / events);
    }
    const sorted = [...rounds].sort((a, b) => a - b);
    return {
      cpuUsPerEvent: sorted[Math.floor(sorted.length / 2)] as number,
      roundsCpuUsPerEvent: rounds,
      calls: opts.calls,
      eventsPerCall: MESSAGES_PER_CALL * EVENTS_PER_BATCH,
    };
  } finally {
    untrack();
    await inst.dispose();
  }
}
