/**
 * A site's flag record for the hot path (OFREP and the loader): KV behind a short per-isolate
 * cache, as site records are (sites.ts), but shorter, so a flip reaches visitors soon; and what
 * the edge adds to an evaluation context.
 */

import { countryOf, deviceClass } from "@sightline/core/aggregate";
import type { Logger } from "@sightline/http";
import {
  type EvaluationContext,
  evaluateAll,
  FLAG_DEVICES,
  type Flag,
  publicFlags,
  type SiteFlags,
} from "@sightline/shared/flags";
import { LIMITS } from "@sightline/shared/limits";
import { FLAG_LIMITS } from "@sightline/shared/limits/flags";
import { flagsKvKey } from "@sightline/shared/site";
import { UNKNOWN_VALUE } from "@sightline/shared/wire";
import type { Context } from "hono";
import type { HonoEnv } from "../env.ts";

/** A site's published flags, with what the routes derive from them once per read. */
export interface EdgeFlags {
  record: SiteFlags;
  byKey: Map<string, Flag>;
  /** `publicFlags(record)`: what the loader may carry, and all a caller with the site key is answered. */
  public: SiteFlags;
  publicByKey: Map<string, Flag>;
}

interface Entry {
  flags: EdgeFlags | null;
  until: number;
  /** The record's size as JSON text, counted against FLAG_LIMITS.edgeCacheBytes. */
  bytes: number;
}

const cache = new Map<string, Entry>();
let cachedBytes = 0;

/**
 * The site's flags, or null when it has none published. Records are validated by the schema
 * before they are written (EdgeAdmin.putFlags), so only their outline is checked here: a full
 * parse of a 1 MiB record on every cache miss would cost more than the evaluations it serves.
 */
export async function findFlags(kv: KVNamespace, siteKey: string, log?: Logger): Promise<EdgeFlags | null> {
  const now = Date.now();
  const hit = cache.get(siteKey);
  if (hit && hit.until > now) return hit.flags;
  const text = await kv.get(flagsKvKey(siteKey), { cacheTtl: 60 });
  let flags: EdgeFlags | null = null;
  if (text !== null) {
    const record = outline(text);
    if (record) {
      const open = publicFlags(record);
      flags = {
        record,
        byKey: new Map(record.flags.map((f) => [f.key, f])),
        public: open,
        publicByKey: new Map(open.flags.map((f) => [f.key, f])),
      };
    } else log?.error("malformed flag record in KV", { siteKey });
  }
  remember(siteKey, { flags, until: now + FLAG_LIMITS.edgeCacheMs, bytes: text?.length ?? 0 });
  return flags;
}

function outline(text: string): SiteFlags | null {
  try {
    const r = JSON.parse(text) as Partial<SiteFlags> | null;
    return typeof r?.version === "number" && Array.isArray(r.flags) ? (r as SiteFlags) : null;
  } catch {
    return null;
  }
}

/** Bounded by the records' bytes, and by entries as site records are (most sites have no flags). */
function remember(siteKey: string, entry: Entry): void {
  const previous = cache.get(siteKey);
  if (previous) cachedBytes -= previous.bytes;
  // Emptied when full, as BoundedMap does: the sites in use come back within moments.
  if (
    cachedBytes + entry.bytes > FLAG_LIMITS.edgeCacheBytes ||
    (!previous && cache.size >= LIMITS.isolate.siteCacheEntries)
  ) {
    clearFlagsCache();
  }
  if (entry.bytes > FLAG_LIMITS.edgeCacheBytes) return;
  cache.set(siteKey, entry);
  cachedBytes += entry.bytes;
}

/** Tests change KV between requests (clearSiteCache calls this too); production never needs it. */
export function clearFlagsCache(): void {
  cache.clear();
  cachedBytes = 0;
}

/**
 * What the edge knows of the caller, for a context that does not say it: `country` from
 * Cloudflare (absent when unknown) and `device` from the User-Agent as /v1/collect classifies
 * it (absent for bots and unknown agents, which no device condition names).
 */
