import {
  createExecutionContext,
  createMessageBatch,
  env,
  getQueueResult,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { aggregatorName } from "@sightline/core/aggregate";
import { uuidv7 } from "@sightline/shared/ids";
import { LIMITS } from "@sightline/shared/limits";
import { recordingPartKey, recordingPrefix } from "@sightline/shared/recording";
import type { RecordingMessage } from "@sightline/shared/wire";
import { describe, expect, it, vi } from "vitest";
import type { SiteAggregator } from "../src/aggregator/site-aggregator.ts";
import { EdgeAdmin } from "../src/edge-admin.ts";
import worker from "../src/index.ts";
import type { RecordingBuffer } from "../src/recordings/recording-buffer.ts";
import {
  type ErrorShape,
  ingestMessageFor,
  markRecordingErased,
  markSiteDeleted,
  ORIGIN,
  recordingsOf,
} from "./helpers.ts";
import {
  bufferOf,
  chunkBody,
  concat,
  events,
  grantedSession,
  gunzip,
  gzip,
  postChunk,
  sendChunk,
  summary,
} from "./record-support.ts";

const R = LIMITS.recording;

async function refusedWith(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as ErrorShape;
  expect(body.error.code).toBe(code);
  expect(body.error.requestId).toBeTruthy();
  return body;
}

/** Every object under a prefix, in key order, each gunzipped and parsed. */
async function partsUnder(prefix: string): Promise<{ key: string; events: unknown[] }[]> {
  const list = await env.RECORDINGS.list({ prefix });
  const out: { key: string; events: unknown[] }[] = [];
  for (const o of list.objects.sort((a, b) => (a.key < b.key ? -1 : 1))) {
    const obj = await env.RECORDINGS.get(o.key);
    if (!obj) throw new Error(`missing ${o.key}`);
    out.push({ key: o.key, events: JSON.parse(await gunzip(await obj.arrayBuffer())) as unknown[] });
  }
  return out;
}

describe("POST /v1/record (happy)", () => {
  it("answers 202 with CORS and buffers the chunk in the session's RecordingBuffer", async () => {
    const { site, sessionId, grant } = await grantedSession();
    const res = await sendChunk({ siteKey: site.siteKey, sessionId, grant, seq: 0 });
    expect(res.status).toBe(202);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(await res.json()).toEqual({ seq: 0, duplicate: false });
    const state = await bufferOf(site.siteId, sessionId).state();
    expect(state.buffered.chunks).toBe(1);
    expect(state.session).toMatchObject({ chunks: 1, site_id: site.siteId, session_id: sessionId });
    // Not yet in R2: the buffer waits for flushBytes or flushAgeMs, and its alarm is set for the age.
    expect(state.alarm).not.toBeNull();
    expect(state.alarm as number).toBeGreaterThan(Date.now() + R.flushAgeMs - 10_000);
  });

  it("takes application/octet-stream (beacons) and identity payloads", async () => {
    const { site, sessionId, grant } = await grantedSession();
    const res = await postChunk(
      await chunkBody({ siteKey: site.siteKey, sessionId, grant, seq: 0, encoding: "identity" }),
      {
        type: "application/octet-stream",
      },
    );
    expect(res.status).toBe(202);
  });

  it("stores a repeated chunk once", async () => {
    const { site, sessionId, grant } = await grantedSession();
    const spec = { siteKey: site.siteKey, sessionId, grant, seq: 0 };
    expect(await (await sendChunk(spec)).json()).toEqual({ seq: 0, duplicate: false });
    expect(await (await sendChunk(spec)).json()).toEqual({ seq: 0, duplicate: true });
    const stub = bufferOf(site.siteId, sessionId);
    expect((await stub.state()).session).toMatchObject({ chunks: 1 });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    // Repeated after it was written: still once.
    expect(await (await sendChunk(spec)).json()).toEqual({ seq: 0, duplicate: true });
    const parts = await partsUnder(`recordings/${site.siteId}/`);
    expect(parts).toHaveLength(1);
    expect(parts[0]?.events).toEqual(events(0).map((e) => ({ ...e, timestamp: expect.any(Number) })));
  });

  it("writes parts to R2 under the session's prefix as gzipped JSON arrays, chunks joined in seq order", async () => {
    const { site, sessionId, grant } = await grantedSession();
    const firstTs = Date.now() - 10_000;
    const send = (seq: number, payload: string) =>
      sendChunk({
        siteKey: site.siteKey,
        sessionId,
        grant,
        seq,
        payload,
        summary: summary({ firstTs: firstTs + seq, lastTs: firstTs + seq + 1 }),
      });
    // Out of order, one empty, one with whitespace around it.
    expect((await send(2, JSON.stringify([{ n: 2 }, { n: 3 }]))).status).toBe(202);
    expect((await send(0, ` [{"n":0}]\n`)).status).toBe(202);
    expect((await send(1, "[]")).status).toBe(202);
    const stub = bufferOf(site.siteId, sessionId);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.state()).buffered.chunks).toBe(0);

    expect((await send(4, JSON.stringify([{ n: 5 }]))).status).toBe(202);
    expect((await send(3, JSON.stringify([{ n: 4 }]))).status).toBe(202);
    expect(await runDurableObjectAlarm(stub)).toBe(true);

    const prefix = recordingPrefix(site.siteId, firstTs + 2, sessionId);
    const parts = await partsUnder(prefix);
    expect(parts.map((p) => p.key)).toEqual([recordingPartKey(prefix, 0), recordingPartKey(prefix, 3)]);
    // The recording: the parts in key order, concatenated.
    expect(parts.flatMap((p) => p.events)).toEqual([0, 2, 3, 4, 5].map((n) => ({ n })));
    const obj = await env.RECORDINGS.head(recordingPartKey(prefix, 0));
    expect(obj?.httpMetadata?.contentType).toBe("application/gzip");
  });

  it("flushes at once when the buffer holds flushBytes", async () => {
    const { site, sessionId, grant } = await grantedSession();
    const big = JSON.stringify([{ pad: "x".repeat(R.flushBytes / 2 + 1) }]);
    expect(big.length).toBeLessThanOrEqual(R.maxInflatedChunkBytes);
    for (const seq of [0, 1]) {
      expect((await sendChunk({ siteKey: site.siteKey, sessionId, grant, seq, payload: big })).status).toBe(202);
    }
    const stub = bufferOf(site.siteId, sessionId);
    const state = await stub.state();
    // Due at once: on the real clock Miniflare may have run the alarm already; else it is due now.
    if (state.buffered.chunks > 0 && state.alarm !== null) {
      expect(state.buffered.size).toBeGreaterThanOrEqual(R.flushBytes);
      expect(state.alarm).toBeLessThanOrEqual(Date.now());
    }
    await vi.waitFor(
      async () => {
        if ((await stub.state()).buffered.chunks > 0) await runDurableObjectAlarm(stub);
        expect((await stub.state()).buffered.chunks).toBe(0);
      },
      { timeout: 10_000, interval: 100 },
    );
    const parts = await partsUnder(`recordings/${site.siteId}/`);
    expect(parts.flatMap((p) => p.events)).toHaveLength(2);
  });

  it("keeps the chunks when R2 fails, backs off, and writes them on a later try", async () => {
    const { site, sessionId, grant } = await grantedSession();
    expect((await sendChunk({ siteKey: site.siteKey, sessionId, grant, seq: 0 })).status).toBe(202);
    const stub = bufferOf(site.siteId, sessionId);
    const restore = await runInDurableObject(stub, (instance: RecordingBuffer) => {
      const real = instance.store;
      instance.store = () => ({
        put: async () => {
          throw new Error("R2 unavailable");
        },
        delete: async () => {},
      });
      return () => {
        instance.store = real;
      };
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const failed = await stub.state();
    expect(failed.buffered.chunks).toBe(1);
    expect(failed.session?.failures).toBe(1);
    // Backing off, not the age trigger's full minute, and re-armed.
    expect(failed.alarm as number).toBeGreaterThan(Date.now());
    expect(failed.alarm as number).toBeLessThan(Date.now() + LIMITS.aggregate.maxFlushBackoffMs + 1_000);
    expect(await partsUnder(`recordings/${site.siteId}/`)).toEqual([]);

    await runInDurableObject(stub, () => restore());
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const written = await stub.state();
    expect(written.buffered.chunks).toBe(0);
    expect(written.session?.failures).toBe(0);
    expect(await partsUnder(`recordings/${site.siteId}/`)).toHaveLength(1);
  });

  it("takes nothing more of a recording erased through EdgeAdmin, and writes none of what it held", async () => {
    const { site, sessionId, grant } = await grantedSession();
    const spec = { siteKey: site.siteKey, sessionId, grant };
    expect((await sendChunk({ ...spec, seq: 0 })).status).toBe(202);
    const stub = bufferOf(site.siteId, sessionId);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await sendChunk({ ...spec, seq: 1 })).status).toBe(202);
    expect((await stub.state()).buffered.chunks).toBe(1);

    await new EdgeAdmin(createExecutionContext(), env).eraseRecording(site.siteId, sessionId);
    expect((await stub.state()).buffered.chunks).toBe(0);
    await refusedWith(await sendChunk({ ...spec, seq: 2 }), 403, "RECORDING_NOT_GRANTED");
    // Its alarm is now the purge, which writes nothing: R2 holds only the part written before
    // (the API deletes it next).
    const prefix = (await stub.state()).session?.prefix ?? "";
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const parts = await partsUnder(prefix);
    expect(parts.map((p) => p.key)).toEqual([recordingPartKey(prefix, 0)]);
    // Erasing a session the buffer never saw refuses its chunks too.
    const other = await grantedSession();
    await new EdgeAdmin(createExecutionContext(), env).eraseRecording(other.site.siteId, other.sessionId);
    await refusedWith(
      await sendChunk({ siteKey: other.site.siteKey, sessionId: other.sessionId, grant: other.grant, seq: 0 }),
      403,
      "RECORDING_NOT_GRANTED",
    );
  });

  it("deletes a part whose R2 write was in flight when the recording was erased", async () => {
    const { site, sessionId, grant } = await grantedSession();
    expect((await sendChunk({ siteKey: site.siteKey, sessionId, grant, seq: 0 })).status).toBe(202);
    const stub = bufferOf(site.siteId, sessionId);
    // R2 holds the put until the test lets it land, after the erase and the API's delete of the prefix.
    let land: () => void = () => {};
    const landed = new Promise<void>((r) => {
      land = r;
    });
    let putStarted: () => void = () => {};
    const started = new Promise<void>((r) => {
      putStarted = r;
    });
    await runInDurableObject(stub, (instance: RecordingBuffer) => {
      const real = instance.store();
      instance.store = () => ({
        put: async (...args: Parameters<R2Bucket["put"]>) => {
          putStarted();
          await landed;
          return real.put(...args);
        },
        delete: (keys: string | string[]) => real.delete(keys),
      });
    });
    const alarm = runDurableObjectAlarm(stub);
    await started;
    await new EdgeAdmin(createExecutionContext(), env).eraseRecording(site.siteId, sessionId);
    land();
    expect(await alarm).toBe(true);
    expect(await partsUnder(`recordings/${site.siteId}/`)).toEqual([]);
    expect((await bufferOf(site.siteId, sessionId).state()).session?.erased).toBe(1);
  });

  it("purges its storage once the session is written and idle", async () => {
    const { site, sessionId, grant } = await grantedSession();
    expect((await sendChunk({ siteKey: site.siteKey, sessionId, grant, seq: 0 })).status).toBe(202);
    const stub = bufferOf(site.siteId, sessionId);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const written = await stub.state();
    expect(written.session).not.toBeNull();
    // Written: the next alarm is the purge, grantTtlMs after the last chunk.
    expect(written.alarm as number).toBeGreaterThan(Date.now() + R.grantTtlMs - 60_000);
    await runInDurableObject(stub, (instance: RecordingBuffer) => {
      const start = Date.now();
      instance.now = () => start + R.grantTtlMs + 1;
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const purged = await stub.state();
    expect(purged).toMatchObject({ session: null, written: 0, alarm: null });
    expect(await partsUnder(`recordings/${site.siteId}/`)).toHaveLength(1);
  });
});

describe("POST /v1/record (errors)", () => {
  it("refuses a body over maxChunkBytes with 413 PAYLOAD_TOO_LARGE", async () => {
    const { site, sessionId, grant } = await grantedSession();
    const head = await chunkBody({
      siteKey: site.siteKey,
      sessionId,
      grant,
      seq: 0,
      encoding: "identity",
      payload: "[",
    });
    const body = concat(head, new TextEncoder().encode(`${"1,".repeat(R.maxChunkBytes / 2)}1]`));
    await refusedWith(await postChunk(body), 413, "PAYLOAD_TOO_LARGE");
    // Chunked (no Content-Length): refused as it streams past the cap.
    const { SELF } = await import("cloudflare:test");
    const stream = new Blob([body]).stream();
    const res = await SELF.fetch("https://ingest.test/v1/record", {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "text/plain" },
      body: stream,
    });
    await refusedWith(res, 413, "PAYLOAD_TOO_LARGE");
  });

  it("refuses a header line over maxHeaderBytes, or none, with 400", async () => {
    const { site, sessionId, grant } = await grantedSession();
    const long = JSON.stringify({ v: 1, siteKey: site.siteKey, sessionId, grant, pad: "x".repeat(R.maxHeaderBytes) });
    await refusedWith(await postChunk(`${long}\n[]`), 400, "VALIDATION_FAILED");
    await refusedWith(await postChunk("[]"), 400, "VALIDATION_FAILED");
  });

  it("refuses an invalid header with 400", async () => {
    const { site, sessionId, grant } = await grantedSession();
    await refusedWith(await postChunk("{nope\n[]"), 400, "INVALID_JSON");
    const valid = JSON.parse(
      new TextDecoder()
        .decode((await chunkBody({ siteKey: site.siteKey, sessionId, grant, seq: 0 })).subarray(0, -1))
        .split("\n")[0] as string,
    );
    for (const bad of [
      { ...valid, v: 2 },
      { ...valid, seq: -1 },
      { ...valid, seq: R.maxChunksPerSession + 1 },
      { ...valid, encoding: "br" },
      { ...valid, sessionId: "not-a-uuid" },
      { ...valid, summary: { ...valid.summary, pages: Array.from({ length: R.maxPagesPerRecording + 1 }, () => "/") } },
      { ...valid, summary: { ...valid.summary, firstTs: valid.summary.lastTs + 1 } },
      { ...valid, summary: { ...valid.summary, firstTs: 1_000, lastTs: 2_000 } },
    ]) {
      await refusedWith(await postChunk(`${JSON.stringify(bad)}\n[]`), 400, "VALIDATION_FAILED");
    }
  });

  it("refuses other media types with 415", async () => {
    const { site, sessionId, grant } = await grantedSession();
    const body = await chunkBody({ siteKey: site.siteKey, sessionId, grant, seq: 0 });
    await refusedWith(await postChunk(body, { type: "application/json" }), 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("refuses payloads that are not a JSON array, not gzip, or inflate past maxInflatedChunkBytes", async () => {
    const { site, sessionId, grant } = await grantedSession();
    const spec = { siteKey: site.siteKey, sessionId, grant, seq: 0 };
    await refusedWith(await sendChunk({ ...spec, payload: '{"type":2}' }), 400, "VALIDATION_FAILED");
    await refusedWith(await sendChunk({ ...spec, payload: "", encoding: "identity" }), 400, "VALIDATION_FAILED");
    await refusedWith(
      await sendChunk({ ...spec, payload: new Uint8Array([0xff, 0xfe, 0x5b]), encoding: "identity" }),
      400,
      "VALIDATION_FAILED",
    );
    await refusedWith(
      await sendChunk({ ...spec, payload: new TextEncoder().encode("[1,2]") }),
      400,
      "VALIDATION_FAILED",
    );
    // A small upload that inflates to more than the cap: a zip bomb stops there.
    const bomb = await gzip(`[${" ".repeat(R.maxInflatedChunkBytes)}]`);
    expect(bomb.byteLength).toBeLessThan(R.maxChunkBytes);
    await refusedWith(await sendChunk({ ...spec, payload: bomb }), 413, "PAYLOAD_TOO_LARGE");
    expect((await bufferOf(site.siteId, sessionId).state()).session).toBeNull();
  });

  it("refuses an origin the site does not list, and an unknown site", async () => {
    const { site, sessionId, grant } = await grantedSession();
    const spec = { siteKey: site.siteKey, sessionId, grant, seq: 0 };
    await refusedWith(await sendChunk(spec, { origin: "https://evil.example" }), 403, "ORIGIN_NOT_ALLOWED");
    await refusedWith(await sendChunk(spec, { origin: null }), 403, "ORIGIN_NOT_ALLOWED");
    await refusedWith(await sendChunk({ ...spec, siteKey: "key_nosuchsite00" }), 404, "UNKNOWN_SITE");
  });

  it("refuses past maxSessionBytes with 413 RECORDING_LIMIT_REACHED", async () => {
    const { site, sessionId, grant } = await grantedSession();
    const spec = { siteKey: site.siteKey, sessionId, grant };
    expect((await sendChunk({ ...spec, seq: 0 })).status).toBe(202);
    const stub = bufferOf(site.siteId, sessionId);
    await runInDurableObject(stub, (_: RecordingBuffer, state) => {
      state.storage.sql.exec("UPDATE session SET bytes = ?", R.maxSessionBytes - 10);
    });
    const body = await refusedWith(await sendChunk({ ...spec, seq: 1 }), 413, "RECORDING_LIMIT_REACHED");
    expect(body.error.message).toContain("bytes");
    expect((await stub.state()).session?.chunks).toBe(1);
  });

  it("refuses past maxChunksPerSession with 413 RECORDING_LIMIT_REACHED", async () => {
    const { site, sessionId, grant } = await grantedSession();
    const spec = { siteKey: site.siteKey, sessionId, grant };
    expect((await sendChunk({ ...spec, seq: 0 })).status).toBe(202);
    await runInDurableObject(bufferOf(site.siteId, sessionId), (_: RecordingBuffer, state) => {
      state.storage.sql.exec("UPDATE session SET chunks = ?", R.maxChunksPerSession);
    });
    const body = await refusedWith(await sendChunk({ ...spec, seq: 1 }), 413, "RECORDING_LIMIT_REACHED");
    expect(body.error.message).toContain("chunks");
  });

  it("refuses past maxSessionDurationMs with 413 RECORDING_LIMIT_REACHED", async () => {
    const { site, sessionId, grant } = await grantedSession();
    const spec = { siteKey: site.siteKey, sessionId, grant };
    const start = Date.now() - R.maxSessionDurationMs - 60_000;
    expect(
      (await sendChunk({ ...spec, seq: 0, summary: summary({ firstTs: start, lastTs: start + 1_000 }) })).status,
    ).toBe(202);
    const body = await refusedWith(await sendChunk({ ...spec, seq: 1 }), 413, "RECORDING_LIMIT_REACHED");
    expect(body.error.message).toContain("ms");
    // Within the duration, later chunks of the same session are fine.
    const ok = await sendChunk({
      ...spec,
      seq: 2,
      summary: summary({ firstTs: start + 2_000, lastTs: start + R.maxSessionDurationMs }),
    });
    expect(ok.status).toBe(202);
  });
});

describe("the recordings index", () => {
  const IPHONE =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

  function aggregatorOf(siteId: string, sessionId: string) {
    const name = aggregatorName(siteId, sessionId, 1);
    return { name, stub: env.AGGREGATOR.get(env.AGGREGATOR.idFromName(name)) };
  }

  /** A chunk's summary as the record route queues it: seq 0, defaults elsewhere. */
  const summaryMessage = (siteId: string, sessionId: string): RecordingMessage => ({
    kind: "recording",
    v: 1,
    siteId,
    shards: 1,
    sessionId,
    receivedAt: Date.now(),
    seq: 0,
    bytes: 1,
    country: "unknown",
    device: "desktop",
    r2Prefix: recordingPrefix(siteId, Date.now(), sessionId),
    summary: summary(),
  });

  it("merges chunk summaries through the Queue and the aggregator into the recordings row", async () => {
    const { site, sessionId, grant } = await grantedSession();
    const t0 = Date.now() - 60_000;
    const spec = { siteKey: site.siteKey, sessionId, grant };
    const init = { headers: { "user-agent": IPHONE, "cf-ipcountry": "DE" } };
    const chunks = [
      {
        seq: 0,
        referrer: "https://news.example/item?id=1",
        summary: summary({
          firstTs: t0,
          lastTs: t0 + 2_000,
          activeMs: 1_000,
          pages: ["/", "/pricing"],
          clicks: 3,
          rageClicks: 1,
          errors: 0,
          events: 10,
        }),
      },
      {
        seq: 2,
        summary: summary({
          firstTs: t0 + 4_000,
          lastTs: t0 + 6_000,
          activeMs: 500,
          pages: ["/docs"],
          clicks: 1,
          rageClicks: 0,
          errors: 2,
          events: 5,
        }),
      },
      {
        seq: 1,
        summary: summary({
          firstTs: t0 + 2_000,
          lastTs: t0 + 4_000,
          activeMs: 700,
          pages: ["/pricing", "/signup"],
          clicks: 0,
          rageClicks: 0,
          errors: 1,
          events: 4,
        }),
      },
    ];
    let bytes = 0;
    for (const c of chunks) {
      const body = await chunkBody({ ...spec, ...c });
      bytes += body.byteLength;
      expect((await postChunk(body, init)).status).toBe(202);
    }
    // A repeat of seq 1 (a client retry): counted once.
    expect(
      (await postChunk(await chunkBody({ ...spec, ...(chunks[2] as (typeof chunks)[number]) }), init)).status,
    ).toBe(202);

    const { stub } = aggregatorOf(site.siteId, sessionId);
    await vi.waitFor(async () => expect(await stub.pendingRecordings()).toEqual({ rows: 1, chunks: 3 }), {
      timeout: 10_000,
      interval: 100,
    });
    expect((await stub.health()).pendingRows).toBe(1);
    // The repeat, before or after this flush, adds nothing: the aggregator keeps seen seqs.
    expect(await runDurableObjectAlarm(stub)).toBe(true);

    const rows = await recordingsOf(site.siteId);
    expect(rows).toHaveLength(1);
    const row = rows[0];
    expect(row?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(row).toMatchObject({
      sessionId,
      startedAt: new Date(t0),
      endedAt: new Date(t0 + 6_000),
      durationMs: 6_000,
      activeMs: 2_200,
      firstPage: "/",
      pages: ["/", "/pricing", "/signup", "/docs"],
      clicks: 4,
      rageClicks: 1,
      errors: 3,
      device: "mobile",
      country: "DE",
      referrer: "news.example",
      bytes,
      chunks: 3,
      r2Prefix: recordingPrefix(site.siteId, t0, sessionId),
    });
  });

  it("merges a later flush into the row, idempotently, with the first insert's id", async () => {
    const site = { siteId: `site_${uuidv7().replaceAll("-", "")}` };
    const sessionId = uuidv7();
    const { name, stub } = aggregatorOf(site.siteId, sessionId);
    const t0 = Date.now() - 60_000;
    const msg = (seq: number, s: Parameters<typeof summary>[0]): RecordingMessage => ({
      kind: "recording",
      v: 1,
      siteId: site.siteId,
      shards: 1,
      sessionId,
      receivedAt: Date.now(),
      seq,
      bytes: 100,
      country: "FR",
      device: "desktop",
      r2Prefix: recordingPrefix(site.siteId, t0, sessionId),
      summary: summary(s),
    });
    expect(
      await stub.ingestRecordings(name, [msg(1, { firstTs: t0 + 2_000, lastTs: t0 + 3_000, pages: ["/b"] })]),
    ).toEqual({ merged: 1, duplicates: 0 });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const [first] = await recordingsOf(site.siteId);
    expect(first).toMatchObject({ firstPage: "/b", pages: ["/b"], chunks: 1, durationMs: 1_000, referrer: null });

    // The earlier chunk arrives later: its start and pages go first; seq 1 again is a duplicate.
    const early = {
      ...msg(0, { firstTs: t0, lastTs: t0 + 1_000, pages: ["/a", "/b"], clicks: 2 }),
      referrer: "(direct)",
    };
    expect(await stub.ingestRecordings(name, [early, msg(1, { firstTs: t0 + 2_000, lastTs: t0 + 3_000 })])).toEqual({
      merged: 1,
      duplicates: 1,
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const [merged] = await recordingsOf(site.siteId);
    expect(merged).toMatchObject({
      id: first?.id,
      startedAt: new Date(t0),
      endedAt: new Date(t0 + 3_000),
      durationMs: 3_000,
      firstPage: "/a",
      pages: ["/a", "/b"],
      clicks: 3,
      chunks: 2,
      bytes: 200,
      referrer: "(direct)",
    });
    expect(await stub.pendingRecordings()).toEqual({ rows: 0, chunks: 0 });
  });

  it("the consumer hands recording and statistics messages of a session to one aggregator, and dead-letters a bad one", async () => {
    const siteId = `site_${uuidv7().replaceAll("-", "")}`;
    const sessionId = uuidv7();
    const rec: RecordingMessage = {
      kind: "recording",
      v: 1,
      siteId,
      shards: 1,
      sessionId,
      receivedAt: Date.now(),
      seq: 0,
      bytes: 10,
      country: "unknown",
      device: "desktop",
      r2Prefix: recordingPrefix(siteId, Date.now(), sessionId),
      summary: summary(),
    };
    const stats = ingestMessageFor(siteId, [{ path: "/" }], sessionId);
    const batch = createMessageBatch(
      "sightline-ingest",
      [rec, stats, { ...rec, seq: -1 }].map((body, i) => ({
        id: `msg-${i}`,
        timestamp: new Date(),
        attempts: 1,
        body,
      })),
    );
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["msg-0", "msg-1", "msg-2"]);
    expect(result.retryMessages).toEqual([]);
    const { stub } = aggregatorOf(siteId, sessionId);
    expect(await stub.pendingRecordings()).toEqual({ rows: 1, chunks: 1 });
    expect((await stub.pending()).pageviews).toBe(1);
  });

  it("caps a row's pages at maxPagesPerRecording", async () => {
    const siteId = `site_${uuidv7().replaceAll("-", "")}`;
    const sessionId = uuidv7();
    const { name, stub } = aggregatorOf(siteId, sessionId);
    const t0 = Date.now() - 60_000;
    const pages = (from: number) => Array.from({ length: R.maxPagesPerRecording }, (_, i) => `/p${from + i}`);
    for (const [seq, from] of [
      [0, 0],
      [1, 30],
    ] as const) {
      await stub.ingestRecordings(name, [
        {
          kind: "recording",
          v: 1,
          siteId,
          shards: 1,
          sessionId,
          receivedAt: Date.now(),
          seq,
          bytes: 1,
          country: "unknown",
          device: "desktop",
          r2Prefix: recordingPrefix(siteId, t0, sessionId),
          summary: summary({ firstTs: t0 + seq, lastTs: t0 + seq, pages: pages(from) }),
        },
      ]);
      expect(await runDurableObjectAlarm(stub)).toBe(true);
    }
    const [row] = await recordingsOf(siteId);
    expect(row?.pages).toEqual(pages(0));
  });

  it("writes no row for a recording erased while its summaries were on their way", async () => {
    const siteId = `site_${uuidv7().replaceAll("-", "")}`;
    const kept = uuidv7();
    const erased = uuidv7();
    await markRecordingErased(siteId, erased);
    for (const sessionId of [kept, erased]) {
      const { name, stub } = aggregatorOf(siteId, sessionId);
      await stub.ingestRecordings(name, [summaryMessage(siteId, sessionId)]);
      const flushed = await runInDurableObject(stub, (instance: SiteAggregator) => instance.flush());
      expect(flushed.status).toBe("applied");
    }
    expect((await recordingsOf(siteId)).map((r) => r.sessionId)).toEqual([kept]);
  });

  it("writes nothing for a deleted site", async () => {
    const siteId = `site_${uuidv7().replaceAll("-", "")}`;
    const sessionId = uuidv7();
    const { name, stub } = aggregatorOf(siteId, sessionId);
    await markSiteDeleted(siteId);
    await stub.ingestRecordings(name, [summaryMessage(siteId, sessionId)]);
    const flushed = await runInDurableObject(stub, (instance: SiteAggregator) => instance.flush());
    expect(flushed.status).toBe("gone");
    expect(await recordingsOf(siteId)).toEqual([]);
    expect(await stub.pendingRecordings()).toEqual({ rows: 0, chunks: 0 });
  });
});
