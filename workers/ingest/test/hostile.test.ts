/**
 * Hostile input, property-based (issue 10): generated requests against POST /v1/collect, the
 * tracker loader and whatever else a client can reach on this worker. Every answer is below
 * 500, every refusal is the one error shape with a stable code, and no body carries a stack
 * trace or internal detail. Seeded by FC_SEED (test/support/hostile.ts); the count and seed
 * are printed at the end (`--silent=false`, or on failure).
 */
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { uuidv7 } from "@sightline/shared/ids";
import { LIMITS } from "@sightline/shared/limits";
import type { SiteEdgeRecord } from "@sightline/shared/site";
import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import {
  anyMethod,
  bodiless,
  contentType,
  deepJson,
  expectSafeAnswer,
  headerValue,
  hostileString,
  hostileText,
  hostileValue,
  longText,
  malformedJson,
  propertySeed,
  RequestTally,
  type SentRequest,
} from "../../../test/support/hostile.ts";
import worker from "../src/index.ts";
import { makeSite, ORIGIN } from "./helpers.ts";

const L = LIMITS.collect;
const BASE = "https://ingest.test";
const seed = propertySeed();
const tally = new RequestTally("workers/ingest hostile", seed);

/** Runs per property; their sum is the file's request count (one request a run). */
const RUNS = { ingress: 200, collectDeep: 3_300, collectRaw: 2_700, loader: 1_500, anyPath: 1_000 } as const;

let site: SiteEdgeRecord;
let otherSite: SiteEdgeRecord;

beforeAll(async () => {
  site = await makeSite();
  // A site whose key a client knows but whose origins refuse every browser.
  otherSite = await makeSite({ origins: [] });
});

afterAll(() => {
  console.log(tally.summary());
});

/**
 * Requests go to the worker's own fetch handler, in workerd with the real bindings, as the
 * platform calls it; a share also goes through workerd's HTTP ingress (`SELF.fetch`). Not all:
 * under vitest-pool-workers each SELF.fetch costs more than the one before (about 7 ms at
 * first, 60 ms after 300 here; cloudflare/workers-sdk#15446), where the handler stays flat.
 */
async function send(group: string, req: SentRequest, via: "handler" | "self" = "handler"): Promise<void> {
  let body: BodyInit | undefined;
  if (req.body === "stream") {
    // No Content-Length: the body is read chunk by chunk and cut at the limit.
    const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
    let left = Math.ceil((L.maxBodyBytes * 2) / chunk.byteLength);
    body = new ReadableStream({
      pull(ctl) {
        if (left-- > 0) ctl.enqueue(chunk);
        else ctl.close();
      },
    });
  } else {
    body = req.body;
  }
  const request = new Request(req.url, {
    method: req.method,
    headers: req.headers,
    ...(bodiless(req.method) ? {} : { body }),
  });
  let res: Response;
  if (via === "self") {
    res = await SELF.fetch(request);
  } else {
    const ctx = createExecutionContext();
    res = await worker.fetch(request, env, ctx);
    await waitOnExecutionContext(ctx);
  }
  await expectSafeAnswer(res, req);
  tally.add(group, res.status);
}

// ---- client headers ------------------------------------------------------------------------

/** Addresses, mostly distinct, so the per-client limit lets most requests reach deeper code. */
const clientIp = fc.oneof(
  { weight: 6, arbitrary: fc.ipV4() },
  { weight: 2, arbitrary: fc.ipV6() },
  { weight: 1, arbitrary: headerValue(100) },
);

const originHeader = fc.oneof(
  { weight: 24, arbitrary: fc.constant(ORIGIN) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "null",
      "https://evil.example",
      "https://shop.example.evil",
      `${ORIGIN}/`,
      "HTTPS://SHOP.EXAMPLE",
    ),
  },
  { weight: 1, arbitrary: headerValue(300) },
);

