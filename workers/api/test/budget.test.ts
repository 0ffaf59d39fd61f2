/**
 * The request budgets of the API: a caller's own (per token or session), spent once per
 * request, and its client address's, spent before any credential is looked up.
 */
import { env } from "cloudflare:test";
import { hashSecret } from "@sightline/core/auth";
import { LIMITS } from "@sightline/shared/limits";
import { describe, expect, it, vi } from "vitest";
import { apiEnv } from "../src/env.ts";
import { readCache } from "../src/lib/read-cache.ts";
import { createRateLimiter } from "../src/ratelimit/index.ts";
import { api, createSite, createToken, type ErrorShape, ownerCookie, randomAddress } from "./helpers.ts";

const MINUTE = 60_000;

/**
 * Spends `n` units of a budget through the worker's own limiter (same store, prefix and key as
 * the middleware), so a test reaches the edge of a budget without hundreds of full requests.
 */
async function prespend(prefix: string, limit: number, key: string, n: number) {
  const limiter = createRateLimiter(env, { limit, windowMs: MINUTE }, { prefix: `sightline:${prefix}` });
  for (let i = 0; i < n; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => limiter.limit(key)));
  }
}

const RANGE = "from=2026-11-20T00:00:00Z&to=2026-11-22T00:00:00Z";

/** `n` requests, `concurrency` at a time, as a busy script would send them. */
async function burst(n: number, concurrency: number, send: (i: number) => Promise<Response>) {
  const out: Response[] = [];
  for (let i = 0; i < n; i += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, n - i) }, (_, j) => send(i + j));
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

describe("a caller's budget", () => {
  it("answers only 200s and 429s (with Retry-After) to a token that spends it all, never a 5xx", async () => {
    const owner = await ownerCookie();
    const site = await createSite(owner, "Budget");
    const created = await api("/v1/tokens", { method: "POST", cookie: owner, json: { name: "b", scopes: ["read"] } });
    const { token, item } = (await created.json()) as { token: string; item: { id: string } };
    const limit = LIMITS.api.requestsPerMinute;
    const left = 20;
    await prespend("api", limit, item.id, limit - left);

    const headers = { "cf-connecting-ip": randomAddress() };
    const paths = ["/v1/sites", `/v1/sites/${site.id}`, "/v1/me", `/v1/sites/${site.id}/stats/pages?${RANGE}`];
    const responses = await burst(4 * left, 10, (i) => api(paths[i % paths.length] as string, { token, headers }));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    const limited = responses.filter((r) => r.status === 429);
    // A sliding window: a request may pass a little past the count as the window moves on.
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(left);
    expect(limited.length).toBeGreaterThan(left);
    for (const res of limited) {
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(((await res.json()) as ErrorShape).error.code).toBe("RATE_LIMITED");
    }
  });

  it("is spent once per request, whichever routes' paths overlap (one lookup, one unit)", async () => {
    const owner = await ownerCookie();
    const token = await createToken(owner, ["read", "write"]);
    const headers = { "cf-connecting-ip": randomAddress() };
    const created = await api("/v1/sites", { method: "POST", token, headers, json: { name: "Once", origins: [] } });
    expect(created.status).toBe(201);
    const remaining = (res: Response) => Number(res.headers.get("x-ratelimit-remaining"));
    const limit = LIMITS.api.requestsPerMinute;
    expect(remaining(created)).toBe(limit - 1);
    const { id } = (await created.json()) as { id: string };
    const stats = await api(`/v1/sites/${id}/stats/pages?${RANGE}`, { token, headers });
    expect(stats.status).toBe(200);
    expect(remaining(stats)).toBe(limit - 2);
    const patched = await api(`/v1/sites/${id}`, { method: "PATCH", token, headers, json: { name: "Twice" } });
    expect(patched.status).toBe(200);
    expect(remaining(patched)).toBe(limit - 3);
    const tokens = await api("/v1/tokens", { token, headers });
    expect(tokens.status).toBe(403);
    expect(remaining(tokens)).toBe(limit - 4);
  });
});

describe("a client address's budget", () => {
  it("limits callers without valid credentials before any lookup", async () => {
    const address = randomAddress();
    const headers = { "cf-connecting-ip": address };
    const limit = LIMITS.api.requestsPerMinutePerAddress;
    const left = 6;
    await prespend("api:address", limit, address, limit - left);
    // Requests without credentials, or with malformed ones, spend the address's budget.
    const anonymous = await burst(left, left, (i) =>
      api(i % 2 ? "/v1/sites" : "/v1/me", { headers: i % 3 ? headers : { ...headers, authorization: "Bearer x" } }),
    );
    expect(anonymous.map((r) => r.status)).toEqual(Array(left).fill(401));

    // Spent: a random token is refused before it is looked up, and so is a valid one.
    const owner = await ownerCookie();
    const valid = await createToken(owner, ["read"]);
    for (const token of [`sl_${"x".repeat(43)}`, valid]) {
      const res = await api("/v1/me", { token, headers });
      expect(res.status).toBe(429);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(((await res.json()) as ErrorShape).error.code).toBe("RATE_LIMITED");
    }
    // Another address is not affected.
    expect((await api("/v1/me", { token: valid, headers: { "cf-connecting-ip": randomAddress() } })).status).toBe(200);
  });

  it("keeps no cache entry for a credential that matched nothing", async () => {
    const cache = readCache(apiEnv(env));
    const owner = await ownerCookie();
    const valid = await createToken(owner, ["read"]);
    const random = `sl_${crypto.randomUUID().replaceAll("-", "")}xyz`;
    expect((await api("/v1/me", { token: random })).status).toBe(401);
    expect((await api("/v1/me", { token: valid })).status).toBe(200);
    // The valid token's identity is written after the answer; by then the random one's would be too.
    const kept = await vi.waitFor(
      async () => {
        const hit = await cache.get(`auth:token:${await hashSecret(valid)}`);
        expect(hit).not.toBeNull();
        return hit;
      },
      { timeout: 5_000, interval: 50 },
    );
    expect(Date.now() - (kept?.storedAt ?? 0)).toBeLessThan(LIMITS.api.identityCacheMs);
    expect(await cache.get(`auth:token:${await hashSecret(random)}`)).toBeNull();
  });
});