export function edgeAttributes(c: Context<HonoEnv>): FlagAttributes {
  // The header first, as /v1/collect: reading request.cf parses the whole cf object.
  return flagAttributes(
    countryOf(c.req.header("cf-ipcountry") ?? c.req.raw.cf?.country),
    deviceClass(c.req.header("user-agent")),
  );
}

type FlagAttributes = { country?: string; device?: string };

/** edgeAttributes from a country and device class a route has already read off the request. */
export function flagAttributes(country: string, device: string): FlagAttributes {
  const attributes: FlagAttributes = {};
  if (country !== UNKNOWN_VALUE && country !== "XX") attributes.country = country;
  if ((FLAG_DEVICES as readonly string[]).includes(device)) attributes.device = device;
  return attributes;
}

/**
 * The variant of each public flag a recording chunk's session was served, as `<key>=<variant>`,
 * evaluated here as the loader evaluated it on the page (the session id as targeting key, the
 * edge's country and device, the chunk's first page). A chunk's header (LIMITS.recording
 * .maxHeaderBytes, 4 KB) has no room for a site's 200 variants, so recordings are attributed
 * this way, and batches by what they carry (reportedVariants). Undefined for a site without
 * public flags.
 */
export async function servedVariants(
  c: Context<HonoEnv>,
  siteKey: string,
  sessionId: string,
  path: string,
  attributes: FlagAttributes,
): Promise<string[] | undefined> {
  const flags = await findFlags(c.env.SITES, siteKey, c.get("log"));
  if (!flags || flags.public.flags.length === 0) return undefined;
  const ctx: EvaluationContext = Object.assign(Object.create(null), attributes, { path, targetingKey: sessionId });
  const served: string[] = [];
  for (const r of evaluateAll(flags.public, ctx)) if ("variant" in r) served.push(`${r.key}=${r.variant}`);
  return served.length > 0 ? served : undefined;
}

export interface BatchVariants {
  /** Every public flag's variant, for the batch's pageviews. */
  flags?: string[];
  /** The same, of the public flags that split heatmaps (`heatmaps: true`) only, for its heat items. */
  heatFlags?: string[];
}

/**
 * The variants a batch says its page was served: `flags` of the batch, which the loader's flags
 * code evaluated on the page and the core sends with every batch. Kept where they name a public
 * flag of the site's record and one of its variants, the first for each flag: a flag deleted or
 * a variant renamed since a cached loader evaluated, a private flag, or an invented entry is
 * dropped, so a client can move counts only between the variants a flag has. Nothing is
 * evaluated here. `flags` only when `wantFlags` (the batch has pageviews), `heatFlags` only when
 * `wantHeat` (it has heat items); each absent when empty.
 */
export async function reportedVariants(
  c: Context<HonoEnv>,
  siteKey: string,
  reported: readonly string[] | undefined,
  wantFlags: boolean,
  wantHeat: boolean,
): Promise<BatchVariants> {
  if (!reported || reported.length === 0 || !(wantFlags || wantHeat)) return {};
  const flags = await findFlags(c.env.SITES, siteKey, c.get("log"));
  if (!flags || flags.public.flags.length === 0) return {};
  const seen = new Set<string>();
  const served: string[] = [];
  const heatServed: string[] = [];
  for (const entry of reported) {
    // The wire schema has checked the shape: `<key>=<variant>`, one "=".
    const eq = entry.indexOf("=");
    const key = entry.slice(0, eq);
    const flag = flags.publicByKey.get(key);
    if (!flag || seen.has(key) || !Object.hasOwn(flag.variants, entry.slice(eq + 1))) continue;
    seen.add(key);
    if (wantFlags) served.push(entry);
    if (wantHeat && flag.heatmaps === true) heatServed.push(entry);
  }
  const out: BatchVariants = {};
  if (served.length > 0) out.flags = served;
  if (heatServed.length > 0) out.heatFlags = heatServed;
  return out;
}
