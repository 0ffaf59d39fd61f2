/** Postgres down: reads answer from the read cache marked stale; writes answer 503. */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, inject, it, vi } from "vitest";
import worker from "../src/index.ts";
import { api, BASE, createSite, type ErrorShape, ownerCookie } from "./helpers.ts";

const DOWN_URL = "postgresql://postgres@127.0.0.1:1/unreachable";
const upstash = { UPSTASH_REDIS_REST_URL: inject("upstashUrl"), UPSTASH_REDIS_REST_TOKEN: inject("upstashToken") };

/** The same outage, with the read cache in the edge cache and, when Redis is here, in Upstash. */
const backends = [
  { name: "the edge cache", up: env, skip: false },
  { name: "Upstash", up: { ...env, ...upstash } as Env, skip: !upstash.UPSTASH_REDIS_REST_URL },
];

async function fetchWith(e: Env, path: string, init: RequestInit) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, init), e, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe.each(backends)("when Postgres is down, with $name", ({ up, skip }) => {
  const down = { ...up, DATABASE_URL: DOWN_URL } as Env;
  it.skipIf(skip)("serves the last good read marked stale, and refuses writes with 503 and Retry-After", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Outage");
    const headers = { cookie };
    const fresh = await fetchWith(up, `/v1/sites/${site.id}`, { headers });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get("x-sightline-stale")).toBeNull();
    const freshBody = await fresh.json();

    const stale = await vi.waitFor(
      async () => {
        const res = await fetchWith(down, `/v1/sites/${site.id}`, { headers });
        expect(res.status).toBe(200);
        return res;
      },
      { timeout: 10_000, interval: 200 },
    );
    expect(stale.headers.get("x-sightline-stale")).toBe("true");
    expect(await stale.json()).toEqual(freshBody);

    const write = await fetchWith(down, `/v1/sites/${site.id}`, {
      method: "PATCH",
      headers: { ...headers, origin: BASE, "content-type": "application/json" },
      body: JSON.stringify({ name: "Renamed" }),
    });
    expect(write.status).toBe(503);
    expect(write.headers.get("retry-after")).toBe("5");
    expect(((await write.json()) as ErrorShape).error.code).toBe("SERVICE_UNAVAILABLE");

    const neverRead = await fetchWith(
      down,
      `/v1/sites/${site.id}/stats/pages?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z`,
      {
        headers,
      },
    );
    expect(neverRead.status).toBe(503);
    expect(((await neverRead.json()) as ErrorShape).error.code).toBe("SERVICE_UNAVAILABLE");

    // Back up: fresh again, and the write goes through.
    expect((await api(`/v1/sites/${site.id}`, { method: "PATCH", cookie, json: { name: "Renamed" } })).status).toBe(
      200,
    );
  });

  it.skipIf(skip)("never answers a bare 500 to an unknown caller", async () => {
    const res = await fetchWith(down, "/v1/sites", { headers: { cookie: "__Host-sl_session=unknown-session-value" } });
    expect(res.status).toBe(503);
    expect(((await res.json()) as ErrorShape).error.code).toBe("SERVICE_UNAVAILABLE");
  });
});
