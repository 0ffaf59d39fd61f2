import type { GrantResponse } from "@sightline/shared/recording";
import { describe, expect, it, vi } from "vitest";
import { type Answer, config, fakeFetch, memoryStore, settle } from "../fakes.ts";
import { CONSENT_KEY } from "../record.ts";
import { GRANT_KEY, grantFor, refusal, whenGranted } from "./grant.ts";

const SID = "0190a0b0-1111-7000-8000-000000000001";
const cfg = config({ recordingSampleRate: 1 });
const grant = (over: Partial<GrantResponse> = {}): GrantResponse => ({
  grant: "g.sig",
  expiresAt: Date.now() + 60_000,
  maxSessionBytes: 1_000_000,
  maxSessionDurationMs: 60_000,
  maskAllText: false,
  ...over,
});

/** A page of the session, with the storage of the pages before it. */
function page(answers: (number | Answer | Error)[], store = memoryStore()) {
  const net = fakeFetch(answers);
  return { host: { localStorage: store, fetch: net.fetch }, net, store };
}

describe("the session's grant", () => {
  it("is asked once, as text/plain without credentials, and kept for the session", async () => {
    const g = grant();
    const p = page([{ status: 200, json: g }]);
    expect(await grantFor(p.host, cfg, SID)).toEqual(g);
    const [call, ...more] = p.net.calls;
    expect(more).toEqual([]);
    expect(call?.url).toBe("https://ingest.test/v1/record/grant");
    expect(call?.init).toMatchObject({
      method: "POST",
      headers: { "Content-Type": "text/plain;charset=UTF-8" },
      credentials: "omit",
    });
    expect(JSON.parse(call?.body ?? "")).toEqual({ siteKey: "site_key_1", sessionId: SID });
    expect(JSON.parse(p.store.data.get(GRANT_KEY) ?? "")).toEqual({ s: SID, g });
  });

  it("is reused on the session's next page until it expires, and asked again for a new session", async () => {
    const first = page([{ status: 200, json: grant() }]);
    await grantFor(first.host, cfg, SID);
    const next = page([], first.store);
    expect(await grantFor(next.host, cfg, SID)).toBeDefined();
    expect(next.net.calls).toEqual([]);

    const cached = JSON.parse(first.store.data.get(GRANT_KEY) ?? "");
    first.store.data.set(GRANT_KEY, JSON.stringify({ ...cached, g: { ...cached.g, expiresAt: Date.now() - 1 } }));
    const later = page([{ status: 200, json: grant() }], first.store);
    await grantFor(later.host, cfg, SID);
    expect(later.net.calls).toHaveLength(1);

    const other = page([{ status: 200, json: grant() }], first.store);
    await grantFor(other.host, cfg, "0190a0b0-2222-7000-8000-000000000002");
    expect(other.net.calls).toHaveLength(1);
  });

  it("keeps a refusal for the session, but asks again after a 429, a 5xx or a network error", async () => {
    for (const [answer, kept] of [
      [403, refusal(SID)],
      [429, undefined],
      [503, undefined],
      [new TypeError("Failed to fetch"), undefined],
    ] as const) {
      const first = page([answer]);
      expect(await grantFor(first.host, cfg, SID)).toBeUndefined();
      expect(first.store.data.get(GRANT_KEY)).toBe(kept);
      const next = page([{ status: 200, json: grant() }], first.store);
      const g = await grantFor(next.host, cfg, SID);
      expect([next.net.calls.length, g === undefined]).toEqual(kept ? [0, true] : [1, false]);
    }
  });

  it("says the visitor consented, and does not keep a refusal for want of consent", async () => {
    const first = page([{ status: 403, json: { error: { code: "CONSENT_REQUIRED", message: "", requestId: "r" } } }]);
    expect(await grantFor(first.host, cfg, SID)).toBeUndefined();
    expect(JSON.parse(first.net.calls[0]?.body ?? "")).toEqual({ siteKey: cfg.siteKey, sessionId: SID });
    expect(first.store.data.get(GRANT_KEY)).toBeUndefined();
    // sightline('consent', true) on a later page: asked again, with consent.
    first.store.data.set(CONSENT_KEY, "1");
    const next = page([{ status: 200, json: grant() }], first.store);
    expect(await grantFor(next.host, cfg, SID)).toEqual(grant());
    expect(JSON.parse(next.net.calls[0]?.body ?? "")).toEqual({ siteKey: cfg.siteKey, sessionId: SID, consent: true });
  });

  it("gives nothing where storage throws", async () => {
    const net = fakeFetch([{ status: 200, json: grant() }]);
    const host = {
      get localStorage(): never {
        throw new DOMException("denied", "SecurityError");
      },
      fetch: net.fetch,
    };
    expect(await grantFor(host, cfg, SID)).toBeUndefined();
  });

  it("starts recording once granted; a stop before the answer means it never starts", async () => {
    const started = vi.fn(() => vi.fn());
    const stop = whenGranted(page([{ status: 200, json: grant() }]).host, cfg, SID, started);
    await settle();
    expect(started).toHaveBeenCalledTimes(1);
    stop();
    expect(started.mock.results[0]?.value).toHaveBeenCalledTimes(1);

    const early = vi.fn(() => () => {});
    whenGranted(page([{ status: 200, json: grant() }]).host, cfg, SID, early)();
    await settle();
    expect(early).not.toHaveBeenCalled();

    const refused = vi.fn(() => () => {});
    whenGranted(page([403]).host, cfg, SID, refused);
    await settle();
    expect(refused).not.toHaveBeenCalled();
  });
});
