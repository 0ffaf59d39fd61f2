/**
 * The Queue consumer: groups a batch by aggregator (site x shard) and hands each group to
 * its Durable Object. Messages are acked one by one, so one failing shard does not replay
 * the others; a message that can never be valid goes to the dead-letter queue at once.
 */
import { aggregatorName, queueRetryDelaySeconds } from "@sightline/core/aggregate";
import { createLogger, describeError, type SentryEnv, sentryFor } from "@sightline/http";
import { type IngestMessage, ingestMessage, type RecordingMessage, recordingMessage } from "@sightline/shared/wire";
import { ingestEnv } from "../env.ts";
import { markQuotaSpent } from "../lib/quota.ts";

const log = createLogger({ service: "ingest-consumer" });

/**
 * Reports an error of the consumer to Sentry (when a DSN is set), tagged with the queue and
 * the aggregator, never with a message body: bodies carry page paths and visitor hashes.
 */
function report(rawEnv: Env, ctx: ExecutionContext, err: unknown, tags: Record<string, string>): void {
  const sentry = sentryFor(rawEnv as SentryEnv, ctx);
  if (!sentry) return;
  for (const [k, v] of Object.entries(tags)) sentry.setTag(k, v);
  sentry.captureException(err);
}

export async function consume(batch: MessageBatch<unknown>, rawEnv: Env, ctx: ExecutionContext): Promise<void> {
  try {
    await consumeBatch(batch, rawEnv, ctx);
  } catch (err) {
    // Unexpected: the whole batch is retried; the platform does that when we throw.
    log.error("queue batch failed", { queue: batch.queue, messages: batch.messages.length, ...describeError(err) });
    report(rawEnv, ctx, err, { queue: batch.queue });
    throw err;
  }
}

async function consumeBatch(batch: MessageBatch<unknown>, rawEnv: Env, ctx: ExecutionContext): Promise<void> {
  const env = ingestEnv(rawEnv);
  const started = performance.now();
  const groups = new Map<
    string,
    { messages: Message<unknown>[]; bodies: IngestMessage[]; recordings: RecordingMessage[] }
  >();
  let dead = 0;

  for (const msg of batch.messages) {
    // Recording summaries say their kind; statistics messages (most) have none.
    const parsed = isRecording(msg.body) ? recordingMessage.safeParse(msg.body) : ingestMessage.safeParse(msg.body);
    if (!parsed.success) {
      await env.DEAD_LETTERS.send({ reason: "INVALID_MESSAGE", id: msg.id, body: msg.body }, { contentType: "json" });
      msg.ack();
      dead++;
      continue;
    }
    const name = aggregatorName(parsed.data.siteId, parsed.data.sessionId, parsed.data.shards);
    const group = groups.get(name) ?? { messages: [], bodies: [], recordings: [] };
    group.messages.push(msg);
    if ("kind" in parsed.data) group.recordings.push(parsed.data);
    else group.bodies.push(parsed.data);
    groups.set(name, group);
  }

  let counted = 0;
  let duplicates = 0;
  let overQuota = 0;
  let retried = 0;
  let recordings = 0;
  await Promise.all(
    [...groups].map(async ([name, group]) => {
      try {
        const stub = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(name));
        if (group.recordings.length > 0) {
          const r = await stub.ingestRecordings(name, group.recordings);
          recordings += r.merged;
          duplicates += r.duplicates;
        }
        const result =
          group.bodies.length > 0
            ? await stub.ingest(name, group.bodies)
            : { counted: 0, duplicates: 0, overQuota: 0, quotaSpentDay: undefined };
        counted += result.counted;
        duplicates += result.duplicates;
        overQuota += result.overQuota ?? 0;
        for (const m of group.messages) m.ack();
        if (result.quotaSpentDay !== undefined) {
          const siteId = group.bodies[0]?.siteId as string;
          await markQuotaSpent(env.SITES, siteId, result.quotaSpentDay).catch((err: unknown) =>
            log.error("could not mark the quota spent", { site: siteId, ...describeError(err) }),
          );
        }
      } catch (err) {
        log.error("aggregator unavailable", { aggregator: name, ...describeError(err) });
        // Once per failing aggregator and batch; its messages come back with backoff.
        report(rawEnv, ctx, err, { queue: batch.queue, aggregator: name });
        for (const m of group.messages) {
          m.retry({ delaySeconds: queueRetryDelaySeconds(m.attempts) });
          retried++;
        }
      }
    }),
  );

  log.info("queue batch", {
    queue: batch.queue,
    messages: batch.messages.length,
    aggregators: groups.size,
    counted,
    duplicates,
    overQuota,
    recordings,
    retried,
    dead,
    ms: Math.round(performance.now() - started),
  });
}

function isRecording(body: unknown): boolean {
  return typeof body === "object" && body !== null && (body as { kind?: unknown }).kind === "recording";
}
