/**
 * The last good answer of each read, kept so the dashboard still shows data while Postgres
 * is down (marked stale). The edge cache (Cache API) backs it; it is per location, which
 * suits a fallback.
 */
export interface ReadCache {
  get(key: string): Promise<{ value: unknown; storedAt: number } | null>;
  put(key: string, value: unknown): Promise<void>;
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
    async put(key, value) {
      await cache.put(
        url(key),
        new Response(JSON.stringify(value), {
          headers: {
            "content-type": "application/json",
            "cache-control": `max-age=${TTL_SECONDS}`,
            "x-stored-at": String(Date.now()),
          },
        }),
      );
    },
  };
}
