/**
 * The operator's pipeline view and the dead-letter replay, through the API (the ingest side,
 * EdgeAdmin, is tested with the ingest worker; here its stand-in answers idle shards).
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index.ts";
import { api, BASE, createSite, createToken, type ErrorShape, expectMatchesDocument, ownerCookie } from "./helpers.ts";

describe("GET /v1/health/pipeline", () => {
  it("shows each of the caller's sites with its shards and the dead letters, to admins only", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Pipeline shop");
    const admin = await createToken(cookie, ["admin"]);
    const reader = await createToken(cookie, ["read"]);

    const res = await api("/v1/health/pipeline?limit=100", { token: admin });
    expect(res.status).toBe(200);
    const body = (await expectMatchesDocument("GET", "/v1/health/pipeline", res)) as {
      database: string;
      sites: { id: string; status: string; shards: unknown[] }[];
      deadLetters: { objects: number };
    };
    expect(body.database).toBe("up");
    expect(body.sites.find((s) => s.id === site.id)).toMatchObject({ status: "ok", shards: [expect.any(Object)] });
    expect(body.deadLetters.objects).toBe(0);

    const refused = await api("/v1/health/pipeline", { token: reader });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as ErrorShape).error.code).toBe("FORBIDDEN");
  });

  it("still answers while Postgres is down, with the last site list it read", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Outage shop");
    const admin = await createToken(cookie, ["admin"]);
    const read = async (e: Env) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request(`${BASE}/v1/health/pipeline?limit=100`, { headers: { authorization: `Bearer ${admin}` } }),
        e,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res;
    };
    expect((await read(env)).status).toBe(200);
    const down = await read({ ...env, DATABASE_URL: "postgresql://postgres@127.0.0.1:1/unreachable" } as Env);
    expect(down.status).toBe(200);
    const body = (await down.json()) as { database: string; sites: { id: string }[] };
    expect(body.database).toBe("down");
    expect(body.sites.map((s) => s.id)).toContain(site.id);
  });
});

describe("POST /v1/admin/dead-letters/replay", () => {
  it("replays through the edge for admins, and refuses other scopes", async () => {
    const cookie = await ownerCookie();
    const admin = await createToken(cookie, ["admin"]);
    const writer = await createToken(cookie, ["write"]);
    const res = await api("/v1/admin/dead-letters/replay", { method: "POST", token: admin });
    expect(res.status).toBe(200);
    expect(await expectMatchesDocument("POST", "/v1/admin/dead-letters/replay", res)).toEqual({
      objects: 0,
      replayed: 0,
      unreadable: 0,
      more: false,
    });
    expect((await api("/v1/admin/dead-letters/replay", { method: "POST", token: writer })).status).toBe(403);
  });
});
