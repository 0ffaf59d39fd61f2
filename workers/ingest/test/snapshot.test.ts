/**
 * Page snapshots at the edge: who is asked to take one (heatmaps on, consent, no fresh
 * snapshot, no other grant running), and what an upload must be to land in R2.
 */
import { env, SELF } from "cloudflare:test";
import { type SnapshotGrantResponse, snapshotKey, snapshotPrefix } from "@sightline/shared/heatmap";
import { LIMITS } from "@sightline/shared/limits";
import { siteKvKey } from "@sightline/shared/site";
import { describe, expect, it } from "vitest";
import { signGrant, snapshotSubject } from "../src/lib/grant.ts";
import { clearSiteCache } from "../src/lib/sites.ts";
import { type ErrorShape, makeSite, ORIGIN } from "./helpers.ts";

const S = LIMITS.snapshot;
const PAGE = `${ORIGIN}/pricing?plan=pro#faq`;

function askGrant(siteKey: string, init: { url?: string; vw?: number; headers?: Record<string, string> } = {}) {
  return SELF.fetch("https://ingest.test/v1/snapshot/grant", {
    method: "POST",
    headers: { "content-type": "text/plain", origin: ORIGIN, ...init.headers },
    body: JSON.stringify({ siteKey, url: init.url ?? PAGE, vw: init.vw ?? 1440 }),
  });
}

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const SNAPSHOT = JSON.stringify({ node: { type: 0, childNodes: [], id: 1 }, width: 1440, height: 3000 });

async function upload(siteKey: string, grant: string, payload: Uint8Array, init: { url?: string; vw?: number } = {}) {
  const header = new TextEncoder().encode(
    `${JSON.stringify({ v: 1, siteKey, grant, url: init.url ?? PAGE, vw: init.vw ?? 1440 })}\n`,
  );
  const body = new Uint8Array(header.byteLength + payload.byteLength);
  body.set(header);
  body.set(payload, header.byteLength);
  return SELF.fetch("https://ingest.test/v1/snapshot", {
    method: "POST",
    headers: { "content-type": "application/octet-stream", origin: ORIGIN },
    body,
  });
}

/** A valid snapshot payload of exactly `bytes` bytes before gzip. */
function inflatingTo(bytes: number): string {
  const head = '{"node":{"type":0,"childNodes":[],"id":1},"width":1440,"height":3000,"pad":"';
  return `${head}${"a".repeat(bytes - head.length - 2)}"}`;
}

/** Text of `n` characters that gzip cannot shrink much (a fixed LCG: the same on every run). */
function noise(n: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  let x = 12345;
  let out = "";
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out += alphabet[x >>> 26];
  }
  return out;
}

/**
 * A granted upload of `/pricing` whose whole body is exactly `bytes` long: a snapshot padded
 * with noise until its gzip is a little short, then the header's query string fills the rest.
 */
async function uploadOfExactly(siteKey: string, grant: string, bytes: number) {
  const headerOf = (url: string) => `${JSON.stringify({ v: 1, siteKey, grant, url, vw: 1440 })}\n`;
  const room = bytes - new TextEncoder().encode(headerOf(`${ORIGIN}/pricing?`)).byteLength;
  const pad = noise(Math.ceil(room / 0.74));
  let n = Math.floor(room / 0.76);
  for (let tries = 0; tries < 8; tries++) {
    const payload = await gzip(
      `{"node":{"type":0,"childNodes":[],"id":1},"width":1440,"height":3000,"pad":"${pad.slice(0, n)}"}`,
    );
    const fill = room - payload.byteLength;
    if (fill >= 0 && fill <= 1_500) {
      const header = new TextEncoder().encode(headerOf(`${ORIGIN}/pricing?${"q".repeat(fill)}`));
      expect(header.byteLength + payload.byteLength).toBe(bytes);
      const body = new Uint8Array(bytes);
      body.set(header);
      body.set(payload, header.byteLength);
      return SELF.fetch("https://ingest.test/v1/snapshot", {
        method: "POST",
        headers: { "content-type": "application/octet-stream", origin: ORIGIN },
        body,
      });
    }
    n += Math.floor((fill - 700) / 0.76);
  }
  throw new Error("could not size the payload");
}

async function stored(siteId: string, device: "desktop" | "mobile" = "desktop") {
  const listed = await env.RECORDINGS.list({
    prefix: await snapshotPrefix(siteId, device, "/pricing"),
    include: ["customMetadata"],
  });
  return listed.objects;
}

