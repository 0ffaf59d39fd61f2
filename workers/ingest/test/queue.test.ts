import {
  createExecutionContext,
  createMessageBatch,
  env,
  getQueueResult,
  runDurableObjectAlarm,
} from "cloudflare:test";
import { aggregatorName } from "@sightline/core/aggregate";
import { uuidv7 } from "@sightline/shared/ids";
import type { IngestMessage } from "@sightline/shared/wire";
import { describe, expect, it, vi } from "vitest";
import worker from "../src/index.ts";
import { dimensionStatsOf, ingestMessageFor, siteStatsOf, statsOf } from "./helpers.ts";

function message(siteId: string, paths: string[]): IngestMessage {
  return ingestMessageFor(
    siteId,
    paths.map((path) => ({ path })),
  );
}

function batchOf(bodies: unknown[], attempts = 1) {
  return createMessageBatch(
    "sightline-ingest",
    bodies.map((body, i) => ({ id: `msg-${i}`, timestamp: new Date(), attempts, body })),
  );
}

describe("queue consumer", () => {
  it("hands each site's events to its aggregator and acks every message", async () => {
    const a = message(`site_${uuidv7()}`, ["/", "/a"]);
    const b = message(`site_${uuidv7()}`, ["/b"]);
    const batch = batchOf([a, b]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["msg-0", "msg-1"]);
    expect(result.retryMessages).toEqual([]);

    const stubA = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(aggregatorName(a.siteId, a.sessionId, 1)));
    expect((await stubA.pending()).pageviews).toBe(2);
  });

  it("counts a redelivered message once", async () => {
    const m = message(`site_${uuidv7()}`, ["/x", "/y"]);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const batch = batchOf([m], attempt);
      const ctx = createExecutionContext();
      await worker.queue(batch, env, ctx);
      expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["msg-0"]);
    }
    const stub = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(aggregatorName(m.siteId, m.sessionId, 1)));
    expect((await stub.pending()).pageviews).toBe(2);
  });

  it("aggregates a message queued before device, country and referrer existed", async () => {
    const siteId = `site_${uuidv7()}`;
    const ts = Date.now();
    const hour = ts - (ts % 3_600_000);
    // Written out literally: the shape older deployments put on the queue.
    const old = {
      v: 1,
      siteId,
      shards: 1,
      sessionId: uuidv7(),
      receivedAt: ts,
      events: [
        { id: uuidv7(ts), ts, path: "/" },
        { id: uuidv7(ts), ts, path: "/" },
      ],
    };
    const batch = batchOf([old]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["msg-0"]);

    const stub = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(aggregatorName(siteId, old.sessionId, 1)));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await statsOf(siteId)).toEqual([{ hour, path: "/", pageviews: 2, sessions: 1 }]);
    expect(await siteStatsOf(siteId)).toEqual([{ hour, pageviews: 2, sessions: 1 }]);
    expect(await dimensionStatsOf(siteId)).toEqual([
      { dimension: "country", value: "unknown", hour, pageviews: 2, sessions: 1 },
      { dimension: "device", value: "unknown", hour, pageviews: 2, sessions: 1 },
    ]);
  });

  it("sends a poison message to the dead-letter queue and acks it, keeping the rest", async () => {
    const send = vi.fn(async () => undefined);
    const testEnv = { ...env, DEAD_LETTERS: { send, sendBatch: vi.fn() } as unknown as Queue };
    const good = message(`site_${uuidv7()}`, ["/"]);
    const batch = batchOf([{ v: 9, junk: true }, good]);
    const ctx = createExecutionContext();
    await worker.queue(batch, testEnv, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["msg-0", "msg-1"]);
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0]).toMatchObject([
      { reason: "INVALID_MESSAGE", id: "msg-0", body: { v: 9, junk: true } },
      { contentType: "json" },
    ]);
  });

  it("retries the messages of an aggregator that fails, with backoff", async () => {
    const failing = {
      idFromName: (n: string) => env.AGGREGATOR.idFromName(n),
      get: () => ({ ingest: () => Promise.reject(new Error("overloaded")) }),
    };
    const testEnv = { ...env, AGGREGATOR: failing as unknown as Env["AGGREGATOR"] };
    const batch = batchOf([message(`site_${uuidv7()}`, ["/"])], 3);
    const ctx = createExecutionContext();
    await worker.queue(batch, testEnv, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["msg-0"]);
  });
});
