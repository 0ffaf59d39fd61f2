/** Shared by the recording tests: grants, chunk bodies and the two routes. */
import { env, SELF } from "cloudflare:test";
import { uuidv7 } from "@sightline/shared/ids";
import type { ChunkHeader, ChunkSummary, GrantResponse } from "@sightline/shared/recording";
import type { SiteEdgeRecord } from "@sightline/shared/site";
import { makeSite, ORIGIN } from "./helpers.ts";

export const GRANT_URL = "https://ingest.test/v1/record/grant";
export const RECORD_URL = "https://ingest.test/v1/record";

export interface PostInit {
  origin?: string | null;
  headers?: Record<string, string>;
  type?: string;
}

function headersFor(init: PostInit): Record<string, string> {
  const headers: Record<string, string> = { "content-type": init.type ?? "text/plain;charset=UTF-8", ...init.headers };
  if (init.origin !== null) headers.origin = init.origin ?? ORIGIN;
  return headers;
}

export function askGrant(siteKey: string, sessionId: string, init: PostInit & { consent?: unknown } = {}) {
  const { consent, ...post } = init;
  return SELF.fetch(GRANT_URL, {
    method: "POST",
    headers: headersFor(post),
    body: JSON.stringify({ siteKey, sessionId, consent }),
  });
}

/** A recorded site (every session sampled) and a granted session of it. */
export async function grantedSession(overrides: Partial<SiteEdgeRecord> = {}) {
  const site = await makeSite({ recordingSampleRate: 1, ...overrides });
  const sessionId = uuidv7();
  const res = await askGrant(site.siteKey, sessionId);
  if (res.status !== 200) throw new Error(`grant refused: ${res.status} ${await res.text()}`);
  const { grant } = (await res.json()) as GrantResponse;
  return { site, sessionId, grant };
}

export function summary(overrides: Partial<ChunkSummary> = {}): ChunkSummary {
  const now = Date.now();
  return {
    firstTs: now - 2_000,
    lastTs: now,
    activeMs: 500,
    pages: ["/"],
    clicks: 1,
    rageClicks: 0,
    errors: 0,
    events: 2,
    ...overrides,
  };
}

/** rrweb-shaped events; the edge never reads them, the tests do. */
export function events(seq: number, n = 2): { type: number; timestamp: number; data: { seq: number; i: number } }[] {
  return Array.from({ length: n }, (_, i) => ({ type: 3, timestamp: Date.now() + i, data: { seq, i } }));
}

export async function gzip(text: string | Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function gunzip(data: ArrayBuffer | Uint8Array): Promise<string> {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(stream).text();
}

export interface ChunkSpec {
  siteKey: string;
  sessionId: string;
  grant: string;
  seq: number;
  payload?: string | Uint8Array;
  encoding?: "gzip" | "identity";
  summary?: ChunkSummary;
  referrer?: string;
}

/** `<header JSON>\n<payload>`, gzipped unless told otherwise. */
export async function chunkBody(spec: ChunkSpec): Promise<Uint8Array> {
  const encoding = spec.encoding ?? "gzip";
  const header: ChunkHeader = {
    v: 1,
    siteKey: spec.siteKey,
    sessionId: spec.sessionId,
    grant: spec.grant,
    seq: spec.seq,
    encoding,
    summary: spec.summary ?? summary(),
    ...(spec.referrer === undefined ? {} : { referrer: spec.referrer }),
  };
  const raw = spec.payload ?? JSON.stringify(events(spec.seq));
  const payload = encoding === "gzip" && typeof raw === "string" ? await gzip(raw) : raw;
  return concat(
    new TextEncoder().encode(`${JSON.stringify(header)}\n`),
    typeof payload === "string" ? new TextEncoder().encode(payload) : payload,
  );
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.byteLength;
  }
  return all;
}

export function postChunk(body: Uint8Array | string, init: PostInit = {}) {
  return SELF.fetch(RECORD_URL, { method: "POST", headers: headersFor(init), body });
}

export async function sendChunk(spec: ChunkSpec, init: PostInit = {}) {
  return postChunk(await chunkBody(spec), init);
}

export function bufferOf(siteId: string, sessionId: string) {
  return env.RECORDING_BUFFER.get(env.RECORDING_BUFFER.idFromName(`${siteId}:${sessionId}`));
}
