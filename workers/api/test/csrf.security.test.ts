/**
 * Cross-site request forgery: with the session cookie, a write must come from the API's own
 * origin as the browser states it (Sec-Fetch-Site, else Origin); tokens are not checked.
 */
import { describe, expect, it } from "vitest";
import { api, BASE, createToken, type ErrorShape, ownerCookie } from "./helpers.ts";

const site = { name: "Forged", origins: [] };

describe("CSRF", () => {
  it("refuses cookie writes from another site, or from nowhere the browser names", async () => {
    const cookie = await ownerCookie();
    const forged: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { "sec-fetch-site": "cross-site", origin: "https://evil.example" },
      { "sec-fetch-site": "same-site", origin: "https://app.api.test" },
      { "sec-fetch-site": "cross-site", origin: BASE },
      { origin: "null" },
      // Neither header: no browser sends a write so; a forged one is not let through.
      { "sec-fetch-site": "none" },
    ];
    for (const headers of forged) {
      for (const [method, path] of [
        ["POST", "/v1/sites"],
        ["POST", "/v1/tokens"],
        ["POST", "/v1/auth/logout"],
      ] as const) {
        const res = await api(path, {
          method,
          cookie,
          headers,
          json: path === "/v1/tokens" ? { name: "x", scopes: ["read"] } : site,
        });
        expect(res.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(403);
        expect(((await res.json()) as ErrorShape).error.code).toBe("FORBIDDEN");
      }
    }
    // The session survived the forged logouts; reads need no check.
    expect((await api("/v1/me", { cookie, headers: { origin: "https://evil.example" } })).status).toBe(200);
  });

  it("lets the dashboard's own writes through", async () => {
    const cookie = await ownerCookie();
    expect((await api("/v1/sites", { method: "POST", cookie, json: site })).status).toBe(201);
    const sameOrigin = { "sec-fetch-site": "same-origin", origin: BASE };
    expect((await api("/v1/sites", { method: "POST", cookie, headers: sameOrigin, json: site })).status).toBe(201);
    // A proxy in front may change the URL the worker sees; the browser's own statement holds.
    const behindProxy = { "sec-fetch-site": "same-origin", origin: "https://dashboard.example" };
    expect((await api("/v1/sites", { method: "POST", cookie, headers: behindProxy, json: site })).status).toBe(201);
  });

  it("does not apply to API tokens, which a browser never sends on its own", async () => {
    const token = await createToken(await ownerCookie(), ["write"]);
    const res = await api("/v1/sites", {
      method: "POST",
      token,
      headers: { origin: "https://ci.example" },
      json: site,
    });
    expect(res.status).toBe(201);
  });
});
