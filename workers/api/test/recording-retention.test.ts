/**
 * Recording retention in the Cron Trigger: rows made directly in Postgres and parts put in R2
 * by the test; each site's recordings older than its recordingRetentionDays go with their
 * objects, newer ones and other sites' stay, deleted sites' recordings go, and a run stops at
 * its bound. Times are relative to a controlled scheduledTime (NOW) long before any row of
 * the other test files, which share the database.
 */
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { schema } from "@sightline/db";
import { newId } from "@sightline/shared/ids";
import { LIMITS } from "@sightline/shared/limits";
import { eq, inArray } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index.ts";
import { runRecordingRetention } from "../src/scheduled.ts";
import { withDb } from "./helpers.ts";
import { keysUnder, type Seeded, seedRecordings } from "./recording-fixtures.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2001, 6, 9, 10, 5);

async function newSite(recordingRetentionDays: number): Promise<string> {
  const id = newId("site");
  await withDb((d) =>
    d.insert(schema.sites).values({ id, key: id.slice(-16), name: "Recording retention", recordingRetentionDays }),
  );
  return id;
}

/** Recordings (two parts each) started at these times. */
const seed = (siteId: string, starts: number[]) =>
  seedRecordings(starts.map((startedAt) => ({ siteId, startedAt, parts: ["[]", "[]"] })));

async function rowsLeft(list: Seeded[]): Promise<string[]> {
  const ids = list.map((r) => r.id);
  const rows = await withDb((d) =>
    d.select({ id: schema.recordings.id }).from(schema.recordings).where(inArray(schema.recordings.id, ids)),
  );
  return ids.filter((id) => rows.some((r) => r.id === id));
}

async function objectsLeft(list: Seeded[]): Promise<number[]> {
  return Promise.all(list.map(async (r) => (await keysUnder(r.prefix)).length));
}

describe("recording retention", () => {
  afterEach(() => vi.restoreAllMocks());

  it("erases each site's recordings past its own retention, with their objects, in the Cron run", async () => {
    const week = await newSite(7);
    const month = await newSite(30);
    const weekOld = await seed(week, [NOW - 7 * DAY - HOUR, NOW - 20 * DAY]);
    const weekNew = await seed(week, [NOW - 7 * DAY + HOUR, NOW - HOUR]);
    // Past the first site's cutoff but inside the second's own.
    const monthNew = await seed(month, [NOW - 20 * DAY]);
    const monthOld = await seed(month, [NOW - 31 * DAY]);

    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: new Date(NOW), cron: "17 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    vi.restoreAllMocks();

    const kept = [...weekNew, ...monthNew];
    const gone = [...weekOld, ...monthOld];
    expect(await rowsLeft([...kept, ...gone])).toEqual(kept.map((r) => r.id));
    expect(await objectsLeft(kept)).toEqual([2, 2, 2]);
    expect(await objectsLeft(gone)).toEqual([0, 0, 0]);

    const run = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "recording retention run");
    expect(run).toMatchObject({ level: "info", now: new Date(NOW).toISOString(), stoppedAtBound: false });
    expect(run.recordings).toBeGreaterThanOrEqual(3);
    expect(run.objects).toBeGreaterThanOrEqual(6);
  });

  it("erases a deleted site's recordings whatever their age", async () => {
    const site = await newSite(30);
    const recent = await seed(site, [NOW - HOUR, NOW - 2 * HOUR]);
    await withDb(async (d) => {
      await d.delete(schema.sites).where(eq(schema.sites.id, site));
      await d.insert(schema.deletedSites).values({ siteId: site });
    });
    const result = await runRecordingRetention(env, createExecutionContext(), new Date(NOW));
    expect(result?.recordings).toBeGreaterThanOrEqual(2);
    expect(await rowsLeft(recent)).toEqual([]);
    expect(await objectsLeft(recent)).toEqual([0, 0]);
  });

  it("stops at its bound and the next run finishes; a corrupt prefix costs only its row", async () => {
    const site = await newSite(1);
    const old = await seed(
      site,
      Array.from({ length: 7 }, (_, i) => NOW - 2 * DAY - i * HOUR),
    );
    const fresh = await seed(site, [NOW - HOUR]);
    // A row pointing outside its own site's folder: its row goes, nothing is listed there.
    const [corrupt] = await seedRecordings([{ siteId: site, startedAt: NOW - 3 * DAY }]);
    const foreign = `recordings/site_other/2001-07-01/${crypto.randomUUID()}/`;
    await withDb((d) =>
      d
        .update(schema.recordings)
        .set({ r2Prefix: foreign })
        .where(eq(schema.recordings.id, corrupt?.id ?? "")),
    );
    await (env as unknown as { RECORDINGS: R2Bucket }).RECORDINGS.put(`${foreign}000000.json.gz`, "x");

    const first = await runRecordingRetention(env, createExecutionContext(), new Date(NOW), { batch: 2, maxPerRun: 5 });
    expect(first).toMatchObject({ recordings: 5, stoppedAtBound: true });
    expect(await rowsLeft([...old, ...fresh, corrupt as Seeded])).toHaveLength(3 + 1);

    const second = await runRecordingRetention(env, createExecutionContext(), new Date(NOW), {
      batch: 2,
      maxPerRun: 5,
    });
    expect(second).toMatchObject({ recordings: 3, stoppedAtBound: false });
    expect(await rowsLeft([...old, ...fresh, corrupt as Seeded])).toEqual(fresh.map((r) => r.id));
    expect(await objectsLeft(old)).toEqual(old.map(() => 0));
    expect(await objectsLeft(fresh)).toEqual([2]);
    expect(await keysUnder(foreign)).toHaveLength(1);
  });

  it("forgets erasure marks older than maxRetentionDays, and keeps the newer ones", async () => {
    const siteId = await newSite(30);
    const keep = LIMITS.recording.maxRetentionDays * DAY;
    const marks = [
      { siteId, sessionId: crypto.randomUUID(), erasedAt: new Date(NOW - keep - HOUR) },
      { siteId, sessionId: crypto.randomUUID(), erasedAt: new Date(NOW - keep + HOUR) },
    ];
    await withDb((d) => d.insert(schema.erasedRecordings).values(marks));
    const result = await runRecordingRetention(env, createExecutionContext(), new Date(NOW));
    expect(result?.erasuresForgotten).toBe(1);
    const left = await withDb((d) =>
      d.select().from(schema.erasedRecordings).where(eq(schema.erasedRecordings.siteId, siteId)),
    );
    expect(left.map((m) => m.sessionId)).toEqual([marks[1]?.sessionId]);
  });
});
