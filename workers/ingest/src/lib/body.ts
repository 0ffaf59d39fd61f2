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