async function refused(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(((await res.json()) as ErrorShape).error.code).toBe(code);
}

describe("POST /v1/snapshot/grant", () => {
  it("asks one visitor per page and device class, not the next while its grant runs, nor once a snapshot is fresh", async () => {
    const site = await makeSite();
    const first = (await (await askGrant(site.siteKey)).json()) as SnapshotGrantResponse;
    expect(first).toMatchObject({ snapshot: true, maskAllText: false });
    // The second visitor of the same page and class: another one is on it.
    expect(await (await askGrant(site.siteKey)).json()).toEqual({ snapshot: false });
    // Another device class of the same page, or the same page under another query, is its own question.
    expect(await (await askGrant(site.siteKey, { vw: 390 })).json()).toMatchObject({ snapshot: true });
    expect(await (await askGrant(site.siteKey, { url: `${ORIGIN}/pricing?x=1` })).json()).toEqual({ snapshot: false });

    if (!first.snapshot) throw new Error("no grant");
    const res = await upload(site.siteKey, first.grant, await gzip(SNAPSHOT));
    expect(res.status).toBe(201);
    expect(await (await askGrant(site.siteKey)).json()).toEqual({ snapshot: false });
  });

  it("asks no one where the site has heatmaps off, or the visitor sends GPC or DNT", async () => {
    const off = await makeSite({ heatmaps: false });
    expect(await (await askGrant(off.siteKey)).json()).toEqual({ snapshot: false });
    const site = await makeSite();
    expect(await (await askGrant(site.siteKey, { headers: { "sec-gpc": "1" } })).json()).toEqual({ snapshot: false });
    expect(await (await askGrant(site.siteKey, { headers: { dnt: "1" } })).json()).toEqual({ snapshot: false });
    expect(await (await askGrant(site.siteKey)).json()).toMatchObject({ snapshot: true });
  });

  it("refuses an unknown site, a foreign origin and a bad body", async () => {
    const site = await makeSite();
    await refused(await askGrant("no_such_site_key"), 404, "UNKNOWN_SITE");
    const foreign = await SELF.fetch("https://ingest.test/v1/snapshot/grant", {
      method: "POST",
      headers: { "content-type": "text/plain", origin: "https://evil.example" },
      body: JSON.stringify({ siteKey: site.siteKey, url: PAGE, vw: 1440 }),
    });
    await refused(foreign, 403, "ORIGIN_NOT_ALLOWED");
    await refused(await askGrant(site.siteKey, { vw: LIMITS.heatmap.maxViewportPx + 1 }), 400, "VALIDATION_FAILED");
  });
});

