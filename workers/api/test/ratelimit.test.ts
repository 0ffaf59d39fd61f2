import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { RateLimiter, RateLimitRule } from "@sightline/core/ratelimit";
import { Redis } from "@upstash/redis/cloudflare";
import { describe, expect, inject, it, vi } from "vitest";
import {
  createRateLimiter,
  durableObjectRateLimiter,
  rateLimitBackend,
  upstashRateLimiter,
} from "../src/ratelimit/index.ts";

// Provided by test/support/upstash-setup.ts (which declares the same; it is outside this tsconfig).
declare module "vitest" {
  interface ProvidedContext {
    upstashUrl: string;
    upstashToken: string;
    upstashPrefix: string;
  }
}

const upstashUrl = inject("upstashUrl");
const upstashToken = inject("upstashToken");
const runPrefix = inject("upstashPrefix");
const hasRedis = upstashUrl !== "";

// Long enough that a burst never straddles two windows, which would let one more through.
const HOUR = 60 * 60 * 1000;
const unique = (what: string) => `${runPrefix}:${what}:${crypto.randomUUID()}`;

const backends: { name: string; skip: boolean; make: (rule: RateLimitRule, prefix: string) => RateLimiter }[] = [
  {
    name: "Upstash (local REST server over Redis)",
    skip: !hasRedis,
    make: (rule, prefix) => upstashRateLimiter({ url: upstashUrl, token: upstashToken, rule, prefix }),
  },
  {
    name: "Durable Object",
    skip: false,
    make: (rule, prefix) => durableObjectRateLimiter(env.RATE_LIMITER, rule, { prefix }),
  },
];

async function times(limiter: RateLimiter, key: string, n: number) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await limiter.limit(key));
  return out;
}

for (const backend of backends) {
  describe.skipIf(backend.skip)(`rate limiter on ${backend.name}`, () => {
    it("allows up to the limit, then refuses with remaining 0 and a reset in the future", async () => {
      const limiter = backend.make({ limit: 3, windowMs: HOUR }, unique("limit"));
      const results = await times(limiter, "tok_a", 5);
      expect(results.map((r) => r.success)).toEqual([true, true, true, false, false]);
      expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0, 0]);
      for (const r of results) {
        expect(r.limit).toBe(3);
        expect(r.resetMs).toBeGreaterThan(Date.now());
        expect(r.resetMs).toBeLessThanOrEqual(Date.now() + HOUR);
        expect(r.failedOpen).toBeUndefined();
      }
    });

    it("keeps keys independent", async () => {
      const limiter = backend.make({ limit: 2, windowMs: HOUR }, unique("keys"));
      expect((await times(limiter, "tok_a", 3)).map((r) => r.success)).toEqual([true, true, false]);
      const other = await limiter.limit("tok_b");
      expect(other).toMatchObject({ success: true, remaining: 1 });
      expect((await limiter.limit("tok_a")).success).toBe(false);
    });

    it("keeps rules with different prefixes apart", async () => {
      const a = backend.make({ limit: 1, windowMs: HOUR }, unique("rule-a"));
      const b = backend.make({ limit: 1, windowMs: HOUR }, unique("rule-b"));
      expect((await a.limit("tok")).success).toBe(true);
      expect((await a.limit("tok")).success).toBe(false);
      expect((await b.limit("tok")).success).toBe(true);
    });

    it("lets a refused key through again once its window has passed", async () => {
      const limiter = backend.make({ limit: 2, windowMs: 1_000 }, unique("recover"));
      // A burst crossing a window edge may get one extra through; count until refused.
      let askedAt = Date.now();
      let refused = await limiter.limit("tok");
      for (let i = 0; i < 10 && refused.success; i++) {
        askedAt = Date.now();
        refused = await limiter.limit("tok");
      }
      expect(refused.success).toBe(false);
      expect(refused.remaining).toBe(0);
      // Later than the moment it was asked (not than now: the window may end in between).
      expect(refused.resetMs).toBeGreaterThan(askedAt);
      // The sliding window frees capacity at most two windows after the burst.
      const again = await vi.waitFor(
        async () => {
          const r = await limiter.limit("tok");
          expect(r.success).toBe(true);
          return r;
        },
        { timeout: 5_000, interval: 100 },
      );
      expect(again.limit).toBe(2);
    });
  });
}

