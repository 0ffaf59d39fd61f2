/**
 * Recordings carry their session's flag variants: /v1/record evaluates the site's public flags
 * for each chunk as the loader did on the page (session id, edge country and device, the
 * chunk's first page) and queues them on the summary; the aggregator keeps the union per
 * session and Postgres merges it into `recordings.flags`, both capped at maxFlagsPerSite.
 */
import { createExecutionContext, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { aggregatorName } from "@sightline/core/aggregate";
import type { SiteFlags } from "@sightline/shared/flags";
import { uuidv7 } from "@sightline/shared/ids";
import { LIMITS } from "@sightline/shared/limits";
import { recordingPrefix } from "@sightline/shared/recording";
import { type RecordingMessage, recordingMessage } from "@sightline/shared/wire";
import { describe, expect, it, vi } from "vitest";
import { SiteAggregator } from "../src/aggregator/site-aggregator.ts";
import { EdgeAdmin } from "../src/edge-admin.ts";
import { FLAGS, PHONE, variantOf } from "./flag-fixtures.ts";
import { recordingsOf } from "./helpers.ts";
import { grantedSession, sendChunk, summary } from "./record-support.ts";

const MAX_FLAGS = LIMITS.flags.maxFlagsPerSite;

function aggregatorOf(siteId: string, sessionId: string) {
  const name = aggregatorName(siteId, sessionId, 1);
  return { name, stub: env.AGGREGATOR.get(env.AGGREGATOR.idFromName(name)) };
}

/** Waits for the queue to bring the session's chunks to its aggregator, then flushes them. */
async function flushed(siteId: string, sessionId: string, chunks: number) {
  const { stub } = aggregatorOf(siteId, sessionId);
  await vi.waitFor(async () => expect((await stub.pendingRecordings()).chunks).toBe(chunks), {
    timeout: 10_000,
    interval: 100,
  });
  expect(await runDurableObjectAlarm(stub)).toBe(true);
  return recordingsOf(siteId);
}

/** A chunk's summary message as the record route queues it. */
function message(siteId: string, sessionId: string, seq: number, firstTs: number, flags?: string[]): RecordingMessage {
  return {
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
    r2Prefix: recordingPrefix(siteId, firstTs, sessionId),
    summary: summary({ firstTs, lastTs: firstTs + 1_000 }),
    ...(flags === undefined ? {} : { flags }),
  };
}

const newSite = () => `site_${uuidv7().replaceAll("-", "")}`;

describe("POST /v1/record and flag variants", () => {
  it("queues the variants of every public flag the chunk's first page was served, onto the recording's row", async () => {
    const { site, sessionId, grant } = await grantedSession();
    await new EdgeAdmin(createExecutionContext(), env).putFlags(site.siteKey, {
      version: 1,
      flags: FLAGS,
    } as SiteFlags);
    const t0 = Date.now() - 60_000;
    const spec = { siteKey: site.siteKey, sessionId, grant };
    const init = { headers: { "user-agent": PHONE, "cf-ipcountry": "DE" } };
    const first = summary({ firstTs: t0, lastTs: t0 + 1_000, pages: ["/pricing/team", "/docs"] });
    expect((await sendChunk({ ...spec, seq: 0, summary: first }, init)).status).toBe(202);
    // A chunk that saw no page change evaluates as "/": pricing-page is off there.
    const second = summary({ firstTs: t0 + 1_000, lastTs: t0 + 2_000, pages: [] });
    expect((await sendChunk({ ...spec, seq: 1, summary: second }, init)).status).toBe(202);

    const [row] = await flushed(site.siteId, sessionId, 2);
    const split = `split=${variantOf(
      FLAGS.find((f) => f.key === "split"),
      sessionId,
    )}`;
    expect(row?.flags).toEqual(["static-on=on", "phones=on", "pricing-page=on", split, "pricing-page=off"]);
    expect(row?.flags.some((f) => f.startsWith("beta-list="))).toBe(false);
  });

  it("stores no variant for a site without flags", async () => {
    const { site, sessionId, grant } = await grantedSession();
    expect((await sendChunk({ siteKey: site.siteKey, sessionId, grant, seq: 0 })).status).toBe(202);
    const [row] = await flushed(site.siteId, sessionId, 1);
    expect(row?.flags).toEqual([]);
  });
});

describe("the aggregator and a session's flag variants", () => {
  it("keeps the union of its chunks' variants (a flip shows both), in first-seen order, and Postgres merges flushes", async () => {
    const siteId = newSite();
    const sessionId = uuidv7();
    const { name, stub } = aggregatorOf(siteId, sessionId);
    const t0 = Date.now() - 60_000;
    expect(
      await stub.ingestRecordings(name, [
        message(siteId, sessionId, 2, t0 + 4_000, ["checkout=new", "banner=off"]),
        // Flipped between the chunks: both variants of checkout stay.
        message(siteId, sessionId, 1, t0 + 2_000, ["checkout=old", "banner=off"]),
        // An older message, without flags, adds none.
        message(siteId, sessionId, 3, t0 + 6_000),
      ]),
    ).toEqual({ merged: 3, duplicates: 0 });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const [row] = await recordingsOf(siteId);
    // Merged in seq order: seq 1's variants first.
    expect(row?.flags).toEqual(["checkout=old", "banner=off", "checkout=new"]);

    // An earlier chunk flushed later: its variants go first, as its pages do; a repeat adds nothing.
    expect(
      await stub.ingestRecordings(name, [
        message(siteId, sessionId, 0, t0, ["banner=on", "checkout=old"]),
        message(siteId, sessionId, 2, t0 + 4_000, ["repeat=x"]),
      ]),
    ).toEqual({ merged: 1, duplicates: 1 });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const [merged] = await recordingsOf(siteId);
    expect(merged?.flags).toEqual(["banner=on", "checkout=old", "banner=off", "checkout=new"]);
    expect(merged?.chunks).toBe(4);
  });

  it("keeps at most maxFlagsPerSite variants a session, the first seen, in the aggregator and in Postgres", async () => {
    const siteId = newSite();
    const sessionId = uuidv7();
    const { name, stub } = aggregatorOf(siteId, sessionId);
    const t0 = Date.now() - 60_000;
    const variants = (v: string) => Array.from({ length: MAX_FLAGS }, (_, i) => `f${i}=${v}`);
    // Two flushes of a full set each: Postgres keeps the first set.
    await stub.ingestRecordings(name, [message(siteId, sessionId, 0, t0, variants("a"))]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await stub.ingestRecordings(name, [message(siteId, sessionId, 1, t0 + 1_000, variants("b"))]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await recordingsOf(siteId))[0]?.flags).toEqual(variants("a"));

    // Two full sets merged in one object before a flush: it keeps the first.
    const other = uuidv7();
    const agg = aggregatorOf(siteId, other);
    await agg.stub.ingestRecordings(agg.name, [
      message(siteId, other, 0, t0, variants("c")),
      message(siteId, other, 1, t0 + 1_000, variants("d")),
    ]);
    const held = await runInDurableObject(agg.stub, (_: SiteAggregator, state) =>
      state.storage.sql.exec<{ flags: string }>("SELECT flags FROM recording_deltas").one(),
    );
    expect(JSON.parse(held.flags)).toEqual(variants("c"));
  });

  it("takes maxFlagsPerSite well-formed variants on a queued summary, and no more", () => {
    const base = message(newSite(), uuidv7(), 0, Date.now());
    const full = Array.from({ length: MAX_FLAGS }, (_, i) => `f${i}=on`);
    expect(recordingMessage.safeParse({ ...base, flags: full }).success).toBe(true);
    expect(recordingMessage.safeParse({ ...base, flags: [...full, "one=more"] }).success).toBe(false);
    for (const bad of ["no-variant", "=on", "Upper=on", "k=", `${"k".repeat(LIMITS.flags.maxKeyLength + 1)}=on`]) {
      expect(recordingMessage.safeParse({ ...base, flags: [bad] }).success, bad).toBe(false);
    }
  });
});

describe("SiteAggregator storage of an object made before recordings kept flags", () => {
  /** recording_deltas as objects created it before the flags column. */
  const FORMER = `
    CREATE TABLE recording_deltas (
      flush_id TEXT NOT NULL, session TEXT NOT NULL, id TEXT NOT NULL,
      first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, active_ms INTEGER NOT NULL,
      clicks INTEGER NOT NULL, rage_clicks INTEGER NOT NULL, errors INTEGER NOT NULL,
      bytes INTEGER NOT NULL, chunks INTEGER NOT NULL, pages TEXT NOT NULL,
      device TEXT NOT NULL, country TEXT NOT NULL, referrer TEXT, r2_prefix TEXT NOT NULL,
      PRIMARY KEY (flush_id, session)) WITHOUT ROWID;`;

  it("adds the column once when it starts, and flushes the rows it held with no variants", async () => {
    const siteId = newSite();
    const [held, later] = [uuidv7(), uuidv7()].sort();
    const { name, stub } = aggregatorOf(siteId, held as string);
    const t0 = Date.now() - 60_000;
    const columns = await runInDurableObject(stub, (_: SiteAggregator, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP TABLE recording_deltas");
      sql.exec(FORMER);
      sql.exec(
        `INSERT INTO recording_deltas VALUES ('', ?, ?, ?, ?, 0, 1, 0, 0, 10, 1, '["/"]', 'desktop', 'DE', NULL, ?)`,
        held,
        uuidv7(),
        t0,
        t0 + 1_000,
        recordingPrefix(siteId, t0, held as string),
      );
      // The object starting again over the same storage, as after a deploy, twice.
      new SiteAggregator(state, env);
      new SiteAggregator(state, env);
      return sql
        .exec<{ name: string }>("SELECT name FROM pragma_table_info('recording_deltas')")
        .toArray()
        .map((c) => c.name);
    });
    expect(columns.filter((c) => c === "flags")).toHaveLength(1);

    // The held session's next chunk merges into its old row; another session's is new.
    await stub.ingestRecordings(name, [
      message(siteId, held as string, 1, t0 + 1_000, ["checkout=new"]),
      message(siteId, later as string, 0, t0, ["checkout=old"]),
    ]);
    const flushedNow = await runInDurableObject(stub, (instance: SiteAggregator) => instance.flush());
    expect(flushedNow.status).toBe("applied");
    const rows = await recordingsOf(siteId);
    expect(rows.map((r) => [r.sessionId, r.flags, r.chunks])).toEqual([
      [held, ["checkout=new"], 2],
      [later, ["checkout=old"], 1],
    ]);
  });

  it("flushes a row it held from before the column", async () => {
    const siteId = newSite();
    const sessionId = uuidv7();
    const { name, stub } = aggregatorOf(siteId, sessionId);
    const t0 = Date.now() - 60_000;
    // Names the object for its flush; its own session is another one.
    await stub.ingestRecordings(name, []);
    await runInDurableObject(stub, (_: SiteAggregator, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP TABLE recording_deltas");
      sql.exec(FORMER);
      sql.exec(
        `INSERT INTO recording_deltas VALUES ('', ?, ?, ?, ?, 0, 1, 0, 0, 10, 1, '["/"]', 'desktop', 'DE', NULL, ?)`,
        sessionId,
        uuidv7(),
        t0,
        t0 + 1_000,
        recordingPrefix(siteId, t0, sessionId),
      );
      new SiteAggregator(state, env);
    });
    expect(await runInDurableObject(stub, (instance: SiteAggregator) => instance.flush())).toMatchObject({
      status: "applied",
      rows: 1,
    });
    expect((await recordingsOf(siteId)).map((r) => [r.sessionId, r.flags, r.pages])).toEqual([[sessionId, [], ["/"]]]);
  });
});
