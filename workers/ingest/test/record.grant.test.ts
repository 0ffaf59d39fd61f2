import { env } from "cloudflare:test";
import { uuidv7 } from "@sightline/shared/ids";
import { LIMITS } from "@sightline/shared/limits";
import { type GrantResponse, sessionSampled } from "@sightline/shared/recording";
import { describe, expect, it } from "vitest";
import { signGrant } from "../src/lib/grant.ts";
import { type ErrorShape, makeSite, ORIGIN } from "./helpers.ts";
import { askGrant, bufferOf, grantedSession, sendChunk } from "./record-support.ts";

const R = LIMITS.recording;

async function refusedWith(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as ErrorShape;
  expect(body.error.code).toBe(code);
  return body;
}

describe("POST /v1/record/grant", () => {
  it("grants a sampled session a signed grant with the caps, and CORS", async () => {
    const site = await makeSite({ recordingSampleRate: 1, maskAllText: true });
    const before = Date.now();
    const res = await askGrant(site.siteKey, uuidv7());
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    const body = (await res.json()) as GrantResponse;
    expect(body.grant).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(body.expiresAt).toBeGreaterThanOrEqual(before + R.grantTtlMs);
    expect(body.expiresAt).toBeLessThanOrEqual(Date.now() + R.grantTtlMs);
    expect(body).toMatchObject({
      maxSessionBytes: R.maxSessionBytes,
      maxSessionDurationMs: R.maxSessionDurationMs,
      maskAllText: true,
    });
  });

  it("answers the preflight", async () => {
    const { SELF } = await import("cloudflare:test");
    const res = await SELF.fetch("https://ingest.test/v1/record/grant", {
      method: "OPTIONS",
      headers: { origin: ORIGIN },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
  });

  it("follows the site's sample rate, deterministically per session, as the tracker does", async () => {
    const site = await makeSite({ recordingSampleRate: 0.5 });
    const ids = Array.from({ length: 40 }, () => uuidv7());
    const sampled = ids.filter((id) => sessionSampled(id, 0.5));
    expect(sampled.length).toBeGreaterThan(0);
    expect(sampled.length).toBeLessThan(ids.length);
    for (const id of ids.slice(0, 12)) {
      const res = await askGrant(site.siteKey, id);
      if (sampled.includes(id)) expect(res.status).toBe(200);
      else await refusedWith(res, 403, "RECORDING_NOT_GRANTED");
    }
  });

  it("grants an opt-in site's session only with the visitor's consent", async () => {
    const site = await makeSite({ recordingSampleRate: 1, recordingConsent: "opt-in" });
    const sessionId = uuidv7();
    // A loader cached from before the site switched to opt-in: its recorder asks without consent.
    const refused = await refusedWith(await askGrant(site.siteKey, sessionId), 403, "CONSENT_REQUIRED");
    expect(refused.error.message).toContain("sightline('consent', true)");
    expect((await askGrant(site.siteKey, sessionId, { consent: true })).status).toBe(200);
    // Only true is consent.
    await refusedWith(await askGrant(site.siteKey, sessionId, { consent: "yes" }), 400, "VALIDATION_FAILED");
    // An opt-out site grants either way.
    const open = await makeSite({ recordingSampleRate: 1 });
    expect((await askGrant(open.siteKey, uuidv7())).status).toBe(200);
    expect((await askGrant(open.siteKey, uuidv7(), { consent: true })).status).toBe(200);
  });

  it("refuses every session of a site that records nothing", async () => {
    const site = await makeSite({ recordingSampleRate: 0 });
    await refusedWith(await askGrant(site.siteKey, uuidv7()), 403, "RECORDING_NOT_GRANTED");
  });

  it("stops at the site's daily quota of recorded sessions, counting a session once", async () => {
    const site = await makeSite({ recordingSampleRate: 1, recordingDailyQuota: 2 });
    const [a, b, c] = [uuidv7(), uuidv7(), uuidv7()];
    expect((await askGrant(site.siteKey, a)).status).toBe(200);
    expect((await askGrant(site.siteKey, a)).status).toBe(200);
    expect((await askGrant(site.siteKey, b)).status).toBe(200);
    const refused = await refusedWith(await askGrant(site.siteKey, c), 403, "RECORDING_NOT_GRANTED");
    expect(refused.error.message).toContain("quota");
    // Sessions already granted today keep their grant.
    expect((await askGrant(site.siteKey, b)).status).toBe(200);
  });

  it("counts the quota per UTC day and forgets past days", async () => {
    const site = await makeSite();
    const name = `${site.siteId}:0`;
    const stub = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(name));
    const day = Date.UTC(2030, 0, 1, 12);
    expect(await stub.recordingGrant(name, "s1", 1, day)).toBe(true);
    expect(await stub.recordingGrant(name, "s2", 1, day)).toBe(false);
    expect(await stub.recordingGrant(name, "s2", 1, day + 86_400_000)).toBe(true);
    // The next day's call deleted the first day's count: asked again for that day (a clock never
    // goes back; this only shows the prune), s3 finds the day empty.
    expect(await stub.recordingGrant(name, "s3", 1, day)).toBe(true);
  });

  it("counts a recording that runs across UTC midnight once, on the day it started", async () => {
    const site = await makeSite();
    const name = `${site.siteId}:0`;
    const stub = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(name));
    const beforeMidnight = Date.UTC(2030, 0, 1, 23, 55);
    const afterMidnight = beforeMidnight + 10 * 60_000;
    expect(await stub.recordingGrant(name, "late", 1, beforeMidnight)).toBe(true);
    // The session's next page, after midnight: granted again without taking the new day's quota.
    expect(await stub.recordingGrant(name, "late", 1, afterMidnight)).toBe(true);
    expect(await stub.recordingGrant(name, "fresh", 1, afterMidnight)).toBe(true);
    expect(await stub.recordingGrant(name, "third", 1, afterMidnight)).toBe(false);
    // Two days on, the first day's grants are forgotten: the session would count anew.
    expect(await stub.recordingGrant(name, "late", 1, beforeMidnight + 2 * 86_400_000)).toBe(true);
    expect(await stub.recordingGrant(name, "other", 1, beforeMidnight + 2 * 86_400_000)).toBe(false);
  });

  it("refuses an origin the site does not list, and a request without one", async () => {
    const site = await makeSite({ recordingSampleRate: 1 });
    await refusedWith(
      await askGrant(site.siteKey, uuidv7(), { origin: "https://evil.example" }),
      403,
      "ORIGIN_NOT_ALLOWED",
    );
    await refusedWith(await askGrant(site.siteKey, uuidv7(), { origin: null }), 403, "ORIGIN_NOT_ALLOWED");
  });

  it("refuses under Global Privacy Control, and under Do Not Track when the site respects it", async () => {
    const respects = await makeSite({ recordingSampleRate: 1, respectDnt: true });
    const ignores = await makeSite({ recordingSampleRate: 1, respectDnt: false });
    await refusedWith(
      await askGrant(respects.siteKey, uuidv7(), { headers: { "sec-gpc": "1" } }),
      403,
      "RECORDING_NOT_GRANTED",
    );
    await refusedWith(
      await askGrant(ignores.siteKey, uuidv7(), { headers: { "sec-gpc": "1" } }),
      403,
      "RECORDING_NOT_GRANTED",
    );
    await refusedWith(
      await askGrant(respects.siteKey, uuidv7(), { headers: { dnt: "1" } }),
      403,
      "RECORDING_NOT_GRANTED",
    );
    expect((await askGrant(ignores.siteKey, uuidv7(), { headers: { dnt: "1" } })).status).toBe(200);
  });

  it("refuses unknown sites, bad JSON, bad bodies and other media types with stable codes", async () => {
    const { SELF } = await import("cloudflare:test");
    await refusedWith(await askGrant("key_nosuchsite00", uuidv7()), 404, "UNKNOWN_SITE");
    const post = (body: string, type = "text/plain") =>
      SELF.fetch("https://ingest.test/v1/record/grant", {
        method: "POST",
        headers: { origin: ORIGIN, "content-type": type },
        body,
      });
    await refusedWith(await post("{"), 400, "INVALID_JSON");
    await refusedWith(await post(JSON.stringify({ siteKey: "x", sessionId: "y" })), 400, "VALIDATION_FAILED");
    await refusedWith(await post("{}", "multipart/form-data"), 415, "UNSUPPORTED_MEDIA_TYPE");
    await refusedWith(await post("x".repeat(R.maxHeaderBytes + 1)), 413, "PAYLOAD_TOO_LARGE");
  });
});

