/** Collect batches as the tracker sends them (packages/shared/src/wire). */
import { uuidv7 } from "@sightline/shared/ids";
import type { CollectBatch } from "@sightline/shared/wire";

export const BENCH_ORIGIN = "https://bench.sightline.test";

/** A fresh, valid site key (8-32 of [A-Za-z0-9_-]). */
export function benchSiteKey(prefix: string): string {
  return `${prefix}_${uuidv7().replaceAll("-", "").slice(-16)}`;
}

/**
 * One batch sent at `now`, its events 50 ms apart before it. Each id is minted from its
 * event's time, as the tracker mints them.
 */
export function collectBody(siteKey: string, sessionId: string, paths: string[], now = Date.now()): string {
  const batch: CollectBatch = {
    v: 1,
    siteKey,
    sessionId,
    sentAt: now,
    events: paths.map((path, i) => {
      const ts = now - (paths.length - i) * 50;
      return {
        type: "pageview",
        id: uuidv7(ts),
        ts,
        url: `${BENCH_ORIGIN}${path}?utm_source=bench`,
        referrer: "https://www.example.com/",
        title: `Bench page ${path}`,
      };
    }),
  };
  return JSON.stringify(batch);
}

/**
 * A collect request's headers as the worker sees them in production: what sendBeacon sends
 * with a string body from a desktop Chrome page, and what Cloudflare's edge adds to every
 * request before the worker (client IP, the country where IP Geolocation is on, the ray id).
 */
export const COLLECT_HEADERS: Record<string, string> = {
  "Content-Type": "text/plain;charset=UTF-8",
  Origin: BENCH_ORIGIN,
  "User-Agent":
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "CF-Connecting-IP": "203.0.113.7",
  "CF-IPCountry": "DE",
  "CF-Ray": "8e7f6a5b4c3d2e1f-FRA",
};
