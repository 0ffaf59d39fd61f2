/**
 * The last good answer of each read, kept so the dashboard still shows data while Postgres
 * is down (marked stale). Upstash Redis backs it when configured (one copy for every
 * location); otherwise the edge cache (Cache API), which is per location.
 */
import { Redis } from "@upstash/redis/cloudflare";
import type { ApiEnv } from "../env.ts";
export interface ReadCache {
  get(key: string): Promise<{ value: unknown; storedAt: number } | null>;
  /** Kept `ttlSeconds` (default a week: a long outage still has something to show). */
  put(key: string, value: unknown, ttlSeconds?: number): Promise<void>;
  /** The edge cache forgets it in this location only; Upstash everywhere. */
  delete(key: string): Promise<void>;
}

const TTL_SECONDS = 7 * 24 * 3600;

export function edgeReadCache(): ReadCache {
  const cache = (globalThis as unknown as { caches: { default: Cache } }).caches.default;
  const url = (key: string) => `https://read-cache.sightline.internal/${encodeURIComponent(key)}`;
  return {
    async get(key) {
      const hit = await cache.match(url(key));
      if (!hit) return null;
      return { value: await hit.json(), storedAt: Number(hit.headers.get("x-stored-at") ?? 0) };
    },
    async put(key, value, ttlSeconds = TTL_SECONDS) {
      await cache.put(
        url(key),
        new Response(JSON.stringify(value), {
          headers: {
            "content-type": "application/json",
            "cache-control": `max-age=${ttlSeconds}`,
            "x-stored-at": String(Date.now()),
          },
        }),
      );
    },
    async delete(key) {
      await cache.delete(url(key));
    },
  };
}

export function upstashReadCache(url: string, token: string): ReadCache {
  const redis = new Redis({ url, token, enableTelemetry: false, automaticDeserialization: false });
  const k = (key: string) => `sightline:read:${key}`;
  return {
    async get(key) {
      const raw = await redis.get<string>(k(key));
      if (raw === null) return null;
      const parsed = JSON.parse(raw) as { value: unknown; storedAt: number };
      return parsed;
    },
    async put(key, value, ttlSeconds = TTL_SECONDS) {
      await redis.set(k(key), JSON.stringify({ value, storedAt: Date.now() }), { ex: ttlSeconds });
    },
    async delete(key) {
      await redis.del(k(key));
    },
  };
}

/** The read cache for this deployment: Upstash when both settings are present. */
export function readCache(env: ApiEnv): ReadCache {
  const { UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token } = env;
  return url && token ? upstashReadCache(url, token) : edgeReadCache();
}
