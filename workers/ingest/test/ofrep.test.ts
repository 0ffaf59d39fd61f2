import { createExecutionContext, env, SELF } from "cloudflare:test";
import { hashSecret } from "@sightline/core/auth";
import { evaluateFlag, flagSchema, type SiteFlags } from "@sightline/shared/flags";
import { LIMITS } from "@sightline/shared/limits";
import { FLAG_LIMITS } from "@sightline/shared/limits/flags";
import { flagsKvKey, type SiteEdgeRecord } from "@sightline/shared/site";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EdgeAdmin } from "../src/edge-admin.ts";
import { clearFlagsCache, findFlags } from "../src/lib/flags.ts";
import { clearSiteCache } from "../src/lib/sites.ts";
import { onOff, PHONE } from "./flag-fixtures.ts";
import { type ErrorShape, makeSite, ORIGIN } from "./helpers.ts";

const BASE = "https://ingest.test/ofrep/v1/evaluate/flags";

const FLAGS = [
  { ...onOff, key: "static-on", defaultVariant: "on" },
  {
    ...onOff,
    key: "by-country",
    rules: [{ conditions: [{ attribute: "country", op: "eq", value: "FR" }], variant: "on" }],
  },
  {
    ...onOff,
    key: "by-device",
    rules: [{ conditions: [{ attribute: "device", op: "eq", value: "mobile" }], variant: "on" }],
  },
  {
    key: "split",
    enabled: true,
    variants: { a: "A", b: "B", control: "-" },
    defaultVariant: "control",
    offVariant: "control",
    rollout: { weights: { a: 5_000, b: 5_000 } },
  },
  { ...onOff, key: "killed", enabled: false },
  {
    ...onOff,
    key: "beta-list",
    rules: [
      { conditions: [{ attribute: "email", op: "in", value: ["ada@shop.example"], private: true }], variant: "on" },
    ],
  },
];

/** A site with the flags above published, as the API publishes them. */
async function siteWithFlags(flags: unknown[] = FLAGS, version = 1, site?: Partial<SiteEdgeRecord>) {
  const s = await makeSite(site);
  await new EdgeAdmin(createExecutionContext(), env).putFlags(s.siteKey, { version, flags } as SiteFlags);
  return s;
}

interface Call {
  key?: string;
  siteKey?: string | null;
  body?: unknown;
  origin?: string | null;
  headers?: Record<string, string>;
  country?: string;
}

function evaluate({ key, siteKey, body = { context: {} }, origin = ORIGIN, headers = {}, country }: Call) {
  const h: Record<string, string> = { "content-type": "application/json; charset=utf-8", ...headers };
  if (siteKey) h["x-api-key"] = siteKey;
  if (origin) h.origin = origin;
  return SELF.fetch(key === undefined ? BASE : `${BASE}/${key}`, {
    method: "POST",
    headers: h,
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...(country ? { cf: { country } } : {}),
  });
}

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as ErrorShape;
  expect(body.error.code).toBe(code);
  expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
}

