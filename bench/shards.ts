/**
 * One site past one shard's rate. The aggregator harness (the ingest bundle's SiteAggregator,
 * no Queue, HTTP or Postgres around it) is handed one site's stream of consumer batches back
 * to back, more than one object can take, so the object is saturated and its rate is the
 * shard's ceiling. Then the same stream split by session over two shards, as the consumer
 * splits it (by `bucketOf` of the session, as `aggregatorName` does):
 * - in one workerd process: locally every Durable Object of a process shares one thread, so
 *   this shows what splitting costs (smaller calls) and gains nothing;
 * - in two processes, one shard each: a shard a thread, as production places objects, so the
 *   site's rate is what two shards give on this machine's two cores.
 * And the same number of messages with one event each: the ceiling in calls, not events, for
 * a site whose tracker sends little per request.
 */
import { bucketOf } from "@sightline/shared/hash";
import type { IngestMessage } from "@sightline/shared/wire";
import { batches, MESSAGES_PER_CALL } from "./aggregator.ts";
import { processCpuUs } from "./lib/cpu.ts";
import { type Instance, startAggregatorHarness } from "./lib/miniflare.ts";
import type { SectionHooks } from "./lib/section.ts";

export interface ShardRun {
  shards: number;
  processes: number;
  events: number;
  /** Consumer calls over all shards (a batch touching two shards is two calls). */
  calls: number;
  eventsPerCall: number;
  /** The site's rate: events over the wall time until the last shard finished; median of the rounds. */
  eventsPerSec: number;
  callsPerSecPerShard: number;
  cpuUsPerEvent: number;
}

export interface ShardsResult {
  oneShard: ShardRun;
  twoShardsOneProcess: ShardRun;
  twoShardsTwoProcesses: ShardRun;
  oneEventMessages: ShardRun;
  /** twoShardsTwoProcesses / oneShard events per second. */
  scaling: number;
}

export interface ShardsOptions extends SectionHooks {
  /** The `ingest` bundle. */
  scriptPath: string;
  /** Two ports from here. */
  port: number;
  /** Queue batches of 100 messages in the stream. */
  calls: number;
  rounds: number;
}

type Call = { shard: number; messages: IngestMessage[] };

/** Each queue batch split by shard, as the consumer groups it: one call per shard touched. */
function split(stream: IngestMessage[][], shards: number): Call[] {
  return stream.flatMap((batch) => {
    const byShard = new Map<number, IngestMessage[]>();
    for (const m of batch) {
      const shard = bucketOf(m.sessionId, shards);
      byShard.set(shard, [...(byShard.get(shard) ?? []), m]);
    }
    return [...byShard].map(([shard, messages]) => ({ shard, messages }));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Each instance gets its share of the calls; then every round runs them all at once on fresh objects. */
async function measure(
  instances: Instance[],
  calls: Call[],
  shards: number,
  opts: ShardsOptions,
  label: string,
): Promise<ShardRun> {
  const events = calls.reduce((n, c) => n + c.messages.reduce((k, m) => k + m.events.length, 0), 0);
  const owner = (shard: number) => shard % instances.length;
  await Promise.all(
    instances.map(async (inst, i) => {
      const mine = calls.filter((c) => owner(c.shard) === i);
      const res = await fetch(inst.url, { method: "POST", body: JSON.stringify(mine) });
      if (res.status !== 204) throw new Error(`shards: storing the calls answered ${res.status}`);
    }),
  );
  const pids = instances.flatMap((i) => i.pids);
  const rates: number[] = [];
  const cpu: number[] = [];
  for (let r = -1; r < opts.rounds; r++) {
    const site = `${label}-${r < 0 ? "warm-up" : r}`;
    const cpuBefore = processCpuUs(pids);
    const t0 = performance.now();
    const counted = await Promise.all(
      instances.map(async (inst) => {
        const res = await fetch(`${inst.url}/?site=${site}`);
        return ((await res.json()) as { counted: number }).counted;
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const total = counted.reduce((a, b) => a + b, 0);
    if (total !== events) throw new Error(`shards ${label}: counted ${total} of ${events}`);
    if (r < 0) continue;
    rates.push(events / seconds);
    cpu.push((processCpuUs(pids) - cpuBefore) / events);
  }
  const eventsPerSec = median(rates);
  const run: ShardRun = {
    shards,
    processes: instances.length,
    events,
    calls: calls.length,
    eventsPerCall: events / calls.length,
    eventsPerSec,
    callsPerSecPerShard: (eventsPerSec / events) * (calls.length / shards),
    cpuUsPerEvent: median(cpu),
  };
  opts.log(
    `shards ${label}: ${Math.round(eventsPerSec)} events/s, ${Math.round(run.eventsPerCall)} events a call, ${run.cpuUsPerEvent.toFixed(1)} µs CPU an event`,
  );
  return run;
}

export async function benchShards(opts: ShardsOptions): Promise<ShardsResult> {
  const instances: Instance[] = [];
  const disposeAll = async () => {
    await Promise.all(instances.map((i) => i.dispose()));
  };
  const untrack = opts.track(disposeAll);
  try {
    for (const p of [opts.port, opts.port + 1]) instances.push(await startAggregatorHarness(p, opts.scriptPath));
    const [first] = instances as [Instance];
    const stream = batches(opts.calls);
    opts.log(`shards: one site, ${opts.calls} queue batches of ${MESSAGES_PER_CALL} messages, ${opts.rounds} rounds`);
    const oneShard = await measure([first], split(stream, 1), 1, opts, "one-shard");
    const two = split(
      stream.map((b) => b.map((m) => ({ ...m, shards: 2 }))),
      2,
    );
    const twoShardsOneProcess = await measure([first], two, 2, opts, "two-shards-one-process");
    const twoShardsTwoProcesses = await measure(instances, two, 2, opts, "two-shards-two-processes");
    const oneEventMessages = await measure(
      [first],
      split(batches(opts.calls, { eventsPerMessage: 1 }), 1),
      1,
      opts,
      "one-event-messages",
    );
    return {
      oneShard,
      twoShardsOneProcess,
      twoShardsTwoProcesses,
      oneEventMessages,
      scaling: twoShardsTwoProcesses.eventsPerSec / oneShard.eventsPerSec,
    };
  } finally {
    untrack();
    await disposeAll();
  }
}
