/** Collect batches as the tracker sends them (packages/shared/src/wire). */
import { uuidv7 } from "@sightline/shared/ids";
import type { CollectBatch, WireEvent } from "@sightline/shared/wire";

export const BENCH_ORIGIN = "https://bench.sightline.test";

/** A fresh, valid site key (8-32 of [A-Za-z0-9_-]). */
export function benchSiteKey(prefix: string): string {
  return `${prefix}_${uuidv7().replaceAll("-", "").slice(-16)}`;
}

/**
 * One batch sent at `now`, its events 50 ms apart before it. Each id is minted from its
 * event's time, as the tracker mints them. With `clicks`, every other event is a click on the
 * page before it as the core tracker sends one (a selector, the position in the element and
 * on the page, the viewport width), every fifth click marked rage, and the last event is the
 * page's scroll depth.
 */
export function collectBody(
  siteKey: string,
  sessionId: string,
  paths: string[],
  now = Date.now(),
  { clicks = false } = {},
): string {
  const batch: CollectBatch = {
    v: 1,
    siteKey,
    sessionId,
    sentAt: now,
    events: paths.map((path, i): WireEvent => {
      const ts = now - (paths.length - i) * 50;
      const url = `${BENCH_ORIGIN}${path}?utm_source=bench`;
      if (clicks && i === paths.length - 1) return { type: "scroll", id: uuidv7(ts), ts, url, depth: 0.62, vw: 1440 };
      if (clicks && i % 2 === 1) {
        const click: WireEvent = {
          type: "click",
          id: uuidv7(ts),
          ts,
          url,
          sel: `main>section:nth-of-type(${(i % 3) + 1})>button.cta`,
          ex: 0.41,
          ey: 0.57,
          x: 612 + i,
          y: 1210 + i,
          vw: 1440,
        };
        return i % 10 === 9 ? { ...click, rage: true } : click;
      }
      return {
        type: "pageview",
        id: uuidv7(ts),
        ts,
        url,
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
