import type { GrantResponse } from "@sightline/shared/recording";
import { sessionSampled } from "@sightline/shared/recording/sample";
import { describe, expect, it, vi } from "vitest";
import { config, fakeHost, settle } from "./fakes.ts";
import { CONSENT_KEY, GRANT_KEY, type StartRecorder } from "./record.ts";
import { start } from "./start.ts";

const RECORDER = "https://ingest.test/t/recorder.abc123.js";
const grant = (over: Partial<GrantResponse> = {}): GrantResponse => ({
  grant: "g.sig",
  expiresAt: Date.now() + 60_000,
  maxSessionBytes: 1_000_000,
  maxSessionDurationMs: 60_000,
  maskAllText: false,
  ...over,
});

/** A page of a recording site: every session sampled unless the rate says otherwise. */
function page(opts: Parameters<typeof fakeHost>[0] & { rate?: number } = {}) {
  const cfg = config({ recordingSampleRate: opts.rate ?? 1, recorderUrl: RECORDER });
  return fakeHost({ cfg, ...opts });
}

const grantCalls = <T extends { url: string }>(calls: T[]) => calls.filter((c) => c.url.endsWith("/v1/record/grant"));

describe("recording in the core", () => {
  it("asks nothing and loads nothing when the site does not record", async () => {
    for (const cfg of [config(), config({ recordingSampleRate: 1 }), config({ recorderUrl: RECORDER })]) {
      const { host, net, scripts } = fakeHost({ cfg });
      start(host);
      await settle();
      expect(grantCalls(net.calls)).toEqual([]);
      expect(scripts).toEqual([]);
    }
  });

  it("asks for a grant once, as text/plain without credentials, then loads the recorder and starts it", async () => {
    const g = grant();
    const p = page({ answers: [{ status: 200, json: g }] });
    start(p.host);
    p.host.history.pushState({}, "", "/second");
    await settle();
    const [call, ...more] = grantCalls(p.net.calls);
    expect(more).toEqual([]);
    expect(call?.init).toMatchObject({
      method: "POST",
      headers: { "Content-Type": "text/plain;charset=UTF-8" },
      credentials: "omit",
    });
    const sid = JSON.parse(call?.body ?? "").sessionId;
    expect(JSON.parse(call?.body ?? "")).toEqual({ siteKey: "site_key_1", sessionId: sid });
    expect(JSON.parse(p.store.data.get(GRANT_KEY) ?? "")).toEqual({ s: sid, g });
    expect(p.scripts).toEqual([RECORDER]);

    const recorder = vi.fn<StartRecorder>(() => () => {});
    p.host.__slr?.(recorder);
    expect(recorder).toHaveBeenCalledWith(p.host.__sl, sid, g);
  });

  it("reuses the cached grant on the session's next page until it expires", async () => {
    const first = page({ answers: [{ status: 200, json: grant() }] });
    start(first.host);
    await settle();
    const next = page({ answers: [{ status: 200, json: grant() }] });
    for (const [k, v] of first.store.data) next.store.data.set(k, v);
    start(next.host);
    await settle();
    expect(grantCalls(next.net.calls)).toEqual([]);
    expect(next.scripts).toEqual([RECORDER]);

    // Expired: asked again.
    const cached = JSON.parse(first.store.data.get(GRANT_KEY) ?? "");
    const later = page({ answers: [{ status: 200, json: grant() }] });
    for (const [k, v] of first.store.data) later.store.data.set(k, v);
    later.store.data.set(GRANT_KEY, JSON.stringify({ ...cached, g: { ...cached.g, expiresAt: Date.now() - 1 } }));
    start(later.host);
    await settle();
    expect(grantCalls(later.net.calls)).toHaveLength(1);
  });

  it("keeps a refusal for the session, but asks again after a 5xx or a network error", async () => {
    for (const [answer, cachedAs] of [
      [403, 0],
      [503, undefined],
      [new TypeError("Failed to fetch"), undefined],
    ] as const) {
      const first = page({ answers: [answer] });
      start(first.host);
      await settle();
      expect(first.scripts).toEqual([]);
      expect(first.store.data.has(GRANT_KEY) ? JSON.parse(first.store.data.get(GRANT_KEY) ?? "").g : undefined).toBe(
        cachedAs,
      );
      const next = page({ answers: [{ status: 200, json: grant() }] });
      for (const [k, v] of first.store.data) next.store.data.set(k, v);
      start(next.host);
      await settle();
      expect(grantCalls(next.net.calls)).toHaveLength(cachedAs === 0 ? 0 : 1);
    }
  });

  it("records only the sessions the sampling rule picks, without asking for the others", async () => {
    let asked = 0;
    let sampled = 0;
    for (let i = 0; i < 40; i++) {
      const p = page({ rate: 0.5, answers: [{ status: 200, json: grant() }] });
      start(p.host);
      await settle();
      const sid = (p.store.data.get("sl_s") ?? "").split(".")[0] ?? "";
      if (sessionSampled("site_key_1", sid, 0.5)) sampled++;
      asked += grantCalls(p.net.calls).length;
    }
    expect(asked).toBe(sampled);
    expect(sampled).toBeGreaterThan(0);
    expect(sampled).toBeLessThan(40);
  });

  it("sightline('consent', false) stops the recorder and keeps it off on later pages; true allows it again", async () => {
    const p = page({ answers: [{ status: 200, json: grant() }] });
    start(p.host);
    await settle();
    const stop = vi.fn();
    p.host.__slr?.(() => stop);
    p.host.sightline?.("consent", false);
    expect(stop).toHaveBeenCalledTimes(1);
    expect(p.store.data.get(CONSENT_KEY)).toBe("0");

    const next = page({ answers: [{ status: 200, json: grant() }] });
    for (const [k, v] of p.store.data) next.store.data.set(k, v);
    start(next.host);
    await settle();
    expect([grantCalls(next.net.calls).length, next.scripts.length]).toEqual([0, 0]);

    next.host.sightline?.("consent", true);
    await settle();
    expect(next.scripts).toEqual([RECORDER]);
    const again = vi.fn<StartRecorder>(() => () => {});
    next.host.__slr?.(again);
    expect(again).toHaveBeenCalledTimes(1);
  });

  it("does not start a recorder that arrives after consent was withdrawn", async () => {
    const p = page({ answers: [{ status: 200, json: grant() }] });
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
    const p = page({ gpc: true, answers: [{ status: 200, json: grant() }] });
    start(p.host);
    await settle();
    expect([p.net.calls.length, p.scripts.length]).toEqual([0, 0]);
  });
});
