import { env } from "cloudflare:test";
import { siteKvKey } from "@sightline/shared/site";
import { describe, expect, it } from "vitest";
import { batchFor, type ErrorShape, makeSite, pageview, post } from "./helpers.ts";

describe("POST /v1/collect (security)", () => {
  it("never echoes hostile input back", async () => {
    const site = await makeSite();
    const hostile = { ...pageview("/"), title: `<script>alert(1)</script>${"x".repeat(600)}` };
    const res = await post(batchFor(site.siteKey, [hostile]));
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain("<script>");
  });

  it("ignores prototype keys and unknown fields", async () => {
    const site = await makeSite();
    const body = `{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}},${JSON.stringify(batchFor(site.siteKey, [pageview("/")])).slice(1)}`;
    const res = await post(body);
    expect(res.status).toBe(202);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("answers an internal failure with a generic 500 and no stack trace", async () => {
    await env.SITES.put(siteKvKey("broken_site_key"), "{not json");
    const res = await post(batchFor("broken_site_key", [pageview("/")]));
    expect(res.status).toBe(500);
    const text = await res.text();
    const body = JSON.parse(text) as ErrorShape;
    expect(body.error.code).toBe("INTERNAL_ERROR");
    expect(text).not.toMatch(/at .*\.(ts|js):\d+|SyntaxError|stack/i);
  });

  it("does not let one site's origin post for another site", async () => {
    const a = await makeSite({ origins: ["https://a.example"] });
    const b = await makeSite({ origins: ["https://b.example"] });
    const res = await post(batchFor(b.siteKey, [pageview("/")]), { origin: "https://a.example" });
    expect(res.status).toBe(403);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://a.example");
    expect(a.siteId).not.toBe(b.siteId);
  });
});
