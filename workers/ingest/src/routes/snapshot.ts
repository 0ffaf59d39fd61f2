/**
 * Page snapshots for heatmaps at the edge (docs/HEATMAPS.md).
 *
 * POST /v1/snapshot/grant: whether this visitor should take the page's snapshot for its device
 * class. Only when the site has heatmaps on, consent allows, the page has no snapshot taken
 * within LIMITS.snapshot.refreshAfterMs, and no other visitor holds a grant for it: the site's
 * shard-0 aggregator keeps that index, one Durable Object call, and this isolate remembers a
 * "no" for a minute so a popular page costs no call per pageview.
 *
 * POST /v1/snapshot: `<SnapshotHeader JSON>\n<gzip of {node, width, height}>` with a grant for
 * that page and device class, good for one upload (the index takes it). Stored in R2 as it
 * came, newest first under the page's prefix; older ones go once their successor is
 * LIMITS.snapshot.keepPreviousMs old.
 */
import { heatDevice } from "@sightline/core/heatmap";
import { errorJson } from "@sightline/http";
import { SightlineError } from "@sightline/shared/errors";
import {
  type SnapshotGrantResponse,
  type SnapshotHeader,
  snapshotGrantRequest,
  snapshotHeader,
  snapshotKey,
  snapshotPrefix,
  snapshotTakenAt,
} from "@sightline/shared/heatmap";
import { LIMITS } from "@sightline/shared/limits";
import { pagePath } from "@sightline/shared/wire";
import type { Context } from "hono";
import { Hono } from "hono";
import { type HonoEnv, recordingEnv } from "../env.ts";
import { gunzipCapped, readBytesCapped, readTextCapped } from "../lib/body.ts";
import { checkGrant, grantExpiresAt, signGrant, snapshotSubject } from "../lib/grant.ts";
import { corsFor, mediaType, preflight } from "../lib/http.ts";
import { siteChecks } from "./record.ts";

const S = LIMITS.snapshot;
const TYPES = ["text/plain", "application/json", "application/octet-stream"];
const NEWLINE = 0x0a;
/**
 * How long this isolate trusts a "fresh" answer for a page, and a "pending" one (another
 * visitor holds the grant): a popular page costs one index call a minute per isolate, not one
 * per pageview. A grant left unused is handed out again at most this much after it expires.
 */
const FRESH_MEMO_MS = 60_000;
const PENDING_MEMO_MS = 60_000;
const MEMO_ENTRIES = 10_000;
/** Site, device and path -> until when this isolate answers "no" without asking the index. */
const memos = new Map<string, number>();

export const snapshot = new Hono<HonoEnv>();
snapshot.options("/grant", preflight);
snapshot.options("/", preflight);

/** The site's snapshot index: its shard-0 aggregator, which all isolates reach. */
function snapshotIndex(c: Context<HonoEnv>, siteId: string) {
  const name = `${siteId}:0`;
  const ns = c.get("env").AGGREGATOR;
  return { name, index: ns.get(ns.idFromName(name)) };
}

const no = (c: Context<HonoEnv>, why: string, cors: Record<string, string>) => {
  c.get("logFields").snapshot = why;
  return c.json({ snapshot: false } satisfies SnapshotGrantResponse, 200, cors);
};

const bad = (c: Context<HonoEnv>, err: unknown, cors: Record<string, string>) => {
  if (err instanceof SightlineError) return errorJson(c, err.code, err.message, cors);
  throw err;
};

snapshot.post("/grant", async (c) => {
  const cors = corsFor(c.req.header("origin"));
  if (!TYPES.includes(mediaType(c))) {
    return errorJson(c, "UNSUPPORTED_MEDIA_TYPE", "Send the request as text/plain or application/json.", cors);
  }
  let json: unknown;
  try {
    json = JSON.parse(await readTextCapped(c.req.raw, LIMITS.recording.maxHeaderBytes));
  } catch (err) {
    if (err instanceof SyntaxError) return errorJson(c, "INVALID_JSON", "The body is not valid JSON.", cors);
    return bad(c, err, cors);
  }
  const parsed = snapshotGrantRequest.safeParse(json);
  if (!parsed.success) return errorJson(c, "VALIDATION_FAILED", "Send {siteKey, url, vw}.", cors);
  const { siteKey, url, vw } = parsed.data;
  const checked = await siteChecks(c, siteKey, cors);
  if (checked instanceof Response) return checked;
  const { site } = checked;
  if (!site.heatmaps) return no(c, "heatmaps off", cors);
  if (c.req.header("sec-gpc") === "1") return no(c, "Global Privacy Control", cors);
  if (site.respectDnt && c.req.header("dnt") === "1") return no(c, "Do Not Track", cors);
  const path = pagePath(url, site);
  if (path === null) return errorJson(c, "VALIDATION_FAILED", "The url is not a page URL.", cors);
  const device = heatDevice(vw);
  const page = `${device}\0${path}`;
  const memo = `${site.siteId}\0${page}`;
  const now = Date.now();
  if ((memos.get(memo) ?? 0) > now) return no(c, "memo", cors);

  const { name, index } = snapshotIndex(c, site.siteId);
  const answer = await index.snapshotGrant(name, page, now);
  if (answer !== "granted") {
    if (memos.size >= MEMO_ENTRIES) memos.clear();
    memos.set(memo, now + (answer === "fresh" ? FRESH_MEMO_MS : PENDING_MEMO_MS));
    return no(c, answer, cors);
  }
  const renv = recordingEnv(c.env);
  const body: SnapshotGrantResponse = {
    snapshot: true,
    grant: await signGrant(renv.RECORDING_GRANT_SECRET, siteKey, snapshotSubject(device, path), now + S.grantTtlMs),
    maskAllText: site.maskAllText,
  };
  return c.json(body, 200, cors);
});