const extraHeaders = fc.record(
  {
    "user-agent": fc.oneof(
      { weight: 10, arbitrary: headerValue(300) },
      { weight: 1, arbitrary: longText(16 * 1024).map((s) => s.replace(/[^\x20-\x7e]/g, "u")) },
      {
        weight: 2,
        arbitrary: fc.constantFrom("Googlebot/2.1", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"),
      },
    ),
    "cf-ipcountry": fc.oneof(fc.constantFrom("NL", "XX", "T1", "nl", ""), headerValue(20)),
    "x-forwarded-for": headerValue(100),
    "accept-encoding": fc.oneof(fc.constantFrom("gzip", "br, gzip;q=0", "*"), headerValue(50)),
    "if-none-match": headerValue(80),
    cookie: headerValue(500),
    dnt: fc.constantFrom("1", "0", "yes"),
  },
  { requiredKeys: [] },
);

function headersOf(parts: {
  type?: string;
  origin?: string;
  ip?: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  const h: Record<string, string> = { ...parts.extra };
  if (parts.type !== undefined) h["content-type"] = parts.type;
  if (parts.origin !== undefined) h.origin = parts.origin;
  if (parts.ip !== undefined) h["cf-connecting-ip"] = parts.ip;
  return h;
}

// ---- collect bodies ------------------------------------------------------------------------

/** Timestamps at and past the accepted window's edges. */
function timestamp(now: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 24, arbitrary: fc.integer({ min: now - 60_000, max: now }) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        now - L.maxEventAgeMs,
        now - L.maxEventAgeMs - 1,
        now + L.maxClockSkewMs - 1_000,
        now + L.maxClockSkewMs + 60_000,
        0,
        2 ** 48 - 1,
        Number.MAX_SAFE_INTEGER,
      ),
    },
    { weight: 1, arbitrary: hostileValue(100) },
  );
}

/** Event ids: real UUIDv7 (upper or lower case), minted outside the window, or not ids at all. */
function eventId(now: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 24, arbitrary: fc.integer({ min: now - 60_000, max: now }).map((t) => uuidv7(t)) },
    { weight: 1, arbitrary: fc.integer({ min: now - 60_000, max: now }).map((t) => uuidv7(t).toUpperCase()) },
    { weight: 1, arbitrary: fc.constantFrom(uuidv7(0), uuidv7(2 ** 48 - 1), "00000000-0000-7000-8000-000000000000") },
    { weight: 1, arbitrary: fc.uuid({ version: 7 }) },
    { weight: 1, arbitrary: hostileValue(100) },
  );
}

/** URLs that pass the schema's bounds and stress the path, hash-route and campaign parsing. */
const hostileUrl = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(hostileText, hostileText, hostileText)
      .map(([path, query, hash]) => `${ORIGIN}/${path}?${query}#${hash}`),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(hostileText, hostileText, fc.constantFrom("utm_source", "utm_medium", "utm_campaign", "UTM_SOURCE"))
      .map(([a, b, k]) => `${ORIGIN}/p?${k}=${a}&${k}=${b}&${k}&?${k}=${a}#/${b}?${k}=${a}`),
  },
  { weight: 2, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(`${ORIGIN}/#!/a`, `${ORIGIN}/#/`, `${ORIGIN}#`, "/relative", "//evil.example/x"),
  },
  { weight: 1, arbitrary: fc.constant(`${ORIGIN}/`).map((u) => u + "a".repeat(L.maxUrlLength - u.length)) },
  { weight: 1, arbitrary: longText(L.maxUrlLength) },
  { weight: 1, arbitrary: hostileText },
);

function nearlyValidEvent(now: number): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    {
      type: fc.oneof({ weight: 30, arbitrary: fc.constant("pageview") }, { weight: 1, arbitrary: hostileValue(50) }),
      id: eventId(now),
      ts: timestamp(now),
      url: fc.oneof({ weight: 30, arbitrary: hostileUrl }, { weight: 1, arbitrary: hostileValue(5_000) }),
      referrer: fc.oneof(
        { weight: 10, arbitrary: hostileUrl },
        { weight: 10, arbitrary: hostileText },
        { weight: 1, arbitrary: hostileValue(3_000) },
      ),
      title: fc.oneof(
        { weight: 20, arbitrary: hostileText },
        { weight: 1, arbitrary: longText(L.maxTitleLength + 1) },
        { weight: 1, arbitrary: hostileValue(1_000) },
      ),
      extra: hostileValue(500),
    },
    { requiredKeys: ["type", "id", "ts", "url"] },
  );
}