describe("createRateLimiter", () => {
  const rule = { limit: 2, windowMs: HOUR };

  it("uses the Durable Object without Upstash settings", async () => {
    const prefix = unique("factory-do");
    const bare = { RATE_LIMITER: env.RATE_LIMITER, UPSTASH_REDIS_REST_URL: "", UPSTASH_REDIS_REST_TOKEN: "" };
    expect(rateLimitBackend(bare)).toBe("durable-object");
    expect(await createRateLimiter(bare, rule, { prefix }).limit("tok")).toMatchObject({ success: true, remaining: 1 });
    // The same counter, seen through the Durable Object directly.
    const direct = durableObjectRateLimiter(env.RATE_LIMITER, rule, { prefix });
    expect(await direct.limit("tok")).toMatchObject({ success: true, remaining: 0 });
  });

  it.skipIf(!hasRedis)("uses Upstash when its URL and token are set", async () => {
    const prefix = unique("factory-upstash");
    const withUpstash = {
      RATE_LIMITER: env.RATE_LIMITER,
      UPSTASH_REDIS_REST_URL: upstashUrl,
      UPSTASH_REDIS_REST_TOKEN: upstashToken,
    };
    expect(rateLimitBackend(withUpstash)).toBe("upstash");
    expect(await createRateLimiter(withUpstash, rule, { prefix }).limit("tok")).toMatchObject({ remaining: 1 });
    const direct = upstashRateLimiter({ url: upstashUrl, token: upstashToken, rule, prefix });
    expect(await direct.limit("tok")).toMatchObject({ success: true, remaining: 0 });
  });

  it.skipIf(!hasRedis)("fails open, marked and reported, when the store refuses it", async () => {
    const errors: unknown[] = [];
    const wrongToken = {
      RATE_LIMITER: env.RATE_LIMITER,
      UPSTASH_REDIS_REST_URL: upstashUrl,
      UPSTASH_REDIS_REST_TOKEN: "not-the-token",
    };
    const limiter = createRateLimiter(wrongToken, rule, { prefix: unique("fail"), onError: (e) => errors.push(e) });
    expect(await limiter.limit("tok")).toMatchObject({ success: true, remaining: 2, failedOpen: "error" });
    expect(String(errors[0])).toContain("Unauthorized");
  });
});

describe("rate limiter Durable Object", () => {
  it("drops a key's state once its window has expired", async () => {
    const name = unique("cleanup");
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(name));
    expect((await stub.limit(name, { limit: 5, windowMs: 200 })).success).toBe(true);
    const tables = () =>
      runInDurableObject(
        stub,
        (_obj, state) =>
          state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'windows'").toArray().length,
      );
    expect(await tables()).toBe(1);
    // The alarm is set for two windows on; it fires by itself, or here once that time has passed.
    await vi.waitFor(
      async () => {
        await runDurableObjectAlarm(stub);
        expect(await tables()).toBe(0);
      },
      { timeout: 5_000, interval: 200 },
    );
    // A fresh count afterwards.
    expect(await stub.limit(name, { limit: 5, windowMs: 200 })).toMatchObject({ success: true, remaining: 4 });
  });
});

describe.skipIf(!hasRedis)("local Upstash REST server", () => {
  it("refuses a wrong or missing token with 401 on every path", async () => {
    for (const path of ["/", "/pipeline", "/multi-exec", "/unknown"]) {
      for (const headers of [{ authorization: "Bearer wrong" }, {} as Record<string, string>]) {
        const res = await fetch(`${upstashUrl}${path}`, { method: "POST", headers, body: JSON.stringify(["ping"]) });
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(await res.json()).toEqual({ error: "Unauthorized" });
      }
    }
  });

  it("speaks Upstash's protocol: base64 results, pipelines, transactions and errors", async () => {
    const redis = new Redis({ url: upstashUrl, token: upstashToken, enableTelemetry: false });
    const key = unique("proto");
    expect(await redis.set(key, "héllo ✓ OK")).toBe("OK");
    expect(await redis.get(key)).toBe("héllo ✓ OK");
    expect(await redis.get(`${key}:missing`)).toBeNull();
    await redis.hset(`${key}:h`, { a: "1", b: "x" });
    expect(await redis.hgetall(`${key}:h`)).toEqual({ a: 1, b: "x" });
    const p = redis.pipeline();
    p.incr(`${key}:n`);
    p.hget(key, "wrong-type");
    p.incr(`${key}:n`);
    const piped = await p.exec({ keepErrors: true });
    expect(piped.map((r) => r.result ?? null)).toEqual([1, null, 2]);
    expect(piped[1]?.error).toContain("WRONGTYPE");
    const tx = redis.multi();
    tx.incr(`${key}:m`);
    tx.set(`${key}:s`, "OK");
    tx.get(`${key}:s`);
    expect(await tx.exec()).toEqual([1, "OK", "OK"]);
    await expect(redis.hget(key, "x")).rejects.toThrow(/WRONGTYPE/);
    await redis.del(key, `${key}:h`, `${key}:n`, `${key}:m`, `${key}:s`);
  });
});
