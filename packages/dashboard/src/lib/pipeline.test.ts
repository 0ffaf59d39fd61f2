import { describe, expect, it, vi } from "vitest";
import type { AggregatorShard, DeadLetterReplay, SitePipelineHealth } from "../api/index.ts";
import { deadLetterSentence, replayAll, replaySentence, STATUS, summarize } from "./pipeline.ts";

const shard = (s: Partial<AggregatorShard> = {}): AggregatorShard => ({
  lastFlushAt: null,
  failures: 0,
  nextFlushAt: null,
  pendingRows: 0,
  pendingPageviews: 0,
  inFlight: false,
  ...s,
});
const site = (shards: AggregatorShard[], status: SitePipelineHealth["status"] = "ok"): SitePipelineHealth => ({
  id: "site_1",
  key: "k",
  name: "Demo",
  status,
  shards,
});

describe("summarize", () => {
  it("reads one shard as it is", () => {
    expect(
      summarize(site([shard({ lastFlushAt: "2026-12-05T10:00:00.000Z", pendingPageviews: 3, pendingRows: 5 })])),
    ).toEqual({
      lastFlushAt: "2026-12-05T10:00:00.000Z",
      pendingPageviews: 3,
      pendingRows: 5,
      failures: 0,
      nextFlushAt: null,
      inFlight: false,
      shards: 1,
    });
  });

  it("takes the latest flush, sums what waits, and the failing shard's next try", () => {
    const s = summarize(
      site(
        [
          shard({
            lastFlushAt: "2026-12-05T10:00:00.000Z",
            nextFlushAt: "2026-12-05T10:00:02.000Z",
            pendingPageviews: 2,
          }),
          shard({
            lastFlushAt: "2026-12-05T09:00:00.000Z",
            failures: 4,
            nextFlushAt: "2026-12-05T10:00:30.000Z",
            pendingPageviews: 9,
            inFlight: true,
          }),
          shard(),
        ],
        "failing",
      ),
    );
    expect(s).toMatchObject({
      lastFlushAt: "2026-12-05T10:00:00.000Z",
      pendingPageviews: 11,
      failures: 4,
      nextFlushAt: "2026-12-05T10:00:30.000Z",
      inFlight: true,
      shards: 3,
    });
  });

  it("has no last flush when no shard has flushed, and no shards answered", () => {
    expect(summarize(site([shard(), shard()])).lastFlushAt).toBeNull();
    expect(summarize(site([]))).toMatchObject({ lastFlushAt: null, pendingPageviews: 0, shards: 0 });
  });

  it("names every state in words", () => {
    for (const s of ["ok", "behind", "failing"] as const) {
      expect(STATUS[s].label.length).toBeGreaterThan(1);
      expect(STATUS[s].description).toMatch(/\.$/);
    }
  });
});

describe("dead letters", () => {
  it("says what waits", () => {
    expect(deadLetterSentence({ objects: 0, messages: 0, more: false }, "en")).toBe("No dead letters are parked.");
    expect(deadLetterSentence({ objects: 1, messages: 1, more: false }, "en")).toBe(
      "1 message in 1 parked batch waits for a replay.",
    );
    expect(deadLetterSentence({ objects: 2, messages: 1500, more: false }, "en")).toBe(
      "1,500 messages in 2 parked batches wait for a replay.",
    );
    expect(deadLetterSentence({ objects: 1000, messages: 9000, more: true }, "en")).toMatch(/more are parked\.$/);
  });

  it("calls replay again while the API says more, and adds the calls up", async () => {
    const answers: DeadLetterReplay[] = [
      { objects: 50, replayed: 100, unreadable: 1, more: true },
      { objects: 3, replayed: 6, unreadable: 0, more: false },
    ];
    const replay = vi.fn(async () => answers.shift() ?? { objects: 0, replayed: 0, unreadable: 0, more: false });
    const progress = vi.fn();
    const total = await replayAll(replay, { onProgress: progress });
    expect(replay).toHaveBeenCalledTimes(2);
    expect(progress).toHaveBeenCalledTimes(2);
    expect(total).toEqual({ calls: 2, objects: 53, replayed: 106, unreadable: 1, more: false });
    expect(replaySentence(total, "en")).toBe(
      "Replayed 106 messages from 53 parked batches. 1 message was not readable as events and kept aside.",
    );
  });

  it("stops at the call limit, or when a call moves nothing", async () => {
    const always = vi.fn(async () => ({ objects: 50, replayed: 50, unreadable: 0, more: true }));
    const total = await replayAll(always, { maxCalls: 3 });
    expect(always).toHaveBeenCalledTimes(3);
    expect(total.more).toBe(true);
    expect(replaySentence(total, "en")).toBe(
      "Replayed 150 messages from 150 parked batches. More are parked: replay again.",
    );

    const stuck = vi.fn(async () => ({ objects: 0, replayed: 0, unreadable: 0, more: true }));
    await replayAll(stuck);
    expect(stuck).toHaveBeenCalledOnce();
  });

  it("says so when nothing was parked", async () => {
    const total = await replayAll(async () => ({ objects: 0, replayed: 0, unreadable: 0, more: false }));
    expect(replaySentence(total, "en")).toBe("Nothing was parked: 0 messages replayed.");
  });
});