describe("POST /v1/snapshot", () => {
  it("stores the snapshot gzipped with its page and size, newest first, and drops one whose successor is old", async () => {
    const site = await makeSite();
    const prefix = await snapshotPrefix(site.siteId, "desktop", "/pricing");
    // Three older snapshots. The newest of them is superseded by the upload (kept); the next is
    // superseded by one a minute short of keepPreviousMs old (kept); the oldest by one past it (goes).
    const now = Date.now();
    const inside = now - S.keepPreviousMs + 60_000;
    const past = now - S.keepPreviousMs - 10_000;
    await env.RECORDINGS.put(snapshotKey(prefix, inside), "recent");
    await env.RECORDINGS.put(snapshotKey(prefix, past), "superseded a minute short of the limit");
    await env.RECORDINGS.put(snapshotKey(prefix, past - 10_000), "superseded past the limit");
    const grant = (await (await askGrant(site.siteKey)).json()) as SnapshotGrantResponse;
    if (!grant.snapshot) throw new Error("no grant");
    const res = await upload(site.siteKey, grant.grant, await gzip(SNAPSHOT));
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ path: "/pricing", device: "desktop" });
    await expect.poll(async () => (await stored(site.siteId)).length, { timeout: 5_000 }).toBe(3);
    expect((await stored(site.siteId)).slice(1).map((o) => o.key)).toEqual([
      snapshotKey(prefix, inside),
      snapshotKey(prefix, past),
    ]);
    // A grant stores one snapshot: replayed, it is refused and nothing more is stored.
    await refused(await upload(site.siteKey, grant.grant, await gzip(SNAPSHOT)), 403, "SNAPSHOT_NOT_GRANTED");
    expect(await stored(site.siteId)).toHaveLength(3);
    const [newest] = await stored(site.siteId);
    expect(newest?.customMetadata).toMatchObject({
      path: "/pricing",
      device: "desktop",
      width: "1440",
      height: "3000",
    });
    const body = await env.RECORDINGS.get(newest?.key ?? "");
    const text = await new Response(body?.body.pipeThrough(new DecompressionStream("gzip"))).text();
    expect(JSON.parse(text)).toEqual(JSON.parse(SNAPSHOT));
  });

  it("refuses uploads without a grant for this page and device class, and stores nothing", async () => {
    const site = await makeSite();
    const payload = await gzip(SNAPSHOT);
    const secret = (env as unknown as { RECORDING_GRANT_SECRET: string }).RECORDING_GRANT_SECRET;
    const subject = snapshotSubject("desktop", "/pricing");
    // No grant at all is not the snapshot contract.
    await refused(await upload(site.siteKey, "", payload), 400, "VALIDATION_FAILED");
    await refused(await upload(site.siteKey, "forged.grant", payload), 403, "SNAPSHOT_NOT_GRANTED");
    const expired = await signGrant(secret, site.siteKey, subject, Date.now() - 1);
    await refused(await upload(site.siteKey, expired, payload), 403, "SNAPSHOT_NOT_GRANTED");
    const otherPage = await signGrant(secret, site.siteKey, snapshotSubject("desktop", "/other"), Date.now() + 60_000);
    await refused(await upload(site.siteKey, otherPage, payload), 403, "SNAPSHOT_NOT_GRANTED");
    const good = await signGrant(secret, site.siteKey, subject, Date.now() + 60_000);
    // The grant is for desktop; a phone-width upload of the same page is another class.
    await refused(await upload(site.siteKey, good, payload, { vw: 390 }), 403, "SNAPSHOT_NOT_GRANTED");
    // Signed right but never handed out by the site's index (or already replaced there).
    await refused(await upload(site.siteKey, good, payload), 403, "SNAPSHOT_NOT_GRANTED");
    // A grant expires at its expiry: one signed for exactly now is already refused.
    const edge = await signGrant(secret, site.siteKey, subject, Date.now());
    await refused(await upload(site.siteKey, edge, payload), 403, "SNAPSHOT_NOT_GRANTED");
    expect(await stored(site.siteId)).toEqual([]);
    expect(await stored(site.siteId, "mobile")).toEqual([]);
  });

  it("refuses oversize bodies, zip bombs and payloads that are not a snapshot", async () => {
    const site = await makeSite();
    const secret = (env as unknown as { RECORDING_GRANT_SECRET: string }).RECORDING_GRANT_SECRET;
    const grant = await signGrant(secret, site.siteKey, snapshotSubject("desktop", "/pricing"), Date.now() + 60_000);
    await refused(await upload(site.siteKey, grant, new Uint8Array(S.maxBytes + 1)), 413, "PAYLOAD_TOO_LARGE");
    // One byte past maxInflatedBytes (the next test lands one of exactly that size).
    const bomb = await gzip(inflatingTo(S.maxInflatedBytes + 1));
    expect(bomb.byteLength).toBeLessThan(S.maxBytes);
    await refused(await upload(site.siteKey, grant, bomb), 413, "PAYLOAD_TOO_LARGE");
    for (const bad of ["not json", "[1,2]", '{"node":{},"width":0,"height":10}', ' {"node":{},"width":1,"height":1}']) {
      await refused(await upload(site.siteKey, grant, await gzip(bad)), 400, "VALIDATION_FAILED");
    }
    await refused(await upload(site.siteKey, grant, new TextEncoder().encode("plain")), 400, "VALIDATION_FAILED");
    expect(await stored(site.siteId)).toEqual([]);
  });

  it("takes a body of exactly maxBytes, and a payload inflating to exactly maxInflatedBytes", async () => {
    const site = await makeSite();
    const big = (await (await askGrant(site.siteKey)).json()) as SnapshotGrantResponse;
    if (!big.snapshot) throw new Error("no grant");
    expect((await uploadOfExactly(site.siteKey, big.grant, S.maxBytes)).status).toBe(201);

    const deep = (await (await askGrant(site.siteKey, { vw: 390 })).json()) as SnapshotGrantResponse;
    if (!deep.snapshot) throw new Error("no grant");
    const text = inflatingTo(S.maxInflatedBytes);
    expect(text.length).toBe(S.maxInflatedBytes);
    expect((await upload(site.siteKey, deep.grant, await gzip(text), { vw: 390 })).status).toBe(201);
    expect(await stored(site.siteId)).toHaveLength(1);
    expect(await stored(site.siteId, "mobile")).toHaveLength(1);
  });
});

