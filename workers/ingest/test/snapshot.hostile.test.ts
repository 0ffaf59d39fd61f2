/**
 * The snapshot routes against hostile clients. Targeted: a grant carried to another site, a
 * recording grant presented as a snapshot grant, uploads from a foreign page or none, each
 * refused with its code and nothing stored. Property-based, as record.hostile.test.ts: generated
 * grant requests and uploads (spoiled headers, forged and malformed grants, hostile urls and
 * widths, random, truncated and bomb payloads) are each answered below 500 in the one error
 * shape, and whatever lands in R2 is a snapshot. Seeded by FC_SEED as the other hostile tests.
 */
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { type SnapshotGrantResponse, snapshotSitePrefix } from "@sightline/shared/heatmap";
import { LIMITS } from "@sightline/shared/limits";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  expectSafeAnswer,
  headerValue,
  hostileString,
  hostileValue,
  malformedJson,
  propertySeed,
  RequestTally,
  type SentRequest,
} from "../../../test/support/hostile.ts";
import worker from "../src/index.ts";
import { signGrant } from "../src/lib/grant.ts";
import { type ErrorShape, makeSite, ORIGIN } from "./helpers.ts";
import { concat, gzip } from "./record-support.ts";

const S = LIMITS.snapshot;
const BASE = "https://ingest.test";
const PAGE = `${ORIGIN}/pricing`;
const SNAPSHOT = JSON.stringify({ node: { type: 0, childNodes: [], id: 1 }, width: 1440, height: 3000 });
const seed = propertySeed();
const tally = new RequestTally("workers/ingest snapshot hostile", seed);
const RUNS = { grant: 120, upload: 160 } as const;

afterAll(() => {
  console.log(tally.summary());
});

async function askGrant(siteKey: string, vw = 1440, origin = ORIGIN): Promise<SnapshotGrantResponse> {
  const res = await SELF.fetch(`${BASE}/v1/snapshot/grant`, {
    method: "POST",
    headers: { "content-type": "text/plain", origin },
    body: JSON.stringify({ siteKey, url: PAGE, vw }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as SnapshotGrantResponse;
}

async function grantOf(siteKey: string, vw = 1440): Promise<string> {
  const answer = await askGrant(siteKey, vw);
  if (!answer.snapshot) throw new Error("no grant");
  return answer.grant;
}

async function uploadBody(siteKey: string, grant: string, payload: Uint8Array, vw = 1440): Promise<Uint8Array> {
  const header = new TextEncoder().encode(`${JSON.stringify({ v: 1, siteKey, grant, url: PAGE, vw })}\n`);
  return concat(header, payload);
}

function upload(body: Uint8Array, origin: string | null = ORIGIN) {
  const headers: Record<string, string> = { "content-type": "application/octet-stream" };
  if (origin !== null) headers.origin = origin;
  return SELF.fetch(`${BASE}/v1/snapshot`, { method: "POST", headers, body });
}

async function refused(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(((await res.json()) as ErrorShape).error.code).toBe(code);
}

async function storedKeys(siteId: string): Promise<string[]> {
  return (await env.RECORDINGS.list({ prefix: snapshotSitePrefix(siteId) })).objects.map((o) => o.key);
}

describe("snapshot uploads that are not this visitor's to make", () => {
  it("refuses one site's grant on another site, and a recording grant presented as a snapshot grant", async () => {
    const a = await makeSite();
    const b = await makeSite();
    const payload = await gzip(SNAPSHOT);
    const grantA = await grantOf(a.siteKey);
    // Site B's key in the header with site A's grant, for the same page and class.
    await refused(await upload(await uploadBody(b.siteKey, grantA, payload)), 403, "SNAPSHOT_NOT_GRANTED");
    // A grant the edge signs for a recorded session opens that session, not a page snapshot.
    const secret = (env as unknown as { RECORDING_GRANT_SECRET: string }).RECORDING_GRANT_SECRET;
    const recording = await signGrant(secret, b.siteKey, crypto.randomUUID(), Date.now() + S.grantTtlMs);
    await refused(await upload(await uploadBody(b.siteKey, recording, payload)), 403, "SNAPSHOT_NOT_GRANTED");
    expect(await storedKeys(b.siteId)).toEqual([]);
    // Site A's grant is untouched by the attempt: its visitor still uploads.
    expect((await upload(await uploadBody(a.siteKey, grantA, payload))).status).toBe(201);
    expect(await storedKeys(a.siteId)).toHaveLength(1);
  });

  it("refuses a granted upload sent from a foreign page or with no Origin, and an unknown site key", async () => {
    const site = await makeSite();
    const body = await uploadBody(site.siteKey, await grantOf(site.siteKey), await gzip(SNAPSHOT));
    await refused(await upload(body, "https://evil.example"), 403, "ORIGIN_NOT_ALLOWED");
    await refused(await upload(body, null), 403, "ORIGIN_NOT_ALLOWED");
    const unknown = await uploadBody("key_unknown_000000", "x.y", await gzip(SNAPSHOT));
    await refused(await upload(unknown), 404, "UNKNOWN_SITE");
    expect(await storedKeys(site.siteId)).toEqual([]);
  });

  it("answers preflights for both routes with the page's origin", async () => {
    for (const path of ["/v1/snapshot/grant", "/v1/snapshot"]) {
      const res = await SELF.fetch(`${BASE}${path}`, {
        method: "OPTIONS",
        headers: { origin: ORIGIN, "access-control-request-method": "POST" },
      });
      expect(res.status, path).toBeLessThan(300);
      expect(res.headers.get("access-control-allow-origin"), path).toBe(ORIGIN);
    }
  });
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
      { weight: 8, arbitrary: fc.constantFrom("text/plain", "application/octet-stream", "application/json") },
      { weight: 1, arbitrary: fc.constantFrom("multipart/form-data", "x/y", "") },
    ),
    "sec-gpc": fc.constantFrom("1", "0"),
    dnt: fc.constantFrom("1", "0"),
    "cf-connecting-ip": fc.ipV4(),
  },
  { requiredKeys: ["content-type", "cf-connecting-ip"] },
);

const url = fc.oneof(
  { weight: 4, arbitrary: fc.constant(PAGE) },
  { weight: 2, arbitrary: hostileString(3_000).map((s) => `${ORIGIN}/${s}`) },
  { weight: 1, arbitrary: hostileString(3_000) },
);
const vw = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: LIMITS.heatmap.maxViewportPx }) },
  { weight: 1, arbitrary: hostileValue(50) },
);

