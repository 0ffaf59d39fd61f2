/**
 * The session-recording contract between the recorder (browser), the edge (ingest worker),
 * R2 and the API. docs/RECORDINGS.md tells the whole path; this file is what the code shares.
 *
 * An upload to `POST /v1/record` is one body (so `sendBeacon` can send it, which cannot set
 * headers): a JSON header line (`ChunkHeader`, UTF-8, at most LIMITS.recording.maxHeaderBytes),
 * a `\n`, then the payload: a JSON array of rrweb events, gzip-compressed when
 * `header.encoding` is `"gzip"`. The edge reads the header and the summary in it, and never
 * parses the events.
 */
import { z } from "zod";
import { LIMITS } from "../limits/index.ts";

export { sessionSampled } from "./sample.ts";

const R = LIMITS.recording;

/** `POST /v1/record/grant`: asked once per session, by a tracker whose session is sampled. */
export const grantRequest = z.object({
  siteKey: z.string().min(8).max(64),
  sessionId: z.uuid(),
  /** The visitor consented (`sightline('consent', true)`, `sl_c` = "1"): an opt-in site requires it. */
  consent: z.literal(true).optional(),
});
export type GrantRequest = z.infer<typeof grantRequest>;

/** The edge's answer: an opaque signed grant, and the caps the recorder stops at. */
export interface GrantResponse {
  grant: string;
  /** Epoch ms after which uploads under this grant are refused. */
  expiresAt: number;
  maxSessionBytes: number;
  maxSessionDurationMs: number;
  /** Mask every text node, not only inputs and personal-looking text (a site setting). */
  maskAllText: boolean;
}

/** What one chunk adds to the recording's index row; counted by the recorder. */
export const chunkSummary = z.object({
  /** Epoch ms of the chunk's first and last event. */
  firstTs: z.number().int().nonnegative(),
  lastTs: z.number().int().nonnegative(),
  /** Milliseconds with user input (pointer, keys, scroll) within the chunk. */
  activeMs: z.number().int().nonnegative().max(R.maxSessionDurationMs),
  /** Paths (with route fragment, as pageviews record them) shown during the chunk, in order. */
  pages: z.array(z.string().max(LIMITS.collect.maxUrlLength)).max(R.maxPagesPerRecording),
  clicks: z.number().int().nonnegative().max(100_000),
  rageClicks: z.number().int().nonnegative().max(100_000),
  errors: z.number().int().nonnegative().max(100_000),
  events: z.number().int().nonnegative().max(1_000_000),
});
export type ChunkSummary = z.infer<typeof chunkSummary>;

export const chunkHeader = z.object({
  v: z.literal(1),
  siteKey: z.string().min(8).max(64),
  sessionId: z.uuid(),
  grant: z.string().min(1).max(512),
  /** 0, 1, 2... per session across its pages; a repeated seq is a retry and stored once. */
  seq: z.number().int().nonnegative().max(R.maxChunksPerSession),
  encoding: z.enum(["gzip", "identity"]),
  /** Where the session came from: the first page's referrer, sent with seq 0. */
  referrer: z.string().max(LIMITS.collect.maxReferrerLength).optional(),
  summary: chunkSummary,
});
export type ChunkHeader = z.infer<typeof chunkHeader>;

/** R2 keys sort by site, start day and session; parts in order. Plain gzipped rrweb JSON. */
export function recordingPrefix(siteId: string, startedAt: number, sessionId: string): string {
  return `recordings/${siteId}/${new Date(startedAt).toISOString().slice(0, 10)}/${sessionId}/`;
}

export function recordingPartKey(prefix: string, part: number): string {
  return `${prefix}${String(part).padStart(6, "0")}.json.gz`;
}
