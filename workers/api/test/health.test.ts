import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index.ts";

describe("api health and readiness", () => {
  it("is alive and ready when Postgres answers", async () => {
    expect(await (await SELF.fetch("https://api.test/health")).json()).toEqual({ status: "ok", service: "api" });
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
});
