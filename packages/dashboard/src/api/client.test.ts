import { describe, expect, it, vi } from "vitest";
import { ApiError, buildPath, createRequester, errorFromResponse } from "./client.ts";

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });

function fakeFetch(res: Response | (() => Promise<Response>)) {
  return vi.fn<typeof fetch>(async () => (typeof res === "function" ? res() : res));
}

describe("requests", () => {
  it("sends same-origin credentials and JSON bodies", async () => {
    const f = fakeFetch(json(201, { id: "site_1" }));
    const request = createRequester({ fetch: f });
    const res = await request<{ id: string }>("/v1/sites", { method: "POST", body: { name: "A" } });
    expect(res).toEqual({ data: { id: "site_1" }, stale: false });
    const [url, init] = f.mock.calls[0] ?? [];
    expect(url).toBe("/v1/sites");
    expect(init?.method).toBe("POST");
    expect(init?.credentials).toBe("same-origin");
    expect(init?.body).toBe('{"name":"A"}');
    expect(((init?.headers ?? {}) as Record<string, string>)["Content-Type"]).toBe("application/json");
  });

  it("sends no Content-Type without a body, and reads 204 as nothing", async () => {
    const f = fakeFetch(new Response(null, { status: 204 }));
    const res = await createRequester({ fetch: f })("/v1/auth/logout", { method: "POST" });
    expect(res.data).toBeUndefined();
    expect(((f.mock.calls[0]?.[1]?.headers ?? {}) as Record<string, string>)["Content-Type"]).toBeUndefined();
  });

  it("flags answers served from cache while Postgres is down", async () => {
    const f = fakeFetch(json(200, { items: [] }, { "X-Sightline-Stale": "true" }));
    expect((await createRequester({ fetch: f })("/v1/sites/x/stats/pages")).stale).toBe(true);
  });

  it("builds query strings, leaving out empty values", () => {
    expect(buildPath("/v1/sites", { limit: 50, cursor: undefined })).toBe("/v1/sites?limit=50");
    expect(buildPath("/v1/sites", { cursor: "" })).toBe("/v1/sites");
    expect(buildPath("/s", { from: "2026-01-01T00:00:00.000Z" })).toBe("/s?from=2026-01-01T00%3A00%3A00.000Z");
  });
});

describe("errors", () => {
  it("uses the API's own code, message and request id", async () => {
    const f = fakeFetch(
      json(409, { error: { code: "ALREADY_SET_UP", message: "An owner account already exists.", requestId: "req_1" } }),
    );
    const err = await createRequester({ fetch: f })("/v1/setup", { method: "POST", body: {} }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 409, code: "ALREADY_SET_UP", requestId: "req_1" });
    expect(err.message).toBe("An owner account already exists.");
  });

  it("never shows a body that is not the error shape", async () => {
    for (const res of [
      new Response("<html><body>502 Bad Gateway</body></html>", { status: 502 }),
      new Response("", { status: 500 }),
      json(500, { stack: "Error: boom\n    at handler (index.ts:1:1)" }),
      json(400, { error: { code: "X", message: "x".repeat(5000) } }),
    ]) {
      const err = await errorFromResponse(res);
      expect(err.message).not.toMatch(/[{}<>]|stack|at handler/);
      expect(err.message.length).toBeLessThan(120);
    }
    expect((await errorFromResponse(new Response("", { status: 502 }))).message).toBe(
      "The server could not answer (HTTP 502). Try again in a moment.",
    );
  });

  it("takes only the shared error codes; any other reads as the status", async () => {
    expect((await errorFromResponse(json(503, { error: { code: "MAINTENANCE", message: "m" } }))).code).toBe(
      "MAINTENANCE",
    );
    expect((await errorFromResponse(json(400, { error: { code: "NOT_A_CODE", message: "m" } }))).code).toBe("HTTP_400");
  });

  it("turns a network failure into a sentence", async () => {
    const f = vi.fn<typeof fetch>(async () => {
      throw new TypeError("Failed to fetch");
    });
    const err = await createRequester({ fetch: f })("/v1/me").catch((e) => e);
    expect(err).toMatchObject({ status: 0, code: "NETWORK" });
    expect(err.message).toMatch(/Could not reach the Sightline API/);
  });

  it("lets an abort through as an abort", async () => {
    const f = vi.fn<typeof fetch>(async () => {
      throw new DOMException("The operation was aborted.", "AbortError");
    });
    const err = await createRequester({ fetch: f })("/v1/me").catch((e) => e);
    expect(err).toBeInstanceOf(DOMException);
  });

  it("a 200 that is not JSON is an error, not a crash", async () => {
    const f = fakeFetch(new Response("<!doctype html>", { status: 200, headers: { "X-Request-Id": "req_9" } }));
    const err = await createRequester({ fetch: f })("/v1/sites").catch((e) => e);
    expect(err).toMatchObject({ code: "BAD_RESPONSE", requestId: "req_9" });
  });
});

describe("401", () => {
  const unauthenticated = () =>
    json(401, { error: { code: "UNAUTHENTICATED", message: "Log in to continue.", requestId: "r" } });

  it("reports a lost session, so the app can send the user to login", async () => {
    const onUnauthenticated = vi.fn();
    const request = createRequester({ fetch: fakeFetch(unauthenticated()), onUnauthenticated });
    await expect(request("/v1/sites")).rejects.toMatchObject({ status: 401, code: "UNAUTHENTICATED" });
    expect(onUnauthenticated).toHaveBeenCalledOnce();
  });

  it("leaves a wrong password to the login form", async () => {
    const onUnauthenticated = vi.fn();
    const f = fakeFetch(json(401, { error: { code: "INVALID_CREDENTIALS", message: "Wrong email or password." } }));
    const request = createRequester({ fetch: f, onUnauthenticated });
    const err = await request("/v1/auth/login", { method: "POST", body: {}, redirectOn401: false }).catch((e) => e);
    expect(err.message).toBe("Wrong email or password.");
    expect(onUnauthenticated).not.toHaveBeenCalled();
  });
});
