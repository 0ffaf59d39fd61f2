import type { CollectBatch } from "@sightline/shared/wire";
import { describe, expect, it } from "vitest";
import { config, fakeBeacon, fakeFetch, manualTimers } from "./fakes.ts";
import { pageview } from "./pageview.ts";
import { queue } from "./queue.ts";
import { transport } from "./transport.ts";

const S1 = "01900000-0000-7000-8000-000000000001";

function setup(answers: (number | Error)[] = [], accept?: boolean) {
  let clock = 1_800_000_000_000;
  const net = fakeFetch(answers);
  const beacon = accept === undefined ? undefined : fakeBeacon(accept);
  const timers = manualTimers();
  const q = queue({
    cfg: config(),
    now: () => clock,
    send: transport("https://ingest.test/v1/collect", net.fetch, beacon?.beacon),
    later: timers.later,
  });
  const track = (n = 1) => {
    for (let i = 0; i < n; i++) q.track(pageview(clock, `https://site.test/${i}`, "", ""), S1);
  };
  const sent = () => net.calls.map((c) => JSON.parse(c.body) as CollectBatch);
  return { q, net, beacon, timers, track, sent, tick: (ms: number) => (clock += ms) };
}

describe("queue", () => {
  it("flushes once per interval through one timer", async () => {
    const t = setup();
    t.track(3);
    expect(t.timers.pending.map((p) => p.ms)).toEqual([5_000]);
    expect(t.net.calls).toHaveLength(0);
    await t.timers.runAll();
    expect(t.sent().map((b) => b.events.length)).toEqual([3]);
    t.track();
    expect(t.timers.pending).toHaveLength(1);
  });

  it("sends nothing when flushed empty", async () => {
    const t = setup();
    await t.q.flush();
    await t.q.flush(true);
    expect(t.net.calls).toHaveLength(0);
  });

  it("keeps only the newest maxQueuedEvents", async () => {
    const t = setup();
    t.track(520);
    await t.q.flush();
    const urls = t.sent().flatMap((b) => b.events.map((e) => e.url));
    expect(urls).toHaveLength(500);
    expect(urls[0]).toBe("https://site.test/20");
  });

  it("retries 5xx, 429 and network errors with doubling backoff, then gives up", async () => {
    const t = setup([503, 429, new TypeError("offline"), 500, 202]);
    t.track();
    expect(await t.timers.runAll()).toEqual([5_000]);
    const delays = [];
    for (let i = 0; i < 5; i++) delays.push(...(await t.timers.runAll()));
    // One attempt plus maxRetries (3) retries after 1 s, 2 s, 4 s; the fourth failure drops it.
    expect(delays).toEqual([1_000, 2_000, 4_000]);
    expect(t.net.calls).toHaveLength(4);
    expect(new Set(t.net.calls.map((c) => JSON.parse(c.body).events[0].id)).size).toBe(1);
  });

  it("stops retrying once a retry succeeds", async () => {
    const t = setup([503, 202]);
    t.track();
    expect(await t.timers.runAll()).toEqual([5_000]);
    await t.timers.runAll();
    await t.timers.runAll();
    expect(t.net.calls).toHaveLength(2);
    expect(t.timers.pending).toHaveLength(0);
  });

  it.each([400, 403, 413])("drops a batch refused with %i", async (status) => {
    const t = setup([status]);
    t.track();
    expect(await t.timers.runAll()).toEqual([5_000]);
    expect(t.timers.pending).toHaveLength(0);
    expect(t.net.calls).toHaveLength(1);
  });

  it("stamps sentAt afresh on each attempt", async () => {
    const t = setup([503, 202]);
    t.track();
    expect(await t.timers.runAll()).toEqual([5_000]);
    t.tick(1_000);
    await t.timers.runAll();
    const [first, retry] = t.sent();
    expect(retry?.sentAt).toBe((first?.sentAt ?? 0) + 1_000);
    expect(retry?.events).toEqual(first?.events);
  });

  it("on unload sends the queue and any batch in backoff by beacon at once", async () => {
    const t = setup([503], true);
    t.track();
    expect(await t.timers.runAll()).toEqual([5_000]);
    expect(t.timers.pending).toHaveLength(1);
    t.track(2);
    await t.q.flush(true);
    const beaconed = await Promise.all((t.beacon?.calls ?? []).map(async (c) => JSON.parse(await c.data.text())));
    expect(beaconed.map((b: CollectBatch) => b.events.length)).toEqual([1, 2]);
    // The retry timer that was pending finds its batch already gone.
    await t.timers.runAll();
    expect(t.net.calls).toHaveLength(1);
  });
});
