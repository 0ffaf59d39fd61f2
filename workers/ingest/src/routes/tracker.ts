/**
 * The tracker as a CDN asset. `GET /s/<siteKey>.js` is the short-lived loader: the site's
 * public config plus a pointer to the core bundle. `GET /t/core.<hash>.js` is the bundle,
 * immutable under its content hash, so browsers and the edge cache it for a year; so are the
 * chunks: `recorder` (the core loads it for sampled sessions only), `interactions` (the loader
 * adds it for sites with heatmaps on) and `snapshot` (the interactions chunk loads it only when
 * the edge asks this visitor for a page's snapshot). The loader of a site with flags also carries
 * its public flags and the code that evaluates them (@sightline/tracker/loader), so
 * `sightline.flag()` answers on first paint; a site without flags gets none of it.
 */
import { errorJson } from "@sightline/http";
import { LIMITS } from "@sightline/shared/limits";
import { FLAG_LIMITS } from "@sightline/shared/limits/flags";
import { siteKeySchema, trackerConfig } from "@sightline/shared/site";
import {
  coreHash,
  coreJs,
  flagsJs,
  interactionsHash,
  interactionsJs,
  recorderHash,
  recorderJs,
  snapshotHash,
  snapshotJs,
} from "@sightline/tracker/bundle";
import { loaderScript } from "@sightline/tracker/loader";
import { Hono } from "hono";
import type { HonoEnv } from "../env.ts";
import { edgeAttributes, findFlags } from "../lib/flags.ts";
import { findSite } from "../lib/sites.ts";

const JS = "application/javascript; charset=utf-8";
export const corePath = `/t/core.${coreHash}.js`;
export const recorderPath = `/t/recorder.${recorderHash}.js`;
export const interactionsPath = `/t/interactions.${interactionsHash}.js`;
export const snapshotPath = `/t/snapshot.${snapshotHash}.js`;

export const tracker = new Hono<HonoEnv>();

tracker.get("/s/:file{[A-Za-z0-9_-]+\\.js}", async (c) => {
  const siteKey = c.req.param("file").slice(0, -3);
  if (!siteKeySchema.safeParse(siteKey).success) {
    return errorJson(c, "UNKNOWN_SITE", "No site has this key. Check the snippet.");
  }
  const site = await findSite(c.get("env").SITES, siteKey, c.get("log"));
  if (!site) return errorJson(c, "UNKNOWN_SITE", "No site has this key. Check the snippet.");
  c.get("logFields").site = site.siteId;

  const origin = new URL(c.req.url).origin;
  const config = {
    ...trackerConfig(site, origin),
    // Only sites that record name the chunk; without it the core loads no recorder.
    ...(site.recordingSampleRate > 0 ? { recorderUrl: origin + recorderPath } : {}),
    ...(site.heatmaps ? { interactionsUrl: origin + interactionsPath, snapshotUrl: origin + snapshotPath } : {}),
  };
  // The core first, then (heatmaps on) the interactions chunk.
  const scripts = [origin + corePath, ...(site.heatmaps ? [origin + interactionsPath] : [])];
  const flags = await findFlags(c.get("env").SITES, siteKey, c.get("log"));
  // A site whose flags are all private still gets sightline.flag(), which then answers fallbacks.
  const withFlags = flags !== null && flags.record.flags.length > 0;
  const body = loaderScript(
    config,
    scripts,
    withFlags ? { data: { record: flags.public, ctx: edgeAttributes(c) }, js: flagsJs } : undefined,
  );
  const etag = `W/"${await sha256Hex(body, 16)}"`;
  const headers = {
    "Content-Type": JS,
    // With flags the script holds this visitor's country and device, so no shared cache may
    // keep it, and a flip (a kill switch) reaches a returning visitor within a minute.
    "Cache-Control": withFlags
      ? `private, max-age=${FLAG_LIMITS.loaderMaxAgeSeconds}`
      : `public, max-age=${LIMITS.loader.maxAgeSeconds}, stale-while-revalidate=60`,
    ETag: etag,
    "Access-Control-Allow-Origin": "*",
  };
  if (c.req.header("if-none-match") === etag) return c.body(null, 304, headers);
  return c.body(body, 200, { ...headers, ...encoding(c.req.header("accept-encoding")) });
});

for (const [name, hash, js] of [
  ["core", coreHash, coreJs],
  ["recorder", recorderHash, recorderJs],
  ["interactions", interactionsHash, interactionsJs],
  ["snapshot", snapshotHash, snapshotJs],
] as const) {
  const path = `/t/${name}.${hash}.js`;
  const etag = `"${hash}"`;
  tracker.get(`/t/:file{${name}\\.[a-f0-9]+\\.js}`, (c) => {
    // A loader cached before a deploy may still name the previous hash: serve the current
    // bundle under it, but only briefly, so that URL never pins stale code for a year.
    const current = c.req.path === path;
    const headers = {
      "Content-Type": JS,
      "Cache-Control": current ? "public, max-age=31536000, immutable" : "public, max-age=300",
      ETag: etag,
      "Access-Control-Allow-Origin": "*",
    };
    if (c.req.header("if-none-match") === etag) return c.body(null, 304, headers);
    return c.body(js, 200, { ...headers, ...encoding(c.req.header("accept-encoding")) });
  });
}

/** workerd compresses a body itself when the response names an encoding. */
function encoding(accept: string | undefined): Record<string, string> {
  return accept?.includes("gzip") ? { "Content-Encoding": "gzip", Vary: "Accept-Encoding" } : {};
}

async function sha256Hex(text: string, chars: number): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("")
    .slice(0, chars);
}
