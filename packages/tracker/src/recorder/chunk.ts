/**
 * The upload body of `POST /v1/record` (packages/shared/src/recording): the ChunkHeader as one
 * JSON line, `\n`, then the payload, a JSON array of rrweb events, gzipped where the browser
 * has CompressionStream.
 */
import { LIMITS } from "@sightline/shared/limits";
import type { ChunkHeader } from "@sightline/shared/recording";

const R = LIMITS.recording;
const enc = new TextEncoder();

/** Largest payload that leaves room for any header within one upload. */
export const MAX_PAYLOAD_BYTES = R.maxChunkBytes - R.maxHeaderBytes;

/**
 * The header line, cut to fit when long paths and a long referrer would pass the edge's limit:
 * then the first page alone and the referrer, each at 512 characters (URLs are ASCII, escaped).
 */
export function fit(h: ChunkHeader): string {
  const line = JSON.stringify(h);
  return line.length < R.maxHeaderBytes
    ? line
    : JSON.stringify({
        ...h,
        referrer: h.referrer?.slice(0, 512),
        summary: { ...h.summary, pages: [h.summary.pages[0]?.slice(0, 512)] },
      });
}

export function frame(header: ChunkHeader, payload: Uint8Array): Uint8Array {
  const head = enc.encode(`${fit(header)}\n`);
  const body = new Uint8Array(head.length + payload.length);
  body.set(head);
  body.set(payload, head.length);
  return body;
}

export const jsonArray = (jsons: readonly string[]): Uint8Array => enc.encode(`[${jsons.join(",")}]`);

/**
 * Splits events (as JSON), in order, into runs whose payload stays within MAX_PAYLOAD_BYTES
 * uncompressed; an event larger than that alone is a run of its own (gzip may still fit it).
 */
export function runs(jsons: readonly string[]): [number, number][] {
  const out: [number, number][] = [];
  let from = 0;
  let size = 2;
  for (let i = 0; i < jsons.length; i++) {
    const n = enc.encode(jsons[i] as string).length + 1;
    if (i > from && size + n > MAX_PAYLOAD_BYTES) {
      out.push([from, i]);
      from = i;
      size = 2;
    }
    size += n;
  }
  if (from < jsons.length) out.push([from, jsons.length]);
  return out;
}

export type Gzip = (data: Uint8Array) => Promise<Uint8Array>;

/** gzip by the browser's CompressionStream, or undefined where there is none. */
export function browserGzip(g: { CompressionStream?: typeof CompressionStream }): Gzip | undefined {
  const CS = g.CompressionStream;
  if (typeof CS !== "function") return undefined;
  return async (data) =>
    new Uint8Array(await new Response(new Blob([data as BlobPart]).stream().pipeThrough(new CS("gzip"))).arrayBuffer());
}
