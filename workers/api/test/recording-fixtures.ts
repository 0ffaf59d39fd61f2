/**
 * Recordings made as the edge makes them: an index row in Postgres and gzipped rrweb JSON
 * parts in R2 under `recordingPrefix`, each part a JSON array, keyed by `recordingPartKey`.
 */
import { env } from "cloudflare:test";
import { schema } from "@sightline/db";
import { recordingPartKey, recordingPrefix } from "@sightline/shared/recording";
import { db } from "./helpers.ts";

export const bucket = () => (env as unknown as { RECORDINGS: R2Bucket }).RECORDINGS;

export async function gzip(text: string): Promise<ArrayBuffer> {
  return new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
}

export interface SeedRecording {
  siteId: string;
  startedAt: number;
  durationMs?: number;
  activeMs?: number;
  pages?: string[];
  clicks?: number;
  rageClicks?: number;
  errors?: number;
  device?: string;
  country?: string | null;
  referrer?: string | null;
  /** Each part's text as stored before gzip (a JSON array of events, as the recorder sends). */
  parts?: string[];
}

export interface Seeded {
  id: string;
  sessionId: string;
  prefix: string;
}

/** Inserts the rows (in one statement) and puts their parts. */
export async function seedRecordings(list: SeedRecording[]): Promise<Seeded[]> {
  const out: Seeded[] = [];
  const rows = list.map((r) => {
    const sessionId = crypto.randomUUID();
    const id = `rec_${crypto.randomUUID().replaceAll("-", "")}`;
    const prefix = recordingPrefix(r.siteId, r.startedAt, sessionId);
    out.push({ id, sessionId, prefix });
    const pages = r.pages ?? ["/"];
    const durationMs = r.durationMs ?? 60_000;
    return {
      id,
      siteId: r.siteId,
      sessionId,
      startedAt: new Date(r.startedAt),
      endedAt: new Date(r.startedAt + durationMs),
      durationMs,
      activeMs: r.activeMs ?? Math.floor(durationMs / 2),
      firstPage: pages[0] ?? "",
      pages,
      clicks: r.clicks ?? 0,
      rageClicks: r.rageClicks ?? 0,
      errors: r.errors ?? 0,
      device: r.device ?? "desktop",
      country: r.country === undefined ? "DE" : r.country,
      referrer: r.referrer ?? null,
      bytes: 100,
      chunks: r.parts?.length ?? 0,
      r2Prefix: prefix,
    };
  });
  const { db: d, close } = db();
  try {
    if (rows.length > 0) await d.insert(schema.recordings).values(rows);
  } finally {
    await close();
  }
  await Promise.all(
    list.flatMap((r, i) =>
      (r.parts ?? []).map(async (text, part) =>
        bucket().put(recordingPartKey((out[i] as Seeded).prefix, part), await gzip(text)),
      ),
    ),
  );
  return out;
}

/** Keys under a prefix. */
export async function keysUnder(prefix: string): Promise<string[]> {
  return (await bucket().list({ prefix })).objects.map((o) => o.key);
}

/** A few rrweb-shaped events: meta, full snapshot, then incremental ones from `t`. */
export function events(t: number, n: number): object[] {
  return Array.from({ length: n }, (_, i) => ({ type: 3, timestamp: t + i * 100, data: { source: 1, i } }));
}