describe("a site that turns heatmaps off", () => {
  it("stores nothing more, even with a grant handed out before", async () => {
    const site = await makeSite();
    const grant = (await (await askGrant(site.siteKey)).json()) as SnapshotGrantResponse;
    if (!grant.snapshot) throw new Error("no grant");
    await env.SITES.put(siteKvKey(site.siteKey), JSON.stringify({ ...site, heatmaps: false }));
    // The edge's per-isolate site cache is this isolate's (the tests run in the worker's).
    clearSiteCache();
    await refused(await upload(site.siteKey, grant.grant, await gzip(SNAPSHOT)), 403, "SNAPSHOT_NOT_GRANTED");
    expect(await stored(site.siteId)).toEqual([]);
  });
});

describe("a deleted site's snapshots", () => {
  it("are neither granted nor taken once its aggregators are emptied, while edge isolates still know the site", async () => {
    const site = await makeSite();
    const grant = (await (await askGrant(site.siteKey)).json()) as SnapshotGrantResponse;
    if (!grant.snapshot) throw new Error("no grant");
    // What deleting the site does to its aggregators (EdgeAdmin.deleteSite); its KV record is
    // left here, as an isolate's cache or a slow KV location would still serve it.
    await env.AGGREGATOR.get(env.AGGREGATOR.idFromName(`${site.siteId}:0`)).purge();
    await refused(await upload(site.siteKey, grant.grant, await gzip(SNAPSHOT)), 403, "SNAPSHOT_NOT_GRANTED");
    expect(await (await askGrant(site.siteKey, { vw: 390 })).json()).toEqual({ snapshot: false });
    expect(await stored(site.siteId)).toEqual([]);
  });
});

describe("the site's snapshot index (shard-0 aggregator)", () => {
  const T = Date.now();
  const index = () => {
    const name = `site_${crypto.randomUUID().replaceAll("-", "")}:0`;
    return { name, stub: env.AGGREGATOR.get(env.AGGREGATOR.idFromName(name)) };
  };

  it("hands out one grant per page for grantTtlMs, and asks again at its expiry", async () => {
    const { name, stub } = index();
    expect(await stub.snapshotGrant(name, "desktop\0/", T)).toBe("granted");
    expect(await stub.snapshotGrant(name, "desktop\0/", T + S.grantTtlMs - 1)).toBe("pending");
    expect(await stub.snapshotGrant(name, "mobile\0/", T + 1)).toBe("granted");
    expect(await stub.snapshotGrant(name, "desktop\0/", T + S.grantTtlMs)).toBe("granted");
  });

  it("lets a grant take the page once, until its expiry; the page is fresh for refreshAfterMs", async () => {
    const { name, stub } = index();
    const page = "desktop\0/pricing";
    expect(await stub.snapshotGrant(name, page, T)).toBe("granted");
    const exp = T + S.grantTtlMs;
    // A grant of another expiry is not this page's grant, and one at its expiry is over.
    expect(await stub.snapshotClaim(name, page, exp + 1, T + 1)).toBeNull();
    expect(await stub.snapshotClaim(name, page, exp, exp)).toBeNull();
    const at = exp - 1;
    expect(await stub.snapshotClaim(name, page, exp, at)).toBe(0);
    expect(await stub.snapshotClaim(name, page, exp, at)).toBeNull();
    expect(await stub.snapshotGrant(name, page, at + S.refreshAfterMs - 1)).toBe("fresh");
    expect(await stub.snapshotGrant(name, page, at + S.refreshAfterMs)).toBe("granted");
  });

  it("gives a grant back when its upload could not be stored", async () => {
    const { name, stub } = index();
    const page = "tablet\0/";
    expect(await stub.snapshotGrant(name, page, T)).toBe("granted");
    const exp = T + S.grantTtlMs;
    expect(await stub.snapshotClaim(name, page, exp, T + 5)).toBe(0);
    await stub.snapshotRelease(name, page, exp, T + 5, 0);
    // As before the claim: not fresh, the same grant running, and it can take the page.
    expect(await stub.snapshotGrant(name, page, T + 6)).toBe("pending");
    expect(await stub.snapshotClaim(name, page, exp, T + 7)).toBe(0);
  });
});
