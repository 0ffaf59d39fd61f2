/**
 * The page-snapshot contract between the interactions and snapshot chunks (browser), the edge
 * (ingest worker), R2 and the API. docs/HEATMAPS.md tells the whole path.
 *
 * `POST /v1/snapshot/grant` (`SnapshotGrantRequest`): the interactions chunk asks once per page
 * and device class a session sees. The edge answers `{ snapshot: false }` unless the page has
 * no snapshot for that device class, or only one older than LIMITS.snapshot.refreshAfterMs, and
 * no other visitor holds a grant for it; then `{ snapshot: true, grant, maskAllText }`.
 *
 * `POST /v1/snapshot`: one body, like a recording chunk: a JSON header line (`SnapshotHeader`),
 * `\n`, then the payload: gzip of `{ node, width, height }` where `node` is rrweb-snapshot's
 * serialised DOM, masked as recordings are. Stored in R2 as it came under `snapshotKey`.
 */
import { z } from "zod";
import { LIMITS } from "../limits/index.ts";
import { HEAT_DEVICES, type HeatDevice } from "../wire/schema.ts";

export const snapshotGrantRequest = z.object({
  siteKey: z.string().min(8).max(64),
  url: z.string().min(1).max(LIMITS.collect.maxUrlLength),
  vw: z.number().int().min(1).max(LIMITS.heatmap.maxViewportPx),
});
export type SnapshotGrantRequest = z.infer<typeof snapshotGrantRequest>;

export type SnapshotGrantResponse = { snapshot: false } | { snapshot: true; grant: string; maskAllText: boolean };

export const snapshotHeader = z.object({
  v: z.literal(1),
  siteKey: z.string().min(8).max(64),
  grant: z.string().min(1).max(512),
  url: z.string().min(1).max(LIMITS.collect.maxUrlLength),
  vw: z.number().int().min(1).max(LIMITS.heatmap.maxViewportPx),
});
export type SnapshotHeader = z.infer<typeof snapshotHeader>;

/** What the API serves for `GET /v1/sites/{siteId}/heatmaps/snapshot`. */
export interface SnapshotInfo {
  path: string;
  device: HeatDevice;
  takenAt: string;
  /** The page's width and full height in CSS pixels when it was taken. */
  width: number;
  height: number;
}

/** R2 prefix of every snapshot of a site. */
export const snapshotSitePrefix = (siteId: string): string => `snapshots/${siteId}/`;

/**
 * R2 prefix of one page's snapshots for one device class. The path is hashed: paths may be
 * longer than an R2 key allows and hold any character.
 */
export async function snapshotPrefix(siteId: string, device: HeatDevice, path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(path));
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${snapshotSitePrefix(siteId)}${device}/${hex}/`;
}

/** Largest epoch ms a key can hold; keys count down from it so that R2's listing gives the newest first. */
const KEY_EPOCH = 9_999_999_999_999;

/** The object of a snapshot taken at `takenAt`: the newest sorts first under its prefix. */
export function snapshotKey(prefix: string, takenAt: number): string {
  return `${prefix}${String(KEY_EPOCH - takenAt).padStart(13, "0")}.json.gz`;
}

/** When the snapshot stored under `key` was taken. */
export function snapshotTakenAt(key: string): number {
  const name = key.slice(key.lastIndexOf("/") + 1);
  return KEY_EPOCH - Number(name.slice(0, 13));
}

export const isHeatDevice = (d: string): d is HeatDevice => (HEAT_DEVICES as readonly string[]).includes(d);
