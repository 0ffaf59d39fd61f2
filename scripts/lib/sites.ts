/**
 * Creating a site for local use: its row in Postgres and its edge record in the ingest
 * worker's local KV (written with wrangler, into the same --persist-to directory that
 * `wrangler dev` reads). Both writes are upserts, so running it again changes nothing.
 */
import type { Db } from "@sightline/db";
import { schema } from "@sightline/db";
import { newId } from "@sightline/shared/ids";
import { type SiteEdgeRecord, siteEdgeRecord, siteKvKey } from "@sightline/shared/site";
import { childEnv, INGEST_CONFIG, NODE_BIN, ROOT, WRANGLER_JS } from "./paths.ts";
import { run } from "./proc.ts";

export interface SiteSpec {
  siteKey: string;
  name: string;
  origins: string[];
  shards?: number;
  respectDnt?: boolean;
  /** Whether route-like fragments (`#/...`) are pages of their own; on unless false. */
  hashRoutes?: boolean;
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
  const values = {
    id: newId("site"),
    key: spec.siteKey,
    name: spec.name,
    origins: spec.origins,
    shards: spec.shards ?? 1,
    hashRoutes: spec.hashRoutes ?? true,
  };
  const [row] = await db
    .insert(schema.sites)
    .values(values)
    .onConflictDoUpdate({
      target: schema.sites.key,
      set: { name: values.name, origins: values.origins, shards: values.shards, hashRoutes: values.hashRoutes },
    })
    .returning({ id: schema.sites.id });
  if (!row) throw new Error(`upserting site ${spec.siteKey} returned no row`);
  return row.id;
}

export function edgeRecordFor(siteId: string, spec: SiteSpec): SiteEdgeRecord {
  return siteEdgeRecord.parse({
    siteId,
    siteKey: spec.siteKey,
    origins: spec.origins,
    shards: spec.shards ?? 1,
    respectDnt: spec.respectDnt ?? true,
    hashRoutes: spec.hashRoutes ?? true,
  });
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

/** The row, then the edge record: KV only ever names a site that Postgres knows. */
export async function ensureSite(db: Db, spec: SiteSpec, kv: LocalKv): Promise<SiteEdgeRecord> {
  const siteId = await upsertSiteRow(db, spec);
  const record = edgeRecordFor(siteId, spec);
  await putEdgeRecord(record, kv);
  return record;
}