async function expectFailure(res: Response, status: number, failure: Record<string, unknown>) {
  expect(res.status).toBe(status);
  expect(await res.json()).toEqual({ ...failure, errorDetails: expect.any(String) });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("POST /ofrep/v1/evaluate/flags/{key}", () => {
  it("answers each reason in OFREP's evaluationSuccess shape", async () => {
    const { siteKey } = await siteWithFlags();
    const one = async (key: string, call: Omit<Call, "key" | "siteKey"> = {}) => {
      const res = await evaluate({ key, siteKey, ...call });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("application/json");
      return res.json();
    };
    expect(await one("static-on")).toEqual({ key: "static-on", value: true, variant: "on", reason: "STATIC" });
    expect(await one("by-country", { country: "FR" })).toEqual({
      key: "by-country",
      value: true,
      variant: "on",
      reason: "TARGETING_MATCH",
    });
    // Rules exist, none matched, no rollout: OpenFeature's DEFAULT (see routes/ofrep.ts).
    expect(await one("by-country", { country: "DE" })).toEqual({
      key: "by-country",
      value: false,
      variant: "off",
      reason: "DEFAULT",
    });
    const split = await one("split", { body: { context: { targetingKey: "visitor-1" } } });
    expect(split).toEqual(evaluateFlag(flagSchema.parse(FLAGS[3]), { targetingKey: "visitor-1" }));
    expect(split).toMatchObject({ reason: "SPLIT" });
    expect(await one("killed")).toEqual({ key: "killed", value: false, variant: "off", reason: "DISABLED" });
  });

  it("fills country and device from the request when the context has none; the caller's own win", async () => {
    const { siteKey } = await siteWithFlags();
    const variant = async (key: string, call: Omit<Call, "key" | "siteKey">) =>
      ((await (await evaluate({ key, siteKey, ...call })).json()) as { variant: string }).variant;
    expect(await variant("by-country", { country: "FR" })).toBe("on");
    expect(await variant("by-country", { headers: { "cf-ipcountry": "FR" } })).toBe("on");
    expect(await variant("by-country", { country: "FR", body: { context: { country: "DE" } } })).toBe("off");
    expect(await variant("by-country", { body: { context: { country: "FR" } } })).toBe("on");
    expect(await variant("by-device", { headers: { "user-agent": PHONE } })).toBe("on");
    expect(
      await variant("by-device", { headers: { "user-agent": PHONE }, body: { context: { device: "desktop" } } }),
    ).toBe("off");
    expect(await variant("by-device", { body: { context: { device: "mobile" } } })).toBe("on");
  });

  it("evaluates flags with private targeting for a server with its account's API token only", async () => {
    const { siteKey } = await siteWithFlags(FLAGS, 1, { accountId: "acc_owner" });
    const admin = new EdgeAdmin(createExecutionContext(), env);
    const token = `sl_${"a".repeat(43)}`;
    const other = `sl_${"b".repeat(43)}`;
    await admin.putToken(await hashSecret(token), { accountId: "acc_owner" });
    await admin.putToken(await hashSecret(other), { accountId: "acc_other" });
    const ada = { context: { email: "ada@shop.example" } };
    // The public key alone (a page, or anyone who read it there) cannot probe the list.
    await expectFailure(await evaluate({ key: "beta-list", siteKey, body: ada }), 404, {
      key: "beta-list",
      errorCode: "FLAG_NOT_FOUND",
    });
    const server = (t: string) => ({
      key: "beta-list",
      siteKey,
      body: ada,
      origin: null,
      headers: { authorization: `Bearer ${t}` },
    });
    expect(await (await evaluate(server(token))).json()).toMatchObject({ value: true, reason: "TARGETING_MATCH" });
    const bulk = await evaluate({ ...server(token), key: undefined });
    expect(((await bulk.json()) as { flags: { key: string }[] }).flags.map((f) => f.key)).toContain("beta-list");
    // Another account's token, a malformed one, or one revoked: 401.
    for (const t of [other, "sl_short", `${token}x`])
      await expectError(await evaluate(server(t)), 401, "UNAUTHENTICATED");
    await admin.deleteToken(await hashSecret(token));
    await expectError(await evaluate(server(token)), 401, "UNAUTHENTICATED");
  });

  it("answers 404 FLAG_NOT_FOUND for a key the site does not have, or any key of a site without flags", async () => {
    const { siteKey } = await siteWithFlags();
    await expectFailure(await evaluate({ key: "nope", siteKey }), 404, { key: "nope", errorCode: "FLAG_NOT_FOUND" });
    const long = "a".repeat(FLAG_LIMITS.maxKeyLength + 1);
    await expectFailure(await evaluate({ key: long, siteKey }), 404, { key: long, errorCode: "FLAG_NOT_FOUND" });
    const bare = await makeSite();
    await expectFailure(await evaluate({ key: "static-on", siteKey: bare.siteKey }), 404, {
      key: "static-on",
      errorCode: "FLAG_NOT_FOUND",
    });
  });

  it("answers 400 TARGETING_KEY_MISSING when a split has no key to bucket on", async () => {
    const { siteKey } = await siteWithFlags();
    for (const context of [{}, { targetingKey: "" }, { targetingKey: null }]) {
      await expectFailure(await evaluate({ key: "split", siteKey, body: { context } }), 400, {
        key: "split",
        errorCode: "TARGETING_KEY_MISSING",
      });
    }
  });

  it("answers 400 INVALID_CONTEXT for a context that is not an object, a key that is not a string, or an attribute a rule cannot read", async () => {
    const { siteKey } = await siteWithFlags();
    for (const context of ["FR", [1], 42, { targetingKey: 7 }, { targetingKey: { id: 1 } }]) {
      await expectFailure(await evaluate({ key: "static-on", siteKey, body: { context } }), 400, {
        key: "static-on",
        errorCode: "INVALID_CONTEXT",
      });
    }
    await expectFailure(
      await evaluate({ key: "by-country", siteKey, body: { context: { country: { code: "FR" } } } }),
      400,
      { key: "by-country", errorCode: "INVALID_CONTEXT" },
    );
  });

  it("answers 400 PARSE_ERROR for a body that is not JSON or not an object; a body without context is an empty one", async () => {
    const { siteKey } = await siteWithFlags();
    for (const body of ["", "{context:", "null", "[]", '"x"', "7"]) {
      await expectFailure(await evaluate({ key: "static-on", siteKey, body }), 400, {
        key: "static-on",
        errorCode: "PARSE_ERROR",
      });
    }
    expect((await evaluate({ key: "static-on", siteKey, body: {} })).status).toBe(200);
  });
});

describe("POST /ofrep/v1/evaluate/flags (bulk)", () => {
  it("answers every flag of the site for the context, failures in line, with the record's version", async () => {
    const { siteKey } = await siteWithFlags(FLAGS, 3);
    const res = await evaluate({ siteKey, country: "FR", headers: { "user-agent": PHONE } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      flags: [
        { key: "static-on", value: true, variant: "on", reason: "STATIC" },
        { key: "by-country", value: true, variant: "on", reason: "TARGETING_MATCH" },
        { key: "by-device", value: true, variant: "on", reason: "TARGETING_MATCH" },
        { key: "split", errorCode: "TARGETING_KEY_MISSING", errorDetails: expect.any(String) },
        { key: "killed", value: false, variant: "off", reason: "DISABLED" },
      ],
      metadata: { version: 3 },
    });
    const keyed = await evaluate({ siteKey, body: { context: { targetingKey: "visitor-1" } } });
    const split = ((await keyed.json()) as { flags: { key: string }[] }).flags.find((f) => f.key === "split");
    expect(split).toMatchObject({ reason: "SPLIT" });
  });

  it("tags the answer with the record's version and the context: 304 for a matching If-None-Match", async () => {
    const { siteKey } = await siteWithFlags(FLAGS, 5);
    const first = await evaluate({ siteKey, body: { context: { targetingKey: "v1", plan: "pro" } } });
    const etag = first.headers.get("etag") ?? "";
    expect(etag).toMatch(/^"5-[0-9a-f]{16}"$/);
    // The same context in another order is the same answer.
    const again = await evaluate({
      siteKey,
      body: { context: { plan: "pro", targetingKey: "v1" } },
      headers: { "if-none-match": etag },
    });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    expect(again.headers.get("etag")).toBe(etag);
    expect(again.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    for (const header of [`W/${etag}`, `"other", ${etag}`]) {
      const listed = await evaluate({
        siteKey,
        body: { context: { targetingKey: "v1", plan: "pro" } },
        headers: { "if-none-match": header },
      });
      expect(listed.status).toBe(304);
    }
    // Another visitor, or another country the edge sees, is another answer.
    const other = await evaluate({
      siteKey,
      body: { context: { targetingKey: "v2", plan: "pro" } },
      headers: { "if-none-match": etag },
    });
    expect(other.status).toBe(200);
    expect(other.headers.get("etag")).not.toBe(etag);
    const abroad = await evaluate({
      siteKey,
      country: "JP",
      body: { context: { targetingKey: "v1", plan: "pro" } },
      headers: { "if-none-match": etag },
    });
    expect(abroad.status).toBe(200);
  });

  it("answers a flip once the isolate's cache of the record has expired, and at once where it was published", async () => {
    const { siteKey } = await siteWithFlags([{ ...onOff, key: "launch" }], 1);
    const launch = async () => {
      const res = await evaluate({ siteKey });
      return { etag: res.headers.get("etag"), flags: ((await res.json()) as { flags: unknown[] }).flags };
    };
    const before = await launch();
    expect(before.flags).toEqual([{ key: "launch", value: false, variant: "off", reason: "STATIC" }]);
    // Published from another isolate (the one that ran EdgeAdmin forgets its cache at once):
    // within FLAG_LIMITS.edgeCacheMs this isolate answers from what it read.
    await env.SITES.put(
      flagsKvKey(siteKey),
      JSON.stringify({ version: 2, flags: [flagSchema.parse({ ...onOff, key: "launch", defaultVariant: "on" })] }),
    );
    expect((await launch()).flags).toEqual(before.flags);
    clearSiteCache();
    const after = await launch();
    expect(after.flags).toEqual([{ key: "launch", value: true, variant: "on", reason: "STATIC" }]);
    expect(after.etag).toMatch(/^"2-/);
    await new EdgeAdmin(createExecutionContext(), env).putFlags(siteKey, {
      version: 3,
      flags: [flagSchema.parse({ ...onOff, key: "launch", enabled: false })],
    });
    expect((await launch()).flags).toEqual([{ key: "launch", value: false, variant: "off", reason: "DISABLED" }]);
  });

  it("answers a site without flags with none", async () => {
    const { siteKey } = await makeSite();
    const res = await evaluate({ siteKey });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ flags: [], metadata: { version: 0 } });
  });

  it("answers request-wide failures as OFREP's bulkEvaluationFailure", async () => {
    const { siteKey } = await siteWithFlags();
    await expectFailure(await evaluate({ siteKey, body: "{" }), 400, { errorCode: "PARSE_ERROR" });
    await expectFailure(await evaluate({ siteKey, body: [] }), 400, { errorCode: "PARSE_ERROR" });
    await expectFailure(await evaluate({ siteKey, body: { context: "x" } }), 400, { errorCode: "INVALID_CONTEXT" });
    await expectFailure(await evaluate({ siteKey, body: { context: { targetingKey: 1 } } }), 400, {
      errorCode: "INVALID_CONTEXT",
    });
  });
});

describe("OFREP authentication and CORS", () => {
  it("answers 401 UNAUTHENTICATED without a key, or with one that is no site's", async () => {
    await siteWithFlags();
    for (const siteKey of [null, "no_such_site_key", "bad key!", "x".repeat(500)]) {
      await expectError(await evaluate({ siteKey }), 401, "UNAUTHENTICATED");
      await expectError(await evaluate({ key: "static-on", siteKey }), 401, "UNAUTHENTICATED");
    }
  });

  it("answers 403 ORIGIN_NOT_ALLOWED to a page of another origin; a caller without Origin is not a page", async () => {
    const { siteKey } = await siteWithFlags();
    await expectError(await evaluate({ siteKey, origin: "https://evil.example" }), 403, "ORIGIN_NOT_ALLOWED");
    await expectError(
      await evaluate({ key: "static-on", siteKey, origin: "https://evil.example" }),
      403,
      "ORIGIN_NOT_ALLOWED",
    );
    const server = await evaluate({ key: "static-on", siteKey, origin: null });
    expect(server.status).toBe(200);
    expect(server.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("lets the site's pages read answers and the ETag, and answers their preflight", async () => {
    const { siteKey } = await siteWithFlags();
    const res = await evaluate({ siteKey });
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(res.headers.get("access-control-expose-headers")).toBe("ETag");
    expect(res.headers.get("vary")).toContain("Origin");
    for (const url of [BASE, `${BASE}/static-on`]) {
      const preflight = await SELF.fetch(url, {
        method: "OPTIONS",
        headers: {
          origin: ORIGIN,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type, x-api-key, if-none-match",
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBe(ORIGIN);
      expect(preflight.headers.get("access-control-allow-methods")).toBe("POST");
      expect(preflight.headers.get("access-control-allow-headers")).toBe("Content-Type, X-API-Key, If-None-Match");
    }
  });
});

describe("OFREP limits", () => {
  it("maxContextBytes: refuses a larger body, declared or streamed, with 413 PAYLOAD_TOO_LARGE", async () => {
    const { siteKey } = await siteWithFlags();
    const sized = (bytes: number) => {
      const body = JSON.stringify({ context: { note: "" } });
      return JSON.stringify({ context: { note: "x".repeat(bytes - body.length) } });
    };
    expect((await evaluate({ siteKey, body: sized(FLAG_LIMITS.maxContextBytes) })).status).toBe(200);
    await expectError(
      await evaluate({ siteKey, body: sized(FLAG_LIMITS.maxContextBytes + 1) }),
      413,
      "PAYLOAD_TOO_LARGE",
    );
    const stream = new ReadableStream({
      start(ctrl) {
        ctrl.enqueue(new TextEncoder().encode(sized(FLAG_LIMITS.maxContextBytes + 1)));
        ctrl.close();
      },
    });
    const res = await SELF.fetch(BASE, {
      method: "POST",
      headers: { "x-api-key": siteKey, "content-type": "application/json" },
      body: stream,
    });
    await expectError(res, 413, "PAYLOAD_TOO_LARGE");
  });

  it("maxContextAttributes: refuses a context with more with 400 INVALID_CONTEXT", async () => {
    const { siteKey } = await siteWithFlags();
    const context = (n: number) => ({
      targetingKey: "v",
      ...Object.fromEntries(Array.from({ length: n - 1 }, (_, i) => [`a${i}`, i])),
    });
    expect((await evaluate({ siteKey, body: { context: context(FLAG_LIMITS.maxContextAttributes) } })).status).toBe(
      200,
    );
    await expectFailure(
      await evaluate({ siteKey, body: { context: context(FLAG_LIMITS.maxContextAttributes + 1) } }),
      400,
      { errorCode: "INVALID_CONTEXT" },
    );
  });

  it("maxTargetingKeyLength: refuses a longer key with 400 INVALID_CONTEXT", async () => {
    const { siteKey } = await siteWithFlags();
    const key = (n: number) => ({ context: { targetingKey: "k".repeat(n) } });
    expect((await evaluate({ key: "split", siteKey, body: key(FLAG_LIMITS.maxTargetingKeyLength) })).status).toBe(200);
    await expectFailure(
      await evaluate({ key: "split", siteKey, body: key(FLAG_LIMITS.maxTargetingKeyLength + 1) }),
      400,
      {
        key: "split",
        errorCode: "INVALID_CONTEXT",
      },
    );
  });

  it("rate limits one client of a site, apart from its event budget", async () => {
    const { siteKey } = await siteWithFlags();
    const limit = LIMITS.rateLimit.perClientPer10s;
    const responses: Response[] = [];
    // Fixed 10 s windows: twice the limit plus one is refused at least once (collect.error.test.ts).
    for (let i = 0; i <= 2 * limit; i++) {
      responses.push(await evaluate({ key: "static-on", siteKey, headers: { "cf-connecting-ip": "203.0.113.40" } }));
    }
    const limited = responses.find((r) => r.status === 429);
    expect(limited?.headers.get("retry-after")).toBe("10");
    await expectError(limited as Response, 429, "RATE_LIMITED");
    const other = await evaluate({ key: "static-on", siteKey, headers: { "cf-connecting-ip": "203.0.113.41" } });
    expect(other.status).toBe(200);
  });

  it("edgeCacheMs: an isolate reads a site's record again once it is that old", async () => {
    clearFlagsCache();
    const kv = countingKv(() => JSON.stringify({ version: 1, flags: [] }));
    const now = Date.now();
    const clock = vi.spyOn(Date, "now").mockReturnValue(now);
    await findFlags(kv, "cache_site_0001");
    clock.mockReturnValue(now + FLAG_LIMITS.edgeCacheMs - 1);
    await findFlags(kv, "cache_site_0001");
    expect(kv.reads).toBe(1);
    clock.mockReturnValue(now + FLAG_LIMITS.edgeCacheMs);
    await findFlags(kv, "cache_site_0001");
    expect(kv.reads).toBe(2);
  });

  it("edgeCacheBytes: an isolate keeps at most that many bytes of records, and never one larger", async () => {
    clearFlagsCache();
    const third = Math.floor(FLAG_LIMITS.edgeCacheBytes / 3);
    const padded = (bytes: number) => {
      const text = JSON.stringify({ version: 1, flags: [], pad: "" });
      return JSON.stringify({ version: 1, flags: [], pad: "x".repeat(bytes - text.length) });
    };
    const kv = countingKv(() => padded(third));
    await findFlags(kv, "cache_site_a001");
    await findFlags(kv, "cache_site_b001");
    await findFlags(kv, "cache_site_c001");
    await findFlags(kv, "cache_site_a001");
    await findFlags(kv, "cache_site_b001");
    await findFlags(kv, "cache_site_c001");
    expect(kv.reads).toBe(3);
    // A fourth passes the budget: the cache is emptied and the sites are read again.
    await findFlags(kv, "cache_site_d001");
    await findFlags(kv, "cache_site_a001");
    expect(kv.reads).toBe(5);

    const huge = countingKv(() => padded(FLAG_LIMITS.edgeCacheBytes + 1));
    await findFlags(huge, "cache_site_e001");
    await findFlags(huge, "cache_site_e001");
    expect(huge.reads).toBe(2);
  });
});

/** A KV namespace that answers every key with `text()` and counts its reads. */
function countingKv(text: () => string) {
  const kv = {
    reads: 0,
    async get() {
      kv.reads++;
      return text();
    },
  };
  return kv as unknown as KVNamespace & { reads: number };
}
