import { SightlineError } from "@sightline/shared/errors";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { afterEach, describe, expect, it, vi } from "vitest";

interface ErrorJson {
  error: { code: string; message: string; requestId: string };
}
const errorOf = async (res: Response) => ((await res.json()) as ErrorJson).error;

import { onError, onNotFound } from "./errors.ts";
import { type RequestContextEnv, requestContext } from "./request-context.ts";

function app() {
  const a = new Hono<RequestContextEnv>();
  a.use(requestContext({ service: "test" }));
  a.get("/known", () => {
    throw new SightlineError("SERVICE_UNAVAILABLE", "Try later.", { retry: true });
  });
  a.get("/http", () => {
    throw new HTTPException(413, { message: "too big" });
  });
  a.get("/boom", () => {
    throw new Error("secret internals at db.ts:42");
  });
  a.onError(onError);
  a.notFound(onNotFound);
  return a;
}

describe("error shape", () => {
  const lines: string[] = [];
  afterEach(() => {
    lines.length = 0;
    vi.restoreAllMocks();
  });
  const capture = () => {
    vi.spyOn(console, "log").mockImplementation((l: string) => void lines.push(l));
    vi.spyOn(console, "error").mockImplementation((l: string) => void lines.push(l));
  };

  it("keeps a known error's code and retry hint", async () => {
    capture();
    const res = await app().request("/known");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    const body = await res.json();
    expect(body).toEqual({
      error: { code: "SERVICE_UNAVAILABLE", message: "Try later.", requestId: res.headers.get("x-request-id") },
    });
  });

  it("takes Cloudflare's ray id as the request id when there is one", async () => {
    capture();
    const res = await app().request("/known", { headers: { "cf-ray": "8f00aa11bb22cc33-AMS" } });
    expect(res.headers.get("x-request-id")).toBe("8f00aa11bb22cc33-AMS");
    expect((await errorOf(res)).requestId).toBe("8f00aa11bb22cc33-AMS");
  });

  it("maps HTTP exceptions and unknown routes", async () => {
    capture();
    const big = await app().request("/http");
    expect(big.status).toBe(413);
    expect((await errorOf(big)).code).toBe("PAYLOAD_TOO_LARGE");
    const missing = await app().request("/missing");
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).code).toBe("NOT_FOUND");
  });

  it("answers unknown errors with a generic 500 and logs them with the request id", async () => {
    capture();
    const res = await app().request("/boom");
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text).error.code).toBe("INTERNAL_ERROR");
    expect(text).not.toContain("secret internals");
    const logged = lines.map((l) => JSON.parse(l));
    const err = logged.find((l) => l.msg === "unhandled error");
    expect(err).toMatchObject({
      level: "error",
      errMessage: "secret internals at db.ts:42",
      requestId: res.headers.get("x-request-id"),
    });
    const access = logged.find((l) => l.msg === "request");
    expect(access).toMatchObject({ service: "test", status: 500, code: "INTERNAL_ERROR", route: "/boom" });
    expect(typeof access.ms).toBe("number");
  });
});

describe("Sentry", () => {
  afterEach(() => vi.restoreAllMocks());

  it("receives 5xx SightlineErrors and unknown errors, with the request id, and no 4xx", async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const sent: { url: string; body: string }[] = [];
    // Toucan's transport: one POST of an envelope to the DSN's project, captured here.
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      sent.push({ url: String(input instanceof Request ? input.url : input), body: String(init?.body ?? "") });
      return new Response("{}", { status: 200 });
    });
    const pending: Promise<unknown>[] = [];
    const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p), passThroughOnException() {}, props: {} };
    const env = { SENTRY_DSN: "http://public@127.0.0.1:9/1" };

    const known = await app().request("/known", {}, env, ctx);
    await app().request("/http", {}, env, ctx);
    const boom = await app().request("/boom", {}, env, ctx);
    await Promise.all(pending);

    expect(sent.map((s) => new URL(s.url).pathname)).toEqual(["/api/1/envelope/", "/api/1/envelope/"]);
    expect(sent[0]?.body).toContain("Try later.");
    expect(sent[0]?.body).toContain(known.headers.get("x-request-id") ?? "missing");
    expect(sent[1]?.body).toContain(boom.headers.get("x-request-id") ?? "missing");
  });
});
