/**
 * The identity cache while Postgres is down: a known caller is recognised for
 * `LIMITS.api.identityCacheMs` after its last good lookup, never longer, and never after its
 * token was revoked or its session ended.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { LIMITS } from "@sightline/shared/limits";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import worker from "../src/index.ts";
import { BASE, type ErrorShape, OWNER, ownerCookie, randomAddress, sessionCookie } from "./helpers.ts";

const DOWN_URL = "postgresql://postgres@127.0.0.1:1/unreachable";
const upstash = { UPSTASH_REDIS_REST_URL: inject("upstashUrl"), UPSTASH_REDIS_REST_TOKEN: inject("upstashToken") };

const backends = [
  { name: "the edge cache", up: env, skip: false },
  { name: "Upstash", up: { ...env, ...upstash } as Env, skip: !upstash.UPSTASH_REDIS_REST_URL },
];

async function fetchWith(e: Env, path: string, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, init), e, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

afterEach(() => vi.restoreAllMocks());

describe.each(backends)("when Postgres is down, with the identity cache in $name", ({ up, skip }) => {
  const down = { ...up, DATABASE_URL: DOWN_URL } as Env;
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

  async function newToken(): Promise<{ token: string; id: string }> {
    const cookie = await ownerCookie();
    const res = await fetchWith(up, "/v1/tokens", {
      method: "POST",
      headers: { cookie, origin: BASE, "content-type": "application/json" },
      body: JSON.stringify({ name: "outage", scopes: ["read"] }),
    });
    expect(res.status).toBe(201);
    const { token, item } = (await res.json()) as { token: string; item: { id: string } };
    return { token, id: item.id };
  }

  async function expectRefused(res: Response) {
    expect(res.status).toBe(503);
    expect(((await res.json()) as ErrorShape).error.code).toBe("SERVICE_UNAVAILABLE");
  }

  it.skipIf(skip)("recognises a known token for identityCacheMs after its last lookup, then refuses", async () => {
    const { token } = await newToken();
    expect((await fetchWith(up, "/v1/me", bearer(token))).status).toBe(200);
    expect((await fetchWith(down, "/v1/me", bearer(token))).status).toBe(200);

    const now = Date.now();
    vi.spyOn(Date, "now").mockReturnValue(now + LIMITS.api.identityCacheMs + 1_000);
    await expectRefused(await fetchWith(down, "/v1/me", bearer(token)));
  });

  it.skipIf(skip)("refuses a revoked token at once", async () => {
    const { token, id } = await newToken();
    expect((await fetchWith(up, "/v1/me", bearer(token))).status).toBe(200);
    expect((await fetchWith(down, "/v1/me", bearer(token))).status).toBe(200);

    const cookie = await ownerCookie();
    const revoke = await fetchWith(up, `/v1/tokens/${id}`, { method: "DELETE", headers: { cookie, origin: BASE } });
    expect(revoke.status).toBe(204);
    await expectRefused(await fetchWith(down, "/v1/me", bearer(token)));
    expect((await fetchWith(up, "/v1/me", bearer(token))).status).toBe(401);
  });

  it.skipIf(skip)("refuses a logged-out session at once", async () => {
    const login = await fetchWith(up, "/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": randomAddress() },
      body: JSON.stringify(OWNER),
    });
    expect(login.status).toBe(200);
    const headers = { cookie: sessionCookie(login), origin: BASE };
    expect((await fetchWith(up, "/v1/me", { headers })).status).toBe(200);
    expect((await fetchWith(down, "/v1/me", { headers })).status).toBe(200);

    expect((await fetchWith(up, "/v1/auth/logout", { method: "POST", headers })).status).toBe(204);
    await expectRefused(await fetchWith(down, "/v1/me", { headers }));
    expect((await fetchWith(up, "/v1/me", { headers })).status).toBe(401);
  });
});
