import { env } from "cloudflare:test";
import { schema } from "@sightline/db";
import { LIMITS } from "@sightline/shared/limits";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { api, createSite, db, type ErrorShape, expectMatchesDocument, ownerCookie } from "./helpers.ts";

const edge = () => env.EDGE as unknown as { getSite(k: string): Promise<unknown> };

describe("sites", () => {
  it("creates a site with a snippet and publishes its edge record", async () => {
    const cookie = await ownerCookie();
    const res = await api("/v1/sites", {
      method: "POST",
      cookie,
      json: { name: "Docs", origins: ["https://docs.example"] },
    });
    expect(res.status).toBe(201);
    const site = (await expectMatchesDocument("POST", "/v1/sites", res)) as {
      id: string;
      key: string;
      snippet: string;
    };
    expect(site.snippet).toBe(`<script async src="https://api.test/s/${site.key}.js"></script>`);
    expect(await edge().getSite(site.key)).toEqual({
      siteId: site.id,
      // The owner's account: an API token evaluates private flags of its own account's sites only.
      accountId: expect.stringMatching(/^acc_/),
      siteKey: site.key,
      origins: ["https://docs.example"],
      shards: 1,
      respectDnt: true,
      hashRoutes: true,
      dailyEventQuota: 1_000_000,
      recordingSampleRate: 0,
      recordingDailyQuota: LIMITS.recording.defaultDailyQuota,
      maskAllText: false,
      recordingConsent: "opt-out",
      heatmaps: true,
    });
    expect(site).toMatchObject({
      timeZone: "UTC",
      hashRoutes: true,
      recordingSampleRate: 0,
      recordingDailyQuota: LIMITS.recording.defaultDailyQuota,
      recordingRetentionDays: LIMITS.recording.defaultRetentionDays,
      maskAllText: false,
      recordingConsent: "opt-out",
    });
  });

  it("pages through sites with a cursor", async () => {
    const cookie = await ownerCookie();
    await createSite(cookie, "A");
    await createSite(cookie, "B");
    const first = await api("/v1/sites?limit=1", { cookie });
    const page1 = (await expectMatchesDocument("GET", "/v1/sites", first)) as {
      items: { id: string }[];
      nextCursor: string;
    };
    expect(page1.items).toHaveLength(1);
    expect(page1.nextCursor).toBe(page1.items[0]?.id);
    const second = await api(`/v1/sites?limit=1&cursor=${page1.nextCursor}`, { cookie });
    const page2 = (await second.json()) as { items: { id: string }[] };
    expect(page2.items[0]?.id).not.toBe(page1.items[0]?.id);
    expect((await api("/v1/sites?limit=101", { cookie })).status).toBe(400);
  });

  it("updates settings and the edge record together, and deletes both", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie);
    const patch = await api(`/v1/sites/${site.id}`, {
      method: "PATCH",
      cookie,
      json: { origins: ["https://new.example"], retentionDays: 30 },
    });
    const updated = (await expectMatchesDocument("PATCH", "/v1/sites/{siteId}", patch)) as Record<string, unknown>;
    expect(updated).toMatchObject({ name: "Shop", origins: ["https://new.example"], retentionDays: 30 });
    // Only what was sent changes.
    expect(updated).toMatchObject({ recordingSampleRate: 0, maskAllText: false });
    expect(await edge().getSite(site.key)).toMatchObject({ origins: ["https://new.example"] });

    const noHash = await api(`/v1/sites/${site.id}`, { method: "PATCH", cookie, json: { hashRoutes: false } });
    expect(await expectMatchesDocument("PATCH", "/v1/sites/{siteId}", noHash)).toMatchObject({ hashRoutes: false });
    expect(await edge().getSite(site.key)).toMatchObject({ hashRoutes: false, origins: ["https://new.example"] });

    const noHeat = await api(`/v1/sites/${site.id}`, { method: "PATCH", cookie, json: { heatmaps: false } });
    expect(await expectMatchesDocument("PATCH", "/v1/sites/{siteId}", noHeat)).toMatchObject({ heatmaps: false });
    expect(await edge().getSite(site.key)).toMatchObject({ heatmaps: false, hashRoutes: false });
    expect((await api(`/v1/sites/${site.id}`, { method: "PATCH", cookie, json: { heatmaps: "no" } })).status).toBe(400);
    expect(await (await api(`/v1/sites/${site.id}`, { cookie })).json()).toMatchObject({ hashRoutes: false });

    // A hot site gets more aggregator shards; the edge splits its sessions over them.
    const sharded = await api(`/v1/sites/${site.id}`, { method: "PATCH", cookie, json: { shards: 4 } });
    expect(await expectMatchesDocument("PATCH", "/v1/sites/{siteId}", sharded)).toMatchObject({ shards: 4 });
    expect(await edge().getSite(site.key)).toMatchObject({ shards: 4 });
    const tooMany = await api(`/v1/sites/${site.id}`, {
      method: "PATCH",
      cookie,
      json: { shards: LIMITS.aggregate.maxShardsPerSite + 1 },
    });
    expect(tooMany.status).toBe(400);
    expect(await edge().getSite(site.key)).toMatchObject({ shards: 4 });

    const { db: d, close } = db();
    try {
      await d.insert(schema.quotaDays).values({ siteId: site.id, day: "2026-11-20", reachedAt: new Date() });
      expect((await api(`/v1/sites/${site.id}`, { method: "DELETE", cookie })).status).toBe(204);
      expect(await d.select().from(schema.quotaDays).where(eq(schema.quotaDays.siteId, site.id))).toEqual([]);
    } finally {
      await close();
    }
    expect(await edge().getSite(site.key)).toBeNull();
    const gone = await api(`/v1/sites/${site.id}`, { cookie });
    expect(gone.status).toBe(404);
    await expectMatchesDocument("GET", "/v1/sites/{siteId}", gone);
  });

  it("takes the recording settings, publishes those the edge needs, and refuses out-of-range ones", async () => {
    const cookie = await ownerCookie();
    const created = await api("/v1/sites", {
      method: "POST",
      cookie,
      json: { name: "Recorded", origins: [], recordingSampleRate: 0.25, recordingRetentionDays: 7 },
    });
    const site = (await expectMatchesDocument("POST", "/v1/sites", created)) as { id: string; key: string };
    expect(site).toMatchObject({ recordingSampleRate: 0.25, recordingRetentionDays: 7, maskAllText: false });
    expect(await edge().getSite(site.key)).toMatchObject({ recordingSampleRate: 0.25 });

    const url = `/v1/sites/${site.id}`;
    const changes = {
      recordingSampleRate: 1,
      recordingDailyQuota: 500,
      recordingRetentionDays: 90,
      maskAllText: true,
      recordingConsent: "opt-in",
    };
    const patched = await api(url, { method: "PATCH", cookie, json: changes });
    expect(await expectMatchesDocument("PATCH", "/v1/sites/{siteId}", patched)).toMatchObject(changes);
    expect(await edge().getSite(site.key)).toMatchObject({
      recordingSampleRate: 1,
      recordingDailyQuota: 500,
      maskAllText: true,
      recordingConsent: "opt-in",
    });
    expect(await (await api(url, { cookie })).json()).toMatchObject(changes);
    const off = await api(url, { method: "PATCH", cookie, json: { recordingSampleRate: 0, recordingDailyQuota: 0 } });
    expect(await off.json()).toMatchObject({
      recordingSampleRate: 0,
      recordingDailyQuota: 0,
      maskAllText: true,
      recordingConsent: "opt-in",
    });
    expect(await edge().getSite(site.key)).toMatchObject({ recordingSampleRate: 0, recordingDailyQuota: 0 });
    const optOut = await api(url, { method: "PATCH", cookie, json: { recordingConsent: "opt-out" } });
    expect(await optOut.json()).toMatchObject({ recordingConsent: "opt-out" });
    expect(await edge().getSite(site.key)).toMatchObject({ recordingConsent: "opt-out" });

    for (const json of [
      { recordingSampleRate: -0.1 },
      { recordingSampleRate: 1.01 },
      { recordingSampleRate: "0.5" },
      { recordingDailyQuota: -1 },
      { recordingDailyQuota: 1.5 },
      { recordingDailyQuota: LIMITS.recording.maxDailyQuota + 1 },
      { recordingRetentionDays: 0 },
      { recordingRetentionDays: LIMITS.recording.maxRetentionDays + 1 },
      { maskAllText: "true" },
      { recordingConsent: "opt_in" },
      { recordingConsent: true },
      { recordingConsent: null },
    ]) {
      const res = await api(url, { method: "PATCH", cookie, json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(((await expectMatchesDocument("PATCH", "/v1/sites/{siteId}", res)) as ErrorShape).error.code).toBe(
        "VALIDATION_FAILED",
      );
    }
    // Rates finer than 1/10,000 round (the hostile test's 5e-324 underflowed real).
    const fine = await api(url, { method: "PATCH", cookie, json: { recordingSampleRate: 5e-324 } });
    expect(await fine.json()).toMatchObject({ recordingSampleRate: 0 });
    const third = await api(url, { method: "PATCH", cookie, json: { recordingSampleRate: 1 / 3 } });
    expect(await third.json()).toMatchObject({ recordingSampleRate: 0.3333 });
    const atBounds = {
      recordingRetentionDays: LIMITS.recording.maxRetentionDays,
      recordingDailyQuota: LIMITS.recording.maxDailyQuota,
    };
    expect(await (await api(url, { method: "PATCH", cookie, json: atBounds })).json()).toMatchObject(atBounds);
    expect(await edge().getSite(site.key)).toMatchObject({ recordingDailyQuota: LIMITS.recording.maxDailyQuota });
  });

  it("keeps a time zone as its IANA name, and refuses anything else", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie);
    const set = (timeZone: unknown) => api(`/v1/sites/${site.id}`, { method: "PATCH", cookie, json: { timeZone } });
    const berlin = await set("europe/berlin");
    expect(await expectMatchesDocument("PATCH", "/v1/sites/{siteId}", berlin)).toMatchObject({
      timeZone: "Europe/Berlin",
    });
    const created = await api("/v1/sites", {
      method: "POST",
      cookie,
      json: { name: "Tokyo", origins: [], timeZone: "Asia/Tokyo", hashRoutes: false },
    });
    expect(await expectMatchesDocument("POST", "/v1/sites", created)).toMatchObject({
      timeZone: "Asia/Tokyo",
      hashRoutes: false,
    });

    const bad = [
      "Mars/Olympus_Mons",
      // An offset, which Intl may take but Postgres reads with its sign reversed.
      "+05:00",
      "UTC+1",
      "Europe/Berlin'; drop table sites; --",
      `Europe/${"x".repeat(60)}`,
      "",
      42,
      null,
    ];
    for (const tz of bad) {
      const res = await set(tz);
      expect(res.status, JSON.stringify(tz)).toBe(400);
      const body = (await expectMatchesDocument("PATCH", "/v1/sites/{siteId}", res)) as ErrorShape;
      expect(body.error.code).toBe("VALIDATION_FAILED");
      expect(body.error.message).toContain("timeZone");
    }
    expect(await (await api(`/v1/sites/${site.id}`, { cookie })).json()).toMatchObject({ timeZone: "Europe/Berlin" });
  });

  it("enforces each setting at exactly the LIMITS value the dashboard's forms show", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Edges");
    const A = LIMITS.api;
    const R = LIMITS.recording;
    const edges: [string, unknown, unknown][] = [
      ["name", "n".repeat(A.maxNameLength), "n".repeat(A.maxNameLength + 1)],
      ["dailyEventQuota", A.maxDailyEventQuota, A.maxDailyEventQuota + 1],
      ["retentionDays", A.maxRetentionDays, A.maxRetentionDays + 1],
      ["recordingDailyQuota", R.maxDailyQuota, R.maxDailyQuota + 1],
      ["recordingRetentionDays", R.maxRetentionDays, R.maxRetentionDays + 1],
    ];
    for (const [field, at, past] of edges) {
      const ok = await api(`/v1/sites/${site.id}`, { method: "PATCH", cookie, json: { [field]: at } });
      expect(ok.status, `${field} at its limit`).toBe(200);
      const refused = await api(`/v1/sites/${site.id}`, { method: "PATCH", cookie, json: { [field]: past } });
      expect(refused.status, `${field} past its limit`).toBe(400);
    }
  });

  it("refuses invalid settings with VALIDATION_FAILED and changes nothing", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie);
    const cases = [
      { name: "", origins: [] },
      { name: "x".repeat(101), origins: [] },
      { name: "ok", origins: ["https://a.example/path"] },
      { name: "ok", origins: Array.from({ length: 51 }, (_, i) => `https://s${i}.example`) },
      { name: "ok", origins: [], retentionDays: 3651 },
      { name: "ok", origins: [], timeZone: "Nowhere/Special" },
      { name: "ok", origins: [], hashRoutes: "yes" },
    ];
    for (const json of cases) {
      const res = await api("/v1/sites", { method: "POST", cookie, json });
      expect(res.status, JSON.stringify(json).slice(0, 80)).toBe(400);
      expect(((await res.json()) as ErrorShape).error.code).toBe("VALIDATION_FAILED");
    }
    const bad = await api(`/v1/sites/${site.id}`, { method: "PATCH", cookie, json: { retentionDays: 0 } });
    expect(bad.status).toBe(400);
    const unknownField = await api(`/v1/sites/${site.id}`, { method: "PATCH", cookie, json: { key: "mine" } });
    expect(unknownField.status).toBe(400);
    const after = (await (await api(`/v1/sites/${site.id}`, { cookie })).json()) as {
      retentionDays: number;
      key: string;
    };
    expect(after).toMatchObject({ retentionDays: 365, key: site.key });
  });

  it("takes bodies only as JSON and at most LIMITS.api.maxBodyBytes, and reads no body as no change", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie);
    const url = `/v1/sites/${site.id}`;
    const noBody = await api(url, { method: "PATCH", cookie });
    expect(noBody.status).toBe(200);
    expect(await noBody.json()).toMatchObject({ name: site.name, key: site.key });
    for (const method of ["POST", "PATCH"]) {
      const path = method === "POST" ? "/v1/sites" : url;
      const asText = await api(path, {
        method,
        cookie,
        body: '{"name":"plain"}',
        headers: { "content-type": "text/plain" },
      });
      expect(asText.status).toBe(415);
      expect(((await asText.json()) as ErrorShape).error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
      const untyped = await api(path, { method, cookie, body: new TextEncoder().encode('{"name":"untyped"}') });
      expect(untyped.status).toBe(415);
      const justOver = { name: "big", origins: [], pad: "x".repeat(LIMITS.api.maxBodyBytes) };
      const big = await api(path, { method, cookie, json: justOver });
      expect(big.status).toBe(413);
      expect(((await big.json()) as ErrorShape).error.code).toBe("PAYLOAD_TOO_LARGE");
    }
    const atLimit = await api(url, { method: "PATCH", cookie, json: { name: "x".repeat(100) } });
    expect(atLimit.status).toBe(200);
    const noPost = await api("/v1/sites", { method: "POST", cookie });
    expect(noPost.status).toBe(400);
    expect(((await noPost.json()) as ErrorShape).error.code).toBe("VALIDATION_FAILED");
    expect(await (await api(url, { cookie })).json()).toMatchObject({ name: "x".repeat(100) });
  });
});
