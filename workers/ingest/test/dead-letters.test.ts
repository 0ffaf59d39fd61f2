import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { aggregatorName } from "@sightline/core/aggregate";
import { uuidv7 } from "@sightline/shared/ids";
import { LIMITS } from "@sightline/shared/limits";
import { describe, expect, it, vi } from "vitest";
import { EdgeAdmin } from "../src/edge-admin.ts";
import worker, { SiteAggregator } from "../src/index.ts";
import { ingestMessageFor } from "./helpers.ts";

const DLQ = "sightline-ingest-dlq";

async function keys(prefix: string): Promise<string[]> {
  return (await env.DEAD_LETTER_STORE.list({ prefix })).objects.map((o) => o.key);
}

async function clear(): Promise<void> {
  const all = (await env.DEAD_LETTER_STORE.list()).objects.map((o) => o.key);
  if (all.length > 0) await env.DEAD_LETTER_STORE.delete(all);
}

/** A batch as the platform hands it to the DLQ's consumer. */
async function deliverToDlq(bodies: unknown[]) {
  const batch = createMessageBatch(
    DLQ,
    bodies.map((body) => ({ id: uuidv7(), timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

describe("dead letters", () => {
  it("parks a DLQ batch in R2, and a replay counts every event once, however often it runs", async () => {
    await clear();
    const siteId = `site_${uuidv7()}`;
    const a = ingestMessageFor(siteId, [{ path: "/dead/a" }, { path: "/dead/b" }]);
    const b = ingestMessageFor(siteId, [{ path: "/dead/c" }]);
    // What the consumer sends at once for a message it could never read.
    const unreadable = { reason: "INVALID_MESSAGE", id: "m-bad", body: { v: 99 } };

    const result = await deliverToDlq([a, b, unreadable]);
    expect(result.retryMessages).toEqual([]);
    const parked = await keys("ingest/");
    expect(parked).toHaveLength(1);
    const admin = new EdgeAdmin(createExecutionContext(), env);
    expect(await admin.deadLetters()).toEqual({ objects: 1, messages: 3, more: false });

    expect(await admin.replayDeadLetters()).toEqual({ objects: 1, replayed: 2, unreadable: 1, more: false });
    expect(await keys("ingest/")).toEqual([]);
    expect(await keys("unreadable/")).toHaveLength(1);
    expect(await admin.deadLetters()).toEqual({ objects: 0, messages: 0, more: false });

    // The replayed messages go through the real local queue to the site's aggregator.
    const stub = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(aggregatorName(siteId, a.sessionId, 1)));
    const pending = async () => (await stub.pending()).pageviews;
    await vi.waitFor(async () => expect(await pending()).toBe(3), { timeout: 10_000, interval: 100 });

    // The same letters parked and replayed again: the consumer hands them over, and the
    // aggregators find every event counted already.
    const lines = vi.spyOn(console, "log");
    await deliverToDlq([a, b]);
    expect(await admin.replayDeadLetters()).toMatchObject({ objects: 1, replayed: 2 });
    await vi.waitFor(
      () => {
        const batches = lines.mock.calls
          .map(([line]) => (typeof line === "string" && line.startsWith("{") ? JSON.parse(line) : null))
          .filter((l) => l?.msg === "queue batch");
        expect(batches.reduce((n, l) => n + l.duplicates, 0)).toBe(3);
      },
      { timeout: 10_000, interval: 100 },
    );
    lines.mockRestore();
    expect(await pending()).toBe(3);
  });

  it("replays at most replayObjectsPerCall batches a call and says when more remain", async () => {
    await clear();
    const siteId = `site_${uuidv7()}`;
    const n = LIMITS.queue.replayObjectsPerCall + 1;
    for (let i = 0; i < n; i++) await deliverToDlq([ingestMessageFor(siteId, [{ path: `/dead/${i}` }])]);
    const admin = new EdgeAdmin(createExecutionContext(), env);
    expect(await admin.replayDeadLetters()).toMatchObject({ objects: n - 1, replayed: n - 1, more: true });
    expect(await admin.replayDeadLetters()).toMatchObject({ objects: 1, replayed: 1, more: false });
    expect(await keys("ingest/")).toEqual([]);
  });

  it("takes the messages of an aggregator that throws past the queue's retries to R2, and a replay counts them once", async () => {
    await clear();
    const siteId = `site_${uuidv7()}`;
    // The aggregators run in this isolate: this one fails every call for its site until
    // told otherwise, as one whose storage or code is broken would.
    let failing = true;
    const ingest = SiteAggregator.prototype.ingest;
    const spy = vi.spyOn(SiteAggregator.prototype, "ingest").mockImplementation(async function (
      this: SiteAggregator,
      name,
      messages,
    ) {
      if (failing && messages.some((m) => m.siteId === siteId)) throw new Error("aggregator broken (test)");
      return ingest.call(this, name, messages);
    });
    try {
      const message = ingestMessageFor(siteId, [{ path: "/broken/a" }, { path: "/broken/b" }, { path: "/broken/c" }]);
      await env.INGEST_QUEUE.send(message, { contentType: "json" });
      // The real local queue retries with the consumer's backoff (2 + 4 + 8 + 16 + 32 s over
      // max_retries 5), then hands the message to the DLQ, whose consumer parks it.
      await vi.waitFor(async () => expect(await keys("ingest/")).toHaveLength(1), {
        timeout: 120_000,
        interval: 1_000,
      });
      failing = false;
      const admin = new EdgeAdmin(createExecutionContext(), env);
      expect(await admin.replayDeadLetters()).toMatchObject({ objects: 1, replayed: 1, more: false });
      const stub = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(aggregatorName(siteId, message.sessionId, 1)));
      await vi.waitFor(async () => expect((await stub.pending()).pageviews).toBe(3), {
        timeout: 10_000,
        interval: 100,
      });
      expect(await keys("ingest/")).toEqual([]);
    } finally {
      spy.mockRestore();
    }
  }, 150_000);
});