snapshot.post("/", async (c) => {
  const cors = corsFor(c.req.header("origin"));
  if (!TYPES.includes(mediaType(c))) {
    return errorJson(c, "UNSUPPORTED_MEDIA_TYPE", "Send the snapshot as text/plain or application/octet-stream.", cors);
  }
  let body: Uint8Array;
  try {
    body = await readBytesCapped(c.req.raw, S.maxBytes);
  } catch (err) {
    return bad(c, err, cors);
  }
  const max = LIMITS.recording.maxHeaderBytes;
  const nl = body.subarray(0, max + 1).indexOf(NEWLINE);
  if (nl === -1)
    return errorJson(c, "VALIDATION_FAILED", `The header line is missing or longer than ${max} bytes.`, cors);
  let header: SnapshotHeader;
  try {
    const parsed = snapshotHeader.safeParse(JSON.parse(new TextDecoder().decode(body.subarray(0, nl))));
    if (!parsed.success)
      return errorJson(c, "VALIDATION_FAILED", "The header does not match the snapshot contract.", cors);
    header = parsed.data;
  } catch {
    return errorJson(c, "INVALID_JSON", "The header line is not valid JSON.", cors);
  }
  const checked = await siteChecks(c, header.siteKey, cors);
  if (checked instanceof Response) return checked;
  const { site } = checked;
  // Turned off after the grant was handed out: nothing more is stored.
  if (!site.heatmaps) return errorJson(c, "SNAPSHOT_NOT_GRANTED", "Heatmaps are off for this site.", cors);
  const path = pagePath(header.url, site);
  if (path === null) return errorJson(c, "VALIDATION_FAILED", "The url is not a page URL.", cors);
  const device = heatDevice(header.vw);
  const now = Date.now();
  const renv = recordingEnv(c.env);
  const grant = await checkGrant(
    renv.RECORDING_GRANT_SECRET,
    header.grant,
    header.siteKey,
    snapshotSubject(device, path),
    now,
  );
  if (grant !== "ok") {
    c.get("logFields").refused = `grant ${grant}`;
    return errorJson(
      c,
      "SNAPSHOT_NOT_GRANTED",
      `This page's snapshot was not asked of this visitor (grant ${grant}).`,
      cors,
    );
  }

  const payload = body.subarray(nl + 1);
  let meta: { width: number; height: number };
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
      await gunzipCapped(payload, S.maxInflatedBytes),
    );
    meta = checkedSnapshot(text);
  } catch (err) {
    if (err instanceof SightlineError) return errorJson(c, err.code, err.message, cors);
    return errorJson(c, "VALIDATION_FAILED", "The snapshot is not a JSON object of {node, width, height}.", cors);
  }

  // One upload per grant: the index takes the grant before the write (a replay finds it taken).
  const { name, index } = snapshotIndex(c, site.siteId);
  const page = `${device}\0${path}`;
  const expiresAt = grantExpiresAt(header.grant);
  const previous = expiresAt === null ? null : await index.snapshotClaim(name, page, expiresAt, now);
  if (expiresAt === null || previous === null) {
    c.get("logFields").refused = "grant used";
    return errorJson(c, "SNAPSHOT_NOT_GRANTED", "This grant was already used, or another replaced it.", cors);
  }
  const prefix = await snapshotPrefix(site.siteId, device, path);
  try {
    await renv.RECORDINGS.put(snapshotKey(prefix, now), payload, {
      httpMetadata: { contentType: "application/json", contentEncoding: "gzip" },
      customMetadata: { path, device, width: String(meta.width), height: String(meta.height), takenAt: String(now) },
    });
  } catch (err) {
    // Nothing stored: the visitor's grant runs again, and the page is not marked taken.
    c.executionCtx.waitUntil(index.snapshotRelease(name, page, expiresAt, now, previous).catch(() => undefined));
    throw err;
  }
  c.executionCtx.waitUntil(prunePrevious(renv.RECORDINGS, prefix, now));
  return c.json({ path, device, takenAt: new Date(now).toISOString() }, 201, cors);
});

/** The payload's size fields, once it is known to be `{"node": {...}, "width": n, "height": n}`. */
function checkedSnapshot(text: string): { width: number; height: number } {
  // The API streams the object back behind its own fields, so it must open with `{` itself.
  if (!text.startsWith("{")) throw new SyntaxError("not an object");
  const v = JSON.parse(text) as { node?: unknown; width?: unknown; height?: unknown };
  const px = (n: unknown) => typeof n === "number" && Number.isInteger(n) && n > 0 && n <= LIMITS.heatmap.maxPagePx;
  if (typeof v.node !== "object" || v.node === null || !px(v.width) || !px(v.height)) {
    throw new SyntaxError("not a snapshot");
  }
  return { width: v.width as number, height: v.height as number };
}

/** Deletes the snapshots of a page whose next newer one is older than keepPreviousMs; the newest stays. */
async function prunePrevious(bucket: R2Bucket, prefix: string, now: number): Promise<void> {
  const listed = await bucket.list({ prefix, limit: 100 });
  const old: string[] = [];
  for (let i = 1; i < listed.objects.length; i++) {
    const newer = listed.objects[i - 1];
    const o = listed.objects[i];
    if (newer && o && snapshotTakenAt(newer.key) < now - S.keepPreviousMs) old.push(o.key);
  }
  if (old.length > 0) await bucket.delete(old);
}