/**
 * A batch that mostly passes the wire schema for a real site, so its events reach path,
 * referrer, campaign, device and visitor code and the Queue; each field may instead be hostile.
 */
function nearlyValidBatch(now: number): fc.Arbitrary<unknown> {
  const key = fc.oneof(
    { weight: 30, arbitrary: fc.constant(() => site.siteKey) },
    { weight: 1, arbitrary: fc.constant(() => otherSite.siteKey) },
    { weight: 2, arbitrary: hostileValue(100).map((v) => () => v) },
  );
  return fc
    .record(
      {
        v: fc.oneof({ weight: 30, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: hostileValue(20) }),
        siteKey: key,
        sessionId: fc.oneof(
          { weight: 30, arbitrary: fc.constant(null).map(() => uuidv7()) },
          { weight: 1, arbitrary: hostileValue(100) },
        ),
        sentAt: timestamp(now),
        events: fc.oneof(
          { weight: 16, arbitrary: fc.array(nearlyValidEvent(now), { minLength: 1, maxLength: 5 }) },
          { weight: 1, arbitrary: fc.array(nearlyValidEvent(now), { minLength: 95, maxLength: 105 }) },
          { weight: 1, arbitrary: hostileValue(1_000) },
        ),
      },
      { requiredKeys: ["v", "siteKey", "events"] },
    )
    .map((b) => ({ ...b, siteKey: b.siteKey() }));
}

/** Serialised: JSON.stringify writes lone surrogates as \u escapes, which JSON.parse restores. */
const collectDeepRequest = fc
  .record({
    batch: nearlyValidBatch(Date.now()),
    type: fc.oneof(
      { weight: 24, arbitrary: fc.constantFrom("text/plain;charset=UTF-8", "application/json") },
      { weight: 1, arbitrary: contentType },
    ),
    origin: originHeader,
    ip: clientIp,
    extra: extraHeaders,
    method: fc.oneof({ weight: 30, arbitrary: fc.constant("POST") }, { weight: 1, arbitrary: anyMethod }),
  })
  .map(
    ({ batch, type, origin, ip, extra, method }): SentRequest => ({
      method,
      url: `${BASE}/v1/collect`,
      headers: headersOf({ type, origin, ip, extra }),
      body: JSON.stringify(batch),
    }),
  );

/** Bodies that are not a batch at all: malformed, binary, deep, oversized, streamed. */
const rawBody = fc.oneof(
  { weight: 4, arbitrary: malformedJson },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2_000 }) },
  { weight: 1, arbitrary: deepJson.map((d) => `{"v":1,"siteKey":${JSON.stringify("")},"events":${d}}`) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: L.maxBodyBytes - 16, max: L.maxBodyBytes * 4 })
      .map((n) => `{"v":1,"pad":"${"x".repeat(Math.max(0, n - 16))}"}`),
  },
  { weight: 1, arbitrary: fc.constant("stream" as const) },
  { weight: 2, arbitrary: hostileValue(70_000).map((v) => JSON.stringify(v) ?? "") },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: L.maxEventsPerBatch + 1, max: 2_000 })
      .map((n) => `{"events":[${"0,".repeat(n - 1)}0]}`),
  },
);

const collectRawRequest = fc
  .record({
    body: rawBody,
    type: fc.oneof(fc.constantFrom("text/plain", "application/json"), contentType, fc.constant(undefined)),
    origin: originHeader,
    ip: clientIp,
    extra: extraHeaders,
    method: fc.oneof({ weight: 6, arbitrary: fc.constant("POST") }, { weight: 1, arbitrary: anyMethod }),
  })
  .map(
    ({ body, type, origin, ip, extra, method }): SentRequest => ({
      method,
      url: `${BASE}/v1/collect`,
      headers: headersOf({ type, origin, ip, extra }),
      body,
    }),
  );

