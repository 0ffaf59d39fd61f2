/**
 * For every operation in the API document: no credentials → 401; another account → 404 for
 * anything of a site or token it does not own; a read-only token → 403 on writes. Plus the
 * logs of a run carry no password, token or cookie value.
 */

import { env } from "cloudflare:test";
import { hashSecret } from "@sightline/core/auth";
import { snapshotKey, snapshotPrefix } from "@sightline/shared/heatmap";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  api,
  createSite,
  createToken,
  type ErrorShape,
  expectMatchesDocument,
  OWNER,
  openapi,
  otherAccount,
  ownerCookie,
  sessionCookie,
} from "./helpers.ts";
import { bucket, gzip, seedRecordings } from "./recording-fixtures.ts";

const PUBLIC = new Set([
  "get /v1/setup",
  "post /v1/setup",
  "post /v1/auth/login",
  "post /v1/auth/logout",
  "get /v1/maintenance",
]);
const WRITES = new Set(["post", "put", "patch", "delete"]);
const FLAG_KEY = "probe-flag";
const FLAG = {
  key: FLAG_KEY,
  enabled: true,
  variants: { on: true, off: false },
  defaultVariant: "off",
  offVariant: "off",
};
const RANGE = "?from=2026-11-20T00:00:00Z&to=2026-11-22T00:00:00Z";

const BODIES: Record<string, unknown> = {
  "post /v1/sites": { name: "Probe", origins: [] },
  "patch /v1/sites/{siteId}": { name: "Renamed" },
  "post /v1/tokens": { name: "probe", scopes: ["read"] },
  "put /v1/maintenance": { on: false },
  "put /v1/sites/{siteId}/maintenance": { on: false },
  "post /v1/sites/{siteId}/flags": FLAG,
  "patch /v1/sites/{siteId}/flags/{key}": { description: "probe" },
};

async function operations() {
  const doc = await openapi();
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => ({ method, path })));
}

function request(
  method: string,
  path: string,
  ids: { siteId: string; tokenId: string; recordingId?: string },
  auth: { cookie?: string; token?: string },
) {
  const url =
    path
      .replace("{siteId}", ids.siteId)
      .replace("{tokenId}", ids.tokenId)
      .replace("{recordingId}", ids.recordingId ?? "rec_missing")
      .replace("{key}", FLAG_KEY)
      .replace("{breakdown}", "referrers") +
    (path.includes("/stats/") || path.endsWith("/variants") ? RANGE : path.includes("/heatmaps") ? "?path=/" : "");
  const json = BODIES[`${method} ${path}`];
  return api(url, { method: method.toUpperCase(), ...auth, ...(json ? { json } : {}) });
}

