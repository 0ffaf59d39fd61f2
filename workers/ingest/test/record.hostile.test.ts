/**
 * Hostile input, property-based, for the recording routes: generated grant requests and chunk
 * uploads (spoiled headers, forged and malformed grants, random and gzip-looking payloads,
 * hostile header fields). Every answer is below 500 and every refusal the one error shape with
 * a stable code. Seeded by FC_SEED as the other hostile tests.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { LIMITS } from "@sightline/shared/limits";
import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import {
  expectSafeAnswer,
  headerValue,
  hostileString,
  hostileText,
  hostileValue,
  malformedJson,
  propertySeed,
  RequestTally,
  type SentRequest,
} from "../../../test/support/hostile.ts";
import worker from "../src/index.ts";
import { ORIGIN } from "./helpers.ts";
import { chunkBody, concat, grantedSession, gzip, summary } from "./record-support.ts";

const R = LIMITS.recording;
const BASE = "https://ingest.test";
const seed = propertySeed();
const tally = new RequestTally("workers/ingest record hostile", seed);
const RUNS = { grant: 150, chunk: 250 } as const;

let granted: Awaited<ReturnType<typeof grantedSession>>;

beforeAll(async () => {
  granted = await grantedSession();
});

afterAll(() => {
  console.log(tally.summary());
});

async function send(group: string, req: SentRequest): Promise<void> {
  const request = new Request(req.url, { method: req.method, headers: req.headers, body: req.body as BodyInit });
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  await expectSafeAnswer(res, req);
  tally.add(group, res.status);
}

const headers = fc.record(
  {
    origin: fc.oneof(
      { weight: 8, arbitrary: fc.constant(ORIGIN) },
      { weight: 1, arbitrary: fc.constant("https://evil.example") },
      { weight: 1, arbitrary: headerValue(200) },
    ),
    "content-type": fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom("text/plain", "application/octet-stream", "text/plain;charset=UTF-8") },
      { weight: 1, arbitrary: fc.constantFrom("application/json", "x/y", "") },
    ),
    "sec-gpc": fc.constantFrom("1", "0"),
    dnt: fc.constantFrom("1", "0"),
    "cf-connecting-ip": fc.ipV4(),
  },
  { requiredKeys: ["content-type", "cf-connecting-ip"] },
);

describe("recording routes under hostile input", () => {
  it(`POST /v1/record/grant (${RUNS.grant} requests)`, async () => {
    const body = fc.oneof(
      malformedJson,
      hostileValue(5_000).map((v) => JSON.stringify(v) ?? ""),
      fc
        .record({
          siteKey: fc.oneof(fc.constant(granted.site.siteKey), hostileString(200)),
          sessionId: fc.oneof(fc.uuid(), hostileText),
        })
        .map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(headers, body, async (h, b) => {
        await send("grant", { method: "POST", url: `${BASE}/v1/record/grant`, headers: h, body: b });
      }),
      { numRuns: RUNS.grant, seed },
    );
  });

  it(`POST /v1/record (${RUNS.chunk} requests)`, async () => {
    const { site, sessionId, grant } = granted;
    const grantValue = fc.oneof(
      { weight: 3, arbitrary: fc.constant(grant) },
      { weight: 1, arbitrary: hostileString(600) },
      { weight: 1, arbitrary: fc.string({ maxLength: 80 }).map((s) => `${s}.${grant.split(".")[1]}`) },
    );
    const payload = fc.oneof(
      // Arrays of hostile values: what a well-formed upload of any content looks like.
      { weight: 6, arbitrary: fc.array(hostileValue(500), { maxLength: 20 }).map((a) => JSON.stringify(a)) },
      { weight: 2, arbitrary: fc.uint8Array({ maxLength: 2_000 }) },
      { weight: 2, arbitrary: hostileString(3_000) },
      { weight: 1, arbitrary: fc.constant(new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xff])) },
      { weight: 1, arbitrary: fc.constant("gzip-bomb" as const) },
    );
    const field = fc.record({
      seq: fc.oneof(
        { weight: 6, arbitrary: fc.nat({ max: R.maxChunksPerSession + 2 }) },
        { weight: 1, arbitrary: hostileValue(50) },
      ),
      encoding: fc.constantFrom("gzip", "identity", "br"),
      referrer: fc.oneof(fc.constant(undefined), hostileString(3_000)),
      extra: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: hostileValue(2_000) }),
      spoilSummary: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    });
    await fc.assert(
      fc.asyncProperty(headers, grantValue, payload, field, async (h, g, p, f) => {
        const bytes =
          p === "gzip-bomb"
            ? await gzip(`[${" ".repeat(R.maxInflatedChunkBytes)}]`)
            : typeof p === "string"
              ? new TextEncoder().encode(p)
              : p;
        let body: Uint8Array;
        if (f.extra !== undefined || f.spoilSummary || typeof f.seq !== "number") {
          const header = {
            v: 1,
            siteKey: site.siteKey,
            sessionId,
            grant: g,
            seq: f.seq,
            encoding: f.encoding,
            referrer: f.referrer,
            summary: f.spoilSummary ? f.extra : summary(),
            ...(f.extra !== undefined ? { extra: f.extra } : {}),
          };
          body = concat(new TextEncoder().encode(`${JSON.stringify(header) ?? ""}\n`), bytes);
        } else {
          body = await chunkBody({
            siteKey: site.siteKey,
            sessionId,
            grant: g,
            seq: f.seq,
            encoding: f.encoding === "identity" ? "identity" : "gzip",
            // A string is gzipped by chunkBody for "gzip"; bytes are sent as they are.
            payload: typeof p === "string" ? p : bytes,
            ...(f.referrer === undefined ? {} : { referrer: f.referrer.slice(0, 2_000) }),
          });
        }
        await send("chunk", { method: "POST", url: `${BASE}/v1/record`, headers: h, body });
      }),
      { numRuns: RUNS.chunk, seed },
    );
  });
});
