/**
 * Creating a site for local use: its row in Postgres and its edge record in the ingest
 * worker's local KV (written with wrangler, into the same --persist-to directory that
 * `wrangler dev` reads). Both writes are upserts, so running it again changes nothing.
 */
import type { Db, SiteRow } from "@sightline/db";
import { schema, sitesData } from "@sightline/db";
import { newId } from "@sightline/shared/ids";
import { type SiteEdgeRecord, siteKvKey } from "@sightline/shared/site";
import { childEnv, INGEST_CONFIG, NODE_BIN, ROOT, WRANGLER_JS } from "./paths.ts";
import { run } from "./proc.ts";

export interface SiteSpec {
  siteKey: string;
  name: string;
  origins: string[];
  shards?: number;
  /** Whether route-like fragments (`#/...`) are pages of their own; on unless false. */
  hashRoutes?: boolean;
  /** Share of sessions recorded when the site is made; a later change in the dashboard stays. */
  recordingSampleRate?: number;
}

export interface LocalKv {
  /** The ingest worker's `--persist-to` directory. */
  persistTo: string;
  /** Its wrangler config; the root wrangler.toml by default. */
  config?: string;
  binding?: string;
}

/** Inserts the site or updates it in place; returns its id (kept across runs). */
export async function upsertSiteRow(db: Db, spec: SiteSpec): Promise<string> {
  return (await upsertSite(db, spec)).id;
}

/**
 * The row as it stands after the upsert: the spec's name, origins, shards and hash routes,
 * and whatever else the owner has set since (quotas, recording) kept.
 */
async function upsertSite(db: Db, spec: SiteSpec): Promise<SiteRow> {
  const values = {
    id: newId("site"),
    key: spec.siteKey,
    name: spec.name,
    origins: spec.origins,
    shards: spec.shards ?? 1,
    hashRoutes: spec.hashRoutes ?? true,
    recordingSampleRate: spec.recordingSampleRate ?? 0,
  };
  const [row] = await db
    .insert(schema.sites)
    .values(values)
    .onConflictDoUpdate({
      target: schema.sites.key,
      set: { name: values.name, origins: values.origins, shards: values.shards, hashRoutes: values.hashRoutes },
    })
    .returning();
  if (!row) throw new Error(`upserting site ${spec.siteKey} returned no row`);
  return row;
}

export async function putEdgeRecord(record: SiteEdgeRecord, kv: LocalKv): Promise<void> {
  await run(
    "kv",
    NODE_BIN,
    [
      WRANGLER_JS,
      "kv",
      "key",
      "put",
      "--binding",
      kv.binding ?? "SITES",
      "--local",
      "--persist-to",
      kv.persistTo,
      "--config",
      kv.config ?? INGEST_CONFIG,
      siteKvKey(record.siteKey),
      JSON.stringify(record),
    ],
    { cwd: ROOT, env: childEnv(), echo: false },
  );
}

/**
 * The row, then the edge record built from it (as the API builds it): KV only ever names a
 * site that Postgres knows, with the settings Postgres holds.
 */
export async function ensureSite(db: Db, spec: SiteSpec, kv: LocalKv): Promise<SiteEdgeRecord> {
  const record = sitesData.edgeRecordOf(await upsertSite(db, spec));
  await putEdgeRecord(record, kv);
  return record;
}