describe("recording grants cannot be forged", () => {
  const secret = () => (env as { RECORDING_GRANT_SECRET: string }).RECORDING_GRANT_SECRET;

  async function refusedChunk(spec: { siteKey: string; sessionId: string; grant: string }) {
    const res = await sendChunk({ ...spec, seq: 0 });
    await refusedWith(res, 403, "RECORDING_NOT_GRANTED");
  }

  it("accepts its own grant", async () => {
    const { site, sessionId, grant } = await grantedSession();
    expect((await sendChunk({ siteKey: site.siteKey, sessionId, grant, seq: 0 })).status).toBe(202);
  });

  it("refuses a grant signed with another secret", async () => {
    const { site, sessionId } = await grantedSession();
    const forged = await signGrant(
      "another-secret-another-secret-0123456789",
      site.siteKey,
      sessionId,
      Date.now() + 60_000,
    );
    await refusedChunk({ siteKey: site.siteKey, sessionId, grant: forged });
  });

  it("refuses another session's grant, and another site's", async () => {
    const a = await grantedSession();
    const b = await grantedSession();
    await refusedChunk({ siteKey: a.site.siteKey, sessionId: uuidv7(), grant: a.grant });
    await refusedChunk({ siteKey: a.site.siteKey, sessionId: b.sessionId, grant: b.grant });
    // Nothing was buffered for the refused chunks.
    expect((await (await bufferOf(a.site.siteId, b.sessionId)).state()).session).toBeNull();
  });

  it("refuses an expired grant", async () => {
    const { site, sessionId } = await grantedSession();
    const expired = await signGrant(secret(), site.siteKey, sessionId, Date.now() - 1);
    await refusedChunk({ siteKey: site.siteKey, sessionId, grant: expired });
  });

  it("refuses a grant whose payload was changed, or that is not a grant at all", async () => {
    const { site, sessionId, grant } = await grantedSession();
    const [, sig] = grant.split(".");
    const payload = btoa(JSON.stringify({ k: site.siteKey, s: sessionId, e: Date.now() + 10 * R.grantTtlMs }))
      .replaceAll("+", "-")
      .replaceAll("/", "_")
      .replace(/=+$/, "");
    await refusedChunk({ siteKey: site.siteKey, sessionId, grant: `${payload}.${sig}` });
    for (const junk of ["x", ".", "a.b", `${grant}x`, `${grant.split(".")[0]}.${"A".repeat(43)}`, "!!!.???"]) {
      await refusedChunk({ siteKey: site.siteKey, sessionId, grant: junk });
    }
  });
});