const px = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: LIMITS.heatmap.maxPagePx }) },
  { weight: 1, arbitrary: hostileValue(20) },
);

describe("snapshot routes under hostile input", () => {
  it(`POST /v1/snapshot/grant (${RUNS.grant} requests)`, async () => {
    const site = await makeSite();
    const body = fc.oneof(
      malformedJson,
      hostileValue(5_000).map((v) => JSON.stringify(v) ?? ""),
      fc
        .record({ siteKey: fc.oneof(fc.constant(site.siteKey), hostileString(200)), url, vw })
        .map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(headers, body, async (h, b) => {
        await send("grant", { method: "POST", url: `${BASE}/v1/snapshot/grant`, headers: h, body: b });
      }),
      { numRuns: RUNS.grant, seed },
    );
  });

  it(`POST /v1/snapshot (${RUNS.upload} requests), and only snapshots land`, async () => {
    const site = await makeSite();
    // Granted visitors' (grant, width) pairs, one per device class; and forged or foreign ones.
    const widths = [1440, 390, 800];
    const grants: [string, unknown][] = [];
    for (const w of widths) grants.push([await grantOf(site.siteKey, w), w]);
    const granted = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...grants) },
      { weight: 1, arbitrary: fc.tuple(hostileString(600), vw) },
      {
        weight: 1,
        arbitrary: fc.tuple(
          fc.string({ maxLength: 80 }).map((s) => `${s}.${grants[0]?.[0].split(".")[1]}`),
          vw,
        ),
      },
    );
    const payload = fc.oneof(
      // Objects of hostile values shaped like a snapshot: what a well-formed upload of any content looks like.
      {
        weight: 6,
        arbitrary: fc
          .record({
            node: fc.oneof(fc.dictionary(hostileString(50), hostileValue(500)), hostileValue(500)),
            width: px,
            height: px,
          })
          .map((o) => JSON.stringify(o)),
      },
      { weight: 2, arbitrary: hostileValue(2_000).map((v) => JSON.stringify(v) ?? "") },
      { weight: 2, arbitrary: fc.uint8Array({ maxLength: 2_000 }) },
      { weight: 1, arbitrary: fc.constant(new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xff])) },
      { weight: 1, arbitrary: fc.constant("bomb" as const) },
    );
    const spoil = fc.oneof(
      { weight: 5, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constant("no newline" as const) },
      { weight: 1, arbitrary: hostileValue(2_000) },
    );
    const bomb = await gzip(`{"node":{},"width":1,"height":1,"pad":"${" ".repeat(S.maxInflatedBytes)}"}`);
    await fc.assert(
      fc.asyncProperty(headers, granted, url, payload, spoil, async (h, [g, w], u, p, x) => {
        const bytes =
          p === "bomb" ? bomb : typeof p === "string" ? await gzip(p) : p instanceof Uint8Array ? p : new Uint8Array();
        const header =
          x === "no newline"
            ? JSON.stringify({ v: 1, siteKey: site.siteKey, grant: g, url: u, vw: w })
            : `${JSON.stringify(x === undefined ? { v: 1, siteKey: site.siteKey, grant: g, url: u, vw: w } : x) ?? ""}\n`;
        const body = concat(new TextEncoder().encode(header), bytes);
        await send("upload", { method: "POST", url: `${BASE}/v1/snapshot`, headers: h, body });
      }),
      { numRuns: RUNS.upload, seed },
    );

    // Whatever was accepted is a gzipped {node, width, height} with its page's metadata.
    const listed = await env.RECORDINGS.list({ prefix: snapshotSitePrefix(site.siteId), include: ["customMetadata"] });
    for (const o of listed.objects) {
      const object = await env.RECORDINGS.get(o.key);
      const text = await new Response(object?.body.pipeThrough(new DecompressionStream("gzip"))).text();
      const v = JSON.parse(text) as { node: unknown; width: number; height: number };
      expect(typeof v.node).toBe("object");
      expect(o.customMetadata).toMatchObject({ width: String(v.width), height: String(v.height) });
    }
  });
});
