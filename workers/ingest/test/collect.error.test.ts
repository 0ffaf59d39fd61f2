import { LIMITS } from "@sightline/shared/limits";
import { describe, expect, it } from "vitest";
import { batchFor, type ErrorShape, makeSite, pageview, post } from "./helpers.ts";

const L = LIMITS.collect;

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as ErrorShape;
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
}

describe("POST /v1/collect (errors)", () => {
  it("refuses a body over the byte limit, declared or not", async () => {
    const site = await makeSite();
    const big = JSON.stringify(batchFor(site.siteKey, [pageview("/")])) + " ".repeat(L.maxBodyBytes);
    await expectError(await post(big), 413, "PAYLOAD_TOO_LARGE");
    const stream = new ReadableStream({
      start(ctrl) {
        ctrl.enqueue(new TextEncoder().encode(big));
        ctrl.close();
      },
    });
    const { SELF } = await import("cloudflare:test");
    const chunked = await SELF.fetch("https://ingest.test/v1/collect", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: stream,
    });
    await expectError(chunked, 413, "PAYLOAD_TOO_LARGE");
  });

  it("answers a site key no site can have 404 UNKNOWN_SITE, not 500 (found by hostile.test.ts)", async () => {
    // KV refused "site:\uD800" with an error, which answered 500 and went to Sentry.
    for (const siteKey of ["\uD800", "a\uDC00b", "key/../x", "a\u0000b", "short", "key with space"]) {
      await expectError(await post(batchFor(siteKey, [pageview("/")])), 404, "UNKNOWN_SITE");
    }
  });

  it("refuses more events than a batch may hold", async () => {
    const site = await makeSite();
    const events = Array.from({ length: L.maxEventsPerBatch + 1 }, () => pageview("/"));
    await expectError(await post(batchFor(site.siteKey, events)), 413, "TOO_MANY_EVENTS");
    const max = Array.from({ length: L.maxEventsPerBatch }, () => pageview("/"));
    expect((await post(batchFor(site.siteKey, max))).status).toBe(202);
  });

  it("refuses strings over their limits", async () => {
    const site = await makeSite();
    const long = pageview("/");
    long.url = `https://shop.example/${"a".repeat(L.maxUrlLength)}`;
    await expectError(await post(batchFor(site.siteKey, [long])), 400, "VALIDATION_FAILED");
    const title = { ...pageview("/"), title: "t".repeat(L.maxTitleLength + 1) };
    await expectError(await post(batchFor(site.siteKey, [title])), 400, "VALIDATION_FAILED");
    const referrer = { ...pageview("/"), referrer: "r".repeat(L.maxReferrerLength + 1) };
    await expectError(await post(batchFor(site.siteKey, [referrer])), 400, "VALIDATION_FAILED");
    await expectError(
      await post(batchFor("k".repeat(L.maxSiteKeyLength + 1), [pageview("/")])),
      400,
      "VALIDATION_FAILED",
    );
  });

  it("refuses what is not JSON, not the schema, or not a supported type", async () => {
    const site = await makeSite();
    await expectError(await post("{nope"), 400, "INVALID_JSON");
    await expectError(await post({ v: 2, siteKey: site.siteKey }), 400, "VALIDATION_FAILED");
    await expectError(await post("null"), 400, "VALIDATION_FAILED");
    const badId = { ...pageview("/"), id: "not-a-uuid" };
    await expectError(await post(batchFor(site.siteKey, [badId])), 400, "VALIDATION_FAILED");
    await expectError(await post(batchFor(site.siteKey, [])), 400, "VALIDATION_FAILED");
    await expectError(
      await post(batchFor(site.siteKey, [pageview("/")]), { type: "application/xml" }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
  });

  it("refuses an unknown site and an origin the site did not register", async () => {
    const site = await makeSite();
    await expectError(await post(batchFor("unknown_site_key", [pageview("/")])), 404, "UNKNOWN_SITE");
    await expectError(
      await post(batchFor(site.siteKey, [pageview("/")]), { origin: "https://evil.example" }),
      403,
      "ORIGIN_NOT_ALLOWED",
    );
  });

  it("refuses a batch without Origin, which every browser sends", async () => {
    const site = await makeSite();
    await expectError(
      await post(batchFor(site.siteKey, [pageview("/scripted")]), { origin: null }),
      403,
      "ORIGIN_NOT_ALLOWED",
    );
  });

  it("rate limits one client of a site", async () => {
    const site = await makeSite();
    const body = batchFor(site.siteKey, [pageview("/")]);
    const limit = LIMITS.rateLimit.perClientPer10s;
    // The binding counts in fixed 10 s windows, so a burst may straddle two of them: twice the
    // limit plus one is always refused at least once, and never more than twice accepted.
    const responses: Response[] = [];
    for (let i = 0; i <= 2 * limit; i++) responses.push(await post(body, { ip: "203.0.113.9" }));
    const accepted = responses.filter((r) => r.status === 202).length;
    expect(accepted).toBeGreaterThanOrEqual(limit);
    expect(accepted).toBeLessThanOrEqual(2 * limit);
    const limited = responses.find((r) => r.status === 429);
    expect(limited?.headers.get("retry-after")).toBe("10");
    await expectError(limited as Response, 429, "RATE_LIMITED");
    // Another client of the same site is unaffected.
    expect((await post(body, { ip: "203.0.113.10" })).status).toBe(202);
  });

  it("answers unknown routes and methods in the error shape", async () => {
    const { SELF } = await import("cloudflare:test");
    await expectError(await SELF.fetch("https://ingest.test/nope"), 404, "NOT_FOUND");
    await expectError(await SELF.fetch("https://ingest.test/v1/collect"), 404, "NOT_FOUND");
  });
});
