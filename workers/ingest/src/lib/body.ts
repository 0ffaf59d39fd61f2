import { SightlineError } from "@sightline/shared/errors";

/**
 * Reads a request body as text, refusing it as soon as it passes `maxBytes`, whether or not
 * the client declared a Content-Length (chunked bodies have none).
 */
export async function readTextCapped(req: Request, maxBytes: number): Promise<string> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  // A declared length is enforced by the runtime, so the body can be read in one go.
  if (declared !== null) return req.text();
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all);
}

const tooLarge = (max: number) => new SightlineError("PAYLOAD_TOO_LARGE", `The body is larger than ${max} bytes.`);

/** The body's bytes, refused as soon as they pass `maxBytes` (as `readTextCapped`). */
export async function readBytesCapped(req: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) return new Uint8Array(0);
  return readStreamCapped(req.body, maxBytes, () => tooLarge(maxBytes));
}

/**
 * Inflates a gzip payload, giving up past `maxBytes` of output: a small upload must not
 * become an unbounded amount of memory (a zip bomb). Corrupt data is a `VALIDATION_FAILED`.
 */
export async function gunzipCapped(data: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("gzip"));
  try {
    return await readStreamCapped(
      stream,
      maxBytes,
      () => new SightlineError("PAYLOAD_TOO_LARGE", `The payload inflates to more than ${maxBytes} bytes.`),
    );
  } catch (err) {
    if (err instanceof SightlineError) throw err;
    throw new SightlineError("VALIDATION_FAILED", "The payload is not valid gzip.", { cause: err });
  }
}

async function readStreamCapped(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  tooBig: () => SightlineError,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooBig();
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return all;
}