describe("every operation in the API document", () => {
  it("lists the operations the dashboard needs", async () => {
    const ops = (await operations()).map((o) => `${o.method} ${o.path}`);
    expect(ops).toEqual(
      expect.arrayContaining([
        "post /v1/auth/login",
        "get /v1/sites",
        "post /v1/sites",
        "get /v1/sites/{siteId}/stats/timeseries",
        "get /v1/sites/{siteId}/heatmaps",
        "get /v1/sites/{siteId}/heatmaps/snapshot",
        "get /v1/sites/{siteId}/frustration",
        "delete /v1/tokens/{tokenId}",
      ]),
    );
  });

  it("answers 401 without credentials", async () => {
    const owner = await ownerCookie();
    const site = await createSite(owner);
    const ids = { siteId: site.id, tokenId: "tok_missing" };
    for (const { method, path } of await operations()) {
      if (PUBLIC.has(`${method} ${path}`)) continue;
      const res = await request(method, path, ids, {});
      expect(res.status, `${method} ${path}`).toBe(401);
      const body = (await expectMatchesDocument(method, path, res)) as ErrorShape;
      expect(body.error.code).toBe("UNAUTHENTICATED");
    }
  });

  it("answers 404 to another account for a site or token it does not own", async () => {
    const owner = await ownerCookie();
    const site = await createSite(owner);
    const token = await api("/v1/tokens", { method: "POST", cookie: owner, json: { name: "owned", scopes: ["read"] } });
    const tokenId = ((await token.json()) as { item: { id: string } }).item.id;
    const [recording] = await seedRecordings([{ siteId: site.id, startedAt: Date.now() - 60_000, parts: ["[]"] }]);
    const other = await otherAccount();
    for (const { method, path } of await operations()) {
      if (!path.includes("{siteId}") && !path.includes("{tokenId}")) continue;
      const ids = { siteId: site.id, tokenId, recordingId: recording?.id };
      const res = await request(method, path, ids, { cookie: other.cookie });
      expect([403, 404], `${method} ${path} answered ${res.status}`).toContain(res.status);
      await expectMatchesDocument(method, path, res);
    }
    // Nothing of the owner's changed.
    expect((await api(`/v1/sites/${site.id}`, { cookie: owner })).status).toBe(200);
  });

  it("answers 403 to a read-only token on every write, on token management and on operations", async () => {
    const owner = await ownerCookie();
    const site = await createSite(owner);
    const read = await createToken(owner, ["read"]);
    // A page snapshot, so that its read answers 200 too.
    const snapshot = JSON.stringify({ node: { type: 0, id: 1, childNodes: [] }, width: 800, height: 600 });
    await bucket().put(snapshotKey(await snapshotPrefix(site.id, "desktop", "/"), Date.now()), await gzip(snapshot));
    const [recording] = await seedRecordings([{ siteId: site.id, startedAt: Date.now() - 60_000, parts: ["[]"] }]);
    // A flag, so that its reads answer 200 too.
    expect((await api(`/v1/sites/${site.id}/flags`, { method: "POST", cookie: owner, json: FLAG })).status).toBe(201);
    const ids = { siteId: site.id, tokenId: "tok_any", recordingId: recording?.id };
    for (const { method, path } of await operations()) {
      if (PUBLIC.has(`${method} ${path}`)) continue;
      const res = await request(method, path, ids, { token: read });
      // Token management and the operator's routes need the admin scope, reads included.
      const mustRefuse = WRITES.has(method) || path.startsWith("/v1/tokens") || path === "/v1/health/pipeline";
      if (mustRefuse) {
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(((await expectMatchesDocument(method, path, res)) as ErrorShape).error.code).toBe("FORBIDDEN");
      } else {
        expect(res.status, `${method} ${path}`).toBe(200);
        await expectMatchesDocument(method, path, res);
      }
    }
    const write = await createToken(owner, ["write"]);
    const created = await api("/v1/sites", { method: "POST", token: write, json: { name: "By token", origins: [] } });
    expect(created.status).toBe(201);
  });

  it("stops honouring a revoked token", async () => {
    const owner = await ownerCookie();
    const res = await api("/v1/tokens", {
      method: "POST",
      cookie: owner,
      json: { name: "short-lived", scopes: ["read"] },
    });
    const { token, item } = (await res.json()) as { token: string; item: { id: string; prefix: string } };
    expect(token.startsWith(item.prefix)).toBe(true);
    expect((await api("/v1/me", { token })).status).toBe(200);
    // The edge knows it by its hash (OFREP for servers), and forgets it on revocation.
    const stub = env.EDGE as unknown as { tokenPublished(hash: string): Promise<boolean> };
    expect(await stub.tokenPublished(await hashSecret(token))).toBe(true);
    expect((await api(`/v1/tokens/${item.id}`, { method: "DELETE", cookie: owner })).status).toBe(204);
    expect(await stub.tokenPublished(await hashSecret(token))).toBe(false);
    expect((await api("/v1/me", { token })).status).toBe(401);
    const list = (await (await api("/v1/tokens", { cookie: owner })).json()) as { items: { id: string }[] };
    expect(list.items.map((t) => t.id)).not.toContain(item.id);
    expect(JSON.stringify(list)).not.toContain(token);
  });
});

describe("logs", () => {
  afterEach(() => vi.restoreAllMocks());

  it("never contain a password, token or cookie value", async () => {
    const lines: string[] = [];
    const keep = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
    vi.spyOn(console, "log").mockImplementation(keep);
    vi.spyOn(console, "warn").mockImplementation(keep);
    vi.spyOn(console, "error").mockImplementation(keep);

    await api("/v1/auth/login", {
      method: "POST",
      json: { ...OWNER, password: "a wrong password" },
      headers: { "cf-connecting-ip": "192.0.2.50" },
    });
    const login = await api("/v1/auth/login", {
      method: "POST",
      json: OWNER,
      headers: { "cf-connecting-ip": "192.0.2.51" },
    });
    const cookie = sessionCookie(login);
    const token = await createToken(cookie, ["read"]);
    await api("/v1/me", { token });
    await api("/v1/sites", { cookie });
    await api("/v1/me", { token: `${token}x` });

    expect(lines.length).toBeGreaterThan(3);
    const all = lines.join("\n");
    for (const secret of [OWNER.password, "a wrong password", token, cookie.split("=")[1] ?? "cookie"]) {
      expect(all).not.toContain(secret);
    }
  });
});
