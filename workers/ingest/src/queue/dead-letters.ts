/**
 * Dead letters: what the ingest consumer gave up on. The platform moves a message to the DLQ
 * after `max_retries` failed deliveries (an aggregator down for minutes), and the consumer
 * sends a message it can never read there at once. The DLQ's consumer parks each batch in R2
 * (`DEAD_LETTER_STORE`, one object per batch under `ingest/`, named by the time it was
 * parked), where it stays until a replay; a Queue would drop it after its retention.
 *
 * A replay (EdgeAdmin.replayDeadLetters: `pnpm dead-letters replay`, or the admin API) sends
 * the parked messages that are valid ingest messages back to the ingest queue and deletes
 * their objects; the aggregators drop events they counted before, so a replay, or two, counts
 * every event once. Messages that can never be read are kept under `unreadable/` for a person.
 */
import { createLogger, describeError } from "@sightline/http";
import { LIMITS } from "@sightline/shared/limits";
import type { DeadLetterCount, DeadLetterReplay } from "@sightline/shared/site";
import { type IngestMessage, ingestMessage } from "@sightline/shared/wire";
import { deadLetterEnv } from "../env.ts";

const log = createLogger({ service: "dead-letters" });
const encoder = new TextEncoder();

export const PARKED_PREFIX = "ingest/";
export const UNREADABLE_PREFIX = "unreadable/";

/** One parked batch, as stored. */
export interface ParkedBatch {
  queue: string;
  parkedAt: number;
  messages: { id: string; timestamp: number; attempts: number; body: unknown }[];
}

/** The DLQ consumer: parks the batch in R2. Throws (so the batch is retried) if it cannot. */
export async function park(batch: MessageBatch<unknown>, rawEnv: Env): Promise<void> {
  const env = deadLetterEnv(rawEnv);
  const parkedAt = Date.now();
  const first = batch.messages[0];
  if (!first) return;
  const body: ParkedBatch = {
    queue: batch.queue,
    parkedAt,
    messages: batch.messages.map((m) => ({
      id: m.id,
      timestamp: m.timestamp.getTime(),
      attempts: m.attempts,
      body: m.body,
    })),
  };
  // ISO time first, so a listing reads oldest first; the message id keeps names unique.
  const key = `${PARKED_PREFIX}${new Date(parkedAt).toISOString()}-${first.id}.json`;
  await env.DEAD_LETTER_STORE.put(key, JSON.stringify(body), {
    httpMetadata: { contentType: "application/json" },
    customMetadata: { messages: String(body.messages.length) },
  });
  log.warn("dead letters parked", { key, messages: body.messages.length });
}

/** The body of a dead letter as an ingest message, or null when it is not one. */
function asIngestMessage(body: unknown): IngestMessage | null {
  const parsed = ingestMessage.safeParse(body);
  return parsed.success ? parsed.data : null;
}

/** Sends messages in batches within the Queue's per-call limits (count and bytes). */
async function requeue(queue: Queue, messages: IngestMessage[]): Promise<void> {
  const Q = LIMITS.queue;
  let batch: MessageSendRequest[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = encoder.encode(JSON.stringify(m)).byteLength;
    if (batch.length === Q.maxBatchSize || (batch.length > 0 && bytes + size > Q.maxSendBatchBytes)) {
      await queue.sendBatch(batch);
      batch = [];
      bytes = 0;
    }
    batch.push({ body: m, contentType: "json" });
    bytes += size;
  }
  if (batch.length > 0) await queue.sendBatch(batch);
}

/** Puts up to `replayObjectsPerCall` parked batches back on the ingest queue, oldest first. */
export async function replay(rawEnv: Env): Promise<DeadLetterReplay> {
  const env = deadLetterEnv(rawEnv);
  const listed = await env.DEAD_LETTER_STORE.list({
    prefix: PARKED_PREFIX,
    limit: LIMITS.queue.replayObjectsPerCall,
  });
  const result: DeadLetterReplay = { objects: 0, replayed: 0, unreadable: 0, more: listed.truncated };
  for (const object of listed.objects) {
    const stored = await env.DEAD_LETTER_STORE.get(object.key);
    if (!stored) continue;
    let parked: ParkedBatch;
    try {
      parked = await stored.json<ParkedBatch>();
    } catch (err) {
      log.error("parked batch unreadable", { key: object.key, ...describeError(err) });
      continue;
    }
    const valid: IngestMessage[] = [];
    const unreadable: ParkedBatch["messages"] = [];
    for (const m of parked.messages) {
      // The consumer wraps a message it could not read as { reason, id, body }.
      const message = asIngestMessage(m.body);
      if (message) valid.push(message);
      else unreadable.push(m);
    }
    await requeue(env.INGEST_QUEUE, valid);
    if (unreadable.length > 0) {
      const rest: ParkedBatch = { ...parked, messages: unreadable };
      await env.DEAD_LETTER_STORE.put(
        `${UNREADABLE_PREFIX}${object.key.slice(PARKED_PREFIX.length)}`,
        JSON.stringify(rest),
      );
    }
    await env.DEAD_LETTER_STORE.delete(object.key);
    result.objects++;
    result.replayed += valid.length;
    result.unreadable += unreadable.length;
  }
  log.info("dead letters replayed", { ...result });
  return result;
}

/**
 * Parked batches and messages waiting for a replay (for the operator's health view), from one
 * listing of at most 1,000 objects: `more` says there are more than that.
 */
export async function parkedCount(rawEnv: Env): Promise<DeadLetterCount> {
  const env = deadLetterEnv(rawEnv);
  const page = await env.DEAD_LETTER_STORE.list({ prefix: PARKED_PREFIX, include: ["customMetadata"] });
  let messages = 0;
  for (const o of page.objects) messages += Number(o.customMetadata?.messages ?? 0);
  return { objects: page.objects.length, messages, more: page.truncated };
}