// ---- the loader and everything else ----------------------------------------------------------

const loaderRequest = fc
  .record({
    file: fc.oneof(
      { weight: 3, arbitrary: fc.constant(null).map(() => `${site.siteKey}.js`) },
      { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{0,64}\.js$/) },
      { weight: 2, arbitrary: hostileString(5_000).map((s) => `${s}.js`) },
      { weight: 1, arbitrary: hostileText },
      {
        weight: 1,
        arbitrary: fc.constantFrom("%2e%2e%2f.js", "..%2f..%2fx.js", "a%00.js", "%E0%A4%A.js", ".js", "a.js.js"),
      },
    ),
    dir: fc.oneof(
      { weight: 6, arbitrary: fc.constant("/s/") },
      { weight: 1, arbitrary: fc.constantFrom("/t/core.", "/S/", "/s//", "//s/") },
    ),
    query: fc.option(hostileText, { nil: undefined }),
    method: fc.oneof({ weight: 6, arbitrary: fc.constant("GET") }, { weight: 2, arbitrary: anyMethod }),
    extra: extraHeaders,
  })
  .map(
    ({ file, dir, query, method, extra }): SentRequest => ({
      method,
      // The URL parser percent-encodes what needs it; a lone surrogate becomes U+FFFD.
      url: `${BASE}${dir}${file}${query === undefined ? "" : `?${query}`}`,
      headers: extra,
      body: bodiless(method) ? undefined : "x",
    }),
  );

const anyPathRequest = fc
  .record({
    path: fc.oneof(
      fc.constantFrom(
        "/",
        "/health",
        "/health/ready",
        "/v1/collect/",
        "/v1/collect/x",
        "/v1/record",
        "/ofrep/v1/evaluate/flags",
        "/v1",
        "/.env",
      ),
      hostileString(8_000).map((s) => `/${s}`),
      fc.webPath(),
    ),
    method: anyMethod,
    type: contentType,
    body: malformedJson,
    extra: extraHeaders,
  })
  .map(
    ({ path, method, type, body, extra }): SentRequest => ({
      method,
      url: `${BASE}${path}`,
      headers: { ...extra, "content-type": type },
      body: bodiless(method) ? undefined : body,
    }),
  );

describe(`hostile input (property-based, FC_SEED=${seed})`, () => {
  const params = { seed } as const;

  it(`through workerd's HTTP ingress, a mix of all below (${RUNS.ingress} requests)`, async () => {
    const any = fc.oneof(collectDeepRequest, collectRawRequest, loaderRequest, anyPathRequest);
    await fc.assert(
      fc.asyncProperty(any, (req) => send("ingress", req, "self")),
      { ...params, numRuns: RUNS.ingress },
    );
  }, 120_000);

  it(`POST /v1/collect, nearly valid batches with hostile fields (${RUNS.collectDeep} requests)`, async () => {
    await fc.assert(
      fc.asyncProperty(collectDeepRequest, (req) => send("collect:batch", req)),
      { ...params, numRuns: RUNS.collectDeep },
    );
  }, 120_000);

  it(`POST /v1/collect, malformed, binary, deep and oversized bodies (${RUNS.collectRaw} requests)`, async () => {
    await fc.assert(
      fc.asyncProperty(collectRawRequest, (req) => send("collect:raw", req)),
      { ...params, numRuns: RUNS.collectRaw },
    );
  }, 120_000);

  it(`GET /s/<siteKey>.js and /t/core.<hash>.js with hostile keys, methods and headers (${RUNS.loader} requests)`, async () => {
    await fc.assert(
      fc.asyncProperty(loaderRequest, (req) => send("loader", req)),
      { ...params, numRuns: RUNS.loader },
    );
  }, 120_000);

  it(`any path, any method (${RUNS.anyPath} requests)`, async () => {
    await fc.assert(
      fc.asyncProperty(anyPathRequest, (req) => send("other", req)),
      { ...params, numRuns: RUNS.anyPath },
    );
  }, 120_000);
});
