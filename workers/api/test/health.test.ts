import { env, SELF } from "cloudflare:test";
import { LIMITS } from "@sightline/shared/limits";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index.ts";

const ctx = { waitUntil: () => undefined, passThroughOnException: () => undefined, props: {} };
const ready = (e: Env) => worker.fetch(new Request("https://api.test/ready"), e, ctx as unknown as ExecutionContext);

describe("api health and readiness", () => {
  it("is alive and ready when Postgres answers", async () => {
    expect(await (await SELF.fetch("https://api.test/health")).json()).toEqual({
      status: "ok",
      service: "api",
      maintenance: { on: false, since: 0 },
    });
    const ready = await SELF.fetch("https://api.test/ready");
    expect(ready.status).toBe(200);
    expect(ready.headers.get("server-timing")).toMatch(/^db;dur=\d+$/);
  });

  it("answers 503 SERVICE_UNAVAILABLE with Retry-After when Postgres is down", async () => {
    const down = { ...env, DATABASE_URL: "postgresql://postgres@127.0.0.1:1/none" };
    const ctx = { waitUntil: () => undefined, passThroughOnException: () => undefined, props: {} };
    const res = await worker.fetch(new Request("https://api.test/ready"), down, ctx as unknown as ExecutionContext);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    const body = (await res.json()) as { error: { code: string } };
    expect(body.error.code).toBe("SERVICE_UNAVAILABLE");
  });

  it("answers a misconfigured environment with BAD_ENVIRONMENT, naming no value", async () => {
    const bad = { ...env, DATABASE_URL: "mysql://secret-value@host/db" };
    const ctx = { waitUntil: () => undefined, passThroughOnException: () => undefined, props: {} };
    const res = await worker.fetch(new Request("https://api.test/health"), bad, ctx as unknown as ExecutionContext);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text).error.code).toBe("BAD_ENVIRONMENT");
    expect(text).toContain("DATABASE_URL");
    expect(text).not.toContain("secret-value");
  });

  afterEach(() => vi.restoreAllMocks());

  it("probes Postgres at most once per readyCacheMs per isolate, up or down", async () => {
    // Keys of their own (the same database, spelled apart), so no earlier probe answers.
    const up = { ...env, DATABASE_URL: env.DATABASE_URL.replace(/^postgresql:/, "postgres:") };
    const down = { ...env, DATABASE_URL: "postgres://postgres@127.0.0.1:1/ready-probe" };
    for (const [e, status] of [
      [up, 200],
      [down, 503],
    ] as const) {
      const first = await ready(e);
      expect(first.status).toBe(status);
      expect(first.headers.get("age")).toBeNull();
      const again = await Promise.all(Array.from({ length: 10 }, () => ready(e)));
      for (const res of again) {
        expect(res.status).toBe(status);
        // The first probe's answer: its age and its own timing, no new connection.
        expect(res.headers.get("age")).toMatch(/^\d+$/);
        expect(res.headers.get("server-timing")).toBe(first.headers.get("server-timing"));
      }
      const now = Date.now();
      vi.spyOn(Date, "now").mockReturnValue(now + LIMITS.api.readyCacheMs + 1);
      const later = await ready(e);
      expect(later.status).toBe(status);
      expect(later.headers.get("age")).toBeNull();
      vi.restoreAllMocks();
    }
  });
});
