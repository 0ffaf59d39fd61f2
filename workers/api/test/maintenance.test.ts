/**
 * Maintenance mode through the API: the switches (global and per site), who may flip them, and
 * the gate: `503 MAINTENANCE` with `Retry-After` while on, before any credential is looked up,
 * with the switches, sign-in and `/v1/me` left open. The ingest side (KV, /health, ingestion
 * going on) is tested with the ingest worker; `pnpm maintenance` and the dashboard in the system test.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { LIMITS } from "@sightline/shared/limits";
import { describe, expect, it } from "vitest";
import worker from "../src/index.ts";
import {
  api,
  BASE,
  createSite,
  createToken,
  type ErrorShape,
  expectMatchesDocument,
  otherAccount,
  ownerCookie,
} from "./helpers.ts";

const code = async (res: Response) => ((await res.json()) as ErrorShape).error.code;

describe("maintenance mode", () => {
  it("is off until flipped, and only an admin flips it", async () => {
    const cookie = await ownerCookie();
    const off = await api("/v1/maintenance");
    expect(await expectMatchesDocument("GET", "/v1/maintenance", off)).toEqual({ on: false, message: "", since: null });
    expect(await (await api("/health")).json()).toMatchObject({ status: "ok", maintenance: { on: false } });

    for (const scope of ["read", "write"]) {
      const token = await createToken(cookie, [scope]);
      const res = await api("/v1/maintenance", { method: "PUT", token, json: { on: true } });
      expect(res.status).toBe(403);
      expect(await code(res)).toBe("FORBIDDEN");
    }
    const anonymous = await api("/v1/maintenance", { method: "PUT", json: { on: true } });
    expect(anonymous.status).toBe(401);
    expect((await (await api("/v1/maintenance")).json()) as { on: boolean }).toMatchObject({ on: false });
  });

  it("refuses a flip it cannot read, and a note over its limit", async () => {
    const token = await createToken(await ownerCookie(), ["admin"]);
    for (const json of [
      {},
      { on: "yes" },
      { on: true, message: "x".repeat(LIMITS.api.maxMaintenanceMessageLength + 1) },
      { on: true, extra: 1 },
    ]) {
      const res = await api("/v1/maintenance", { method: "PUT", token, json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(await code(res)).toBe("VALIDATION_FAILED");
    }
    const atLimit = "x".repeat(LIMITS.api.maxMaintenanceMessageLength);
    const ok = await api("/v1/maintenance", { method: "PUT", token, json: { on: false, message: atLimit } });
    expect(ok.status).toBe(200);
  });

  it("answers 503 MAINTENANCE with Retry-After everywhere but the switch, sign-in and /v1/me while on", async () => {
    const cookie = await ownerCookie();
    const admin = await createToken(cookie, ["admin"]);
    const site = await createSite(cookie, "Maintenance shop");

    const flipped = await api("/v1/maintenance", {
      method: "PUT",
      token: admin,
      json: { on: true, message: "Upgrading the database" },
    });
    expect(flipped.status).toBe(200);
    const state = (await expectMatchesDocument("PUT", "/v1/maintenance", flipped)) as Record<string, unknown>;
    expect(state).toMatchObject({ on: true, message: "Upgrading the database", by: "owner@sightline.test" });
    expect(Date.parse(state.since as string)).not.toBeNaN();

    for (const path of ["/v1/sites", `/v1/sites/${site.id}`, `/v1/sites/${site.id}/stats/pages`, "/v1/tokens"]) {
      const res = await api(path, { token: admin });
      expect(res.status, path).toBe(503);
      expect(res.headers.get("retry-after")).toBe(String(LIMITS.api.maintenanceRetryAfterS));
      const body = (await res.json()) as ErrorShape;
      expect(body.error.code).toBe("MAINTENANCE");
      expect(body.error.message).toBe("Sightline is under maintenance: Upgrading the database.");
    }
    expect((await api("/v1/me", { cookie })).status).toBe(200);
    expect((await (await api("/v1/maintenance")).json()) as { on: boolean }).toMatchObject({ on: true });
    expect(await (await api("/health")).json()).toMatchObject({ maintenance: { on: true } });

    // Before any credential is looked up: with Postgres unreachable it is still MAINTENANCE.
    const ctx = createExecutionContext();
    const down = await worker.fetch(
      new Request(`${BASE}/v1/sites`, { headers: { authorization: "Bearer sl_not_a_real_token" } }),
      { ...env, DATABASE_URL: "postgresql://postgres@127.0.0.1:1/unreachable" } as Env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(down.status).toBe(503);
    expect(await code(down)).toBe("MAINTENANCE");

    const back = await api("/v1/maintenance", { method: "PUT", cookie, json: { on: false } });
    expect(back.status).toBe(200);
    expect((await api("/v1/sites", { token: admin })).status).toBe(200);
  });

  it("closes one site's routes while its switch is on, and no one else's", async () => {
    const cookie = await ownerCookie();
    const admin = await createToken(cookie, ["admin"]);
    const reader = await createToken(cookie, ["read"]);
    const closed = await createSite(cookie, "Closed shop");
    const open = await createSite(cookie, "Open shop");

    const refused = await api(`/v1/sites/${closed.id}/maintenance`, {
      method: "PUT",
      token: reader,
      json: { on: true },
    });
    expect(refused.status).toBe(403);
    const stranger = await otherAccount();
    const foreign = await api(`/v1/sites/${closed.id}/maintenance`, {
      method: "PUT",
      cookie: stranger.cookie,
      json: { on: true },
    });
    expect(foreign.status).toBe(404);

    const on = await api(`/v1/sites/${closed.id}/maintenance`, {
      method: "PUT",
      token: admin,
      json: { on: true, message: "Moving data" },
    });
    expect(await expectMatchesDocument("PUT", "/v1/sites/{siteId}/maintenance", on)).toMatchObject({ on: true });

    const gated = await api(`/v1/sites/${closed.id}/stats/pages`, { token: reader });
    expect(gated.status).toBe(503);
    expect(((await gated.json()) as ErrorShape).error.message).toBe("This site is under maintenance: Moving data.");
    expect((await api(`/v1/sites/${open.id}`, { token: reader })).status).toBe(200);
    expect((await api("/v1/sites", { token: reader })).status).toBe(200);
    const read = await api(`/v1/sites/${closed.id}/maintenance`, { token: reader });
    expect(await expectMatchesDocument("GET", "/v1/sites/{siteId}/maintenance", read)).toMatchObject({
      on: true,
      message: "Moving data",
    });

    await api(`/v1/sites/${closed.id}/maintenance`, { method: "PUT", token: admin, json: { on: false } });
    expect((await api(`/v1/sites/${closed.id}`, { token: reader })).status).toBe(200);
  });
});
