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
