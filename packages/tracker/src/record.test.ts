import { sessionSampled } from "@sightline/shared/recording/sample";
import { describe, expect, it, vi } from "vitest";
import { config, fakeHost, settle } from "./fakes.ts";
import { CONSENT_KEY, type StartRecorder } from "./record.ts";
import { GRANT_KEY, refusal } from "./recorder/grant.ts";
import { start } from "./start.ts";

const RECORDER = "https://ingest.test/t/recorder.abc123.js";

/** A page of a recording site: every session sampled unless the rate says otherwise. */
function page(opts: Parameters<typeof fakeHost>[0] & { rate?: number } = {}) {
  const cfg = config({ recordingSampleRate: opts.rate ?? 1, recorderUrl: RECORDER });
  return fakeHost({ cfg, ...opts });
}

const sessionOf = (p: ReturnType<typeof page>) => (p.store.data.get("sl_s") ?? "").split(".")[0] ?? "";

/** The next page of the same visit: the storage carried over. */
function nextPage(prev: ReturnType<typeof page>) {
  const next = page();
  for (const [k, v] of prev.store.data) next.store.data.set(k, v);
  return next;
}

describe("recording in the core", () => {
  it("loads nothing when the site does not record", async () => {
    for (const cfg of [config(), config({ recordingSampleRate: 1 }), config({ recorderUrl: RECORDER })]) {
      const { host, scripts } = fakeHost({ cfg });
      start(host);
      await settle();
      expect(scripts).toEqual([]);
      expect(host.__slr).toBeUndefined();
    }
  });

  it("loads the recorder once a page, asks nothing itself, and starts it with the session", async () => {
    const p = page();
    start(p.host);
    p.host.history.pushState({}, "", "/second");
    await settle();
    expect(p.scripts).toEqual([RECORDER]);
    expect(p.net.calls.filter((c) => !c.url.endsWith("/v1/collect"))).toEqual([]);

    const recorder = vi.fn<StartRecorder>(() => () => {});
    p.host.__slr?.(recorder);
    expect(recorder).toHaveBeenCalledWith(p.host.__sl, sessionOf(p));
  });

  it("does not load the recorder again in a session the edge refused", async () => {
    const first = page();
    start(first.host);
    await settle();
    // What the chunk stores when the grant is refused (src/recorder/grant.ts).
    first.store.data.set(GRANT_KEY, refusal(sessionOf(first)));
    const next = nextPage(first);
    start(next.host);
    await settle();
    expect(next.scripts).toEqual([]);

    // Another session's refusal does not count for this one.
    const other = page();
    other.store.data.set(GRANT_KEY, refusal("0190a0b0-0000-7000-8000-000000000000"));
    start(other.host);
    await settle();
    expect(other.scripts).toEqual([RECORDER]);
  });

  it("loads the recorder only in the sessions the sampling rule picks", async () => {
    let loaded = 0;
    let sampled = 0;
    for (let i = 0; i < 40; i++) {
      const p = page({ rate: 0.5 });
      start(p.host);
      await settle();
      if (sessionSampled(sessionOf(p), 0.5)) sampled++;
      loaded += p.scripts.length;
    }
    expect(loaded).toBe(sampled);
    expect(sampled).toBeGreaterThan(0);
    expect(sampled).toBeLessThan(40);
  });

  it("sightline('consent', false) stops the recorder and keeps it off on later pages; true allows it again", async () => {
    const p = page();
    start(p.host);
    await settle();
    const stop = vi.fn();
    p.host.__slr?.(() => stop);
    p.host.sightline?.("consent", false);
    expect(stop).toHaveBeenCalledTimes(1);
    expect(p.store.data.get(CONSENT_KEY)).toBe("0");

    const next = nextPage(p);
    start(next.host);
    await settle();
    expect(next.scripts).toEqual([]);

    next.host.sightline?.("consent", true);
    await settle();
    expect(next.scripts).toEqual([RECORDER]);
    const again = vi.fn<StartRecorder>(() => () => {});
    next.host.__slr?.(again);
    expect(again).toHaveBeenCalledTimes(1);
  });

  it("on an opt-in site loads the recorder only once sightline('consent', true) was called, on this page or an earlier one", async () => {
    const optIn = (over: Parameters<typeof fakeHost>[0] = {}) =>
      fakeHost({ cfg: config({ recordingSampleRate: 1, recorderUrl: RECORDER, consentRequired: true }), ...over });
    const p = optIn();
    start(p.host);
    p.host.history.pushState({}, "", "/second");
    await settle();
    expect(p.scripts).toEqual([]);
    expect(p.host.__slr).toBeUndefined();
    // Only recording waits for consent: the pageviews go as ever.
    await p.timers.runAll();
    expect(p.net.calls.map((c) => c.url)).toEqual(["https://ingest.test/v1/collect"]);

    p.host.sightline?.("consent", true);
    await settle();
    expect(p.scripts).toEqual([RECORDER]);
    expect(p.store.data.get(CONSENT_KEY)).toBe("1");
    const recorder = vi.fn<StartRecorder>(() => () => {});
    p.host.__slr?.(recorder);
    expect(recorder).toHaveBeenCalledWith(p.host.__sl, sessionOf(p));

    // A later page of the visit records from the start.
    const next = optIn({ store: p.store });
    start(next.host);
    await settle();
    expect(next.scripts).toEqual([RECORDER]);

    // Withdrawn: it stops, and later pages wait for consent again.
    const stop = vi.fn();
    next.host.__slr?.(() => stop);
    next.host.sightline?.("consent", false);
    expect(stop).toHaveBeenCalledTimes(1);
    const after = optIn({ store: p.store });
    start(after.host);
    await settle();
    expect(after.scripts).toEqual([]);
  });

  it("does not start a recorder that arrives after consent was withdrawn", async () => {
    const p = page();
    start(p.host);
    await settle();
    const slr = p.host.__slr;
    p.host.sightline?.("consent", false);
    const late = vi.fn<StartRecorder>(() => () => {});
    p.host.__slr?.(late);
    expect(p.host.__slr).toBeUndefined();
    expect(slr).toBeDefined();
    expect(late).not.toHaveBeenCalled();
  });

  it("records nothing under Global Privacy Control", async () => {
    const p = page({ gpc: true });
    start(p.host);
    await settle();
    expect([p.net.calls.length, p.scripts.length]).toEqual([0, 0]);
  });
});
