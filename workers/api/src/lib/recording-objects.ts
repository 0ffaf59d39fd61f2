/**
 * A recording's R2 objects: its parts (each a gzipped JSON array of rrweb events, in key
 * order) streamed as one JSON array, and erased. Only keys under the row's own prefix, and
 * only a prefix of the row's site, are ever listed.
 */
import { SightlineError } from "@sightline/shared/errors";

/** R2 lists and deletes at most 1,000 keys per call. */
const KEYS_PER_CALL = 1000;

/** Refuses a prefix that is not one recording's folder of this site (a corrupt row). */
export function checkedPrefix(siteId: string, prefix: string): string {
  const site = `recordings/${siteId}/`;
  if (!prefix.startsWith(site) || !prefix.endsWith("/") || prefix.length <= site.length + 1 || prefix.includes("..")) {
    throw new SightlineError("INTERNAL_ERROR", "A recording's storage prefix is not valid.");
  }
  return prefix;
}

/** Every key under `prefix`, in key order (R2 lists lexicographically). */
export async function* keysUnder(bucket: R2Bucket, prefix: string): AsyncGenerator<string> {
  let cursor: string | undefined;
  for (;;) {
    const page = await bucket.list({ prefix, cursor, limit: KEYS_PER_CALL });
    for (const o of page.objects) yield o.key;
    if (!page.truncated) return;
    cursor = page.cursor;
  }
}

/** Deletes every object under `prefix`; answers how many. */
export async function deleteUnder(bucket: R2Bucket, prefix: string): Promise<number> {
  let deleted = 0;
  // Listed again after each delete: deleting while paging one listing can skip keys.
  for (;;) {
    const page = await bucket.list({ prefix, limit: KEYS_PER_CALL });
    const keys = page.objects.map((o) => o.key);
    if (keys.length === 0) return deleted;
    await bucket.delete(keys);
    deleted += keys.length;
    if (!page.truncated) return deleted;
  }
}

const OPEN = 0x5b; // [
const CLOSE = 0x5d; // ]
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/**
 * The events of every part under `prefix` as one JSON array, part after part: each part is
 * gunzipped as it streams, its outer brackets dropped and the parts joined with commas. Only
 * one decompressed chunk of one part is held at a time. A part that is not a JSON array ends
 * the stream with an error (the client sees a truncated body, never a wrong one).
 */
export function eventsStream(bucket: R2Bucket, prefix: string): ReadableStream<Uint8Array> {
  const keys = keysUnder(bucket, prefix);
  const comma = new Uint8Array([0x2c]);
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  let currentKey = "";
  let started = false; // the current part's `[` was seen
  let held: Uint8Array = new Uint8Array(0); // the current part's last non-space byte and after
  let wroteAny = false; // an event of an earlier part was written
  let partWrote = false;

  const corrupt = (why: string) => new SightlineError("INTERNAL_ERROR", `Recording part ${currentKey} ${why}.`);

  async function nextPart(): Promise<boolean> {
    const next = await keys.next();
    if (next.done) return false;
    currentKey = next.value;
    const obj = await bucket.get(currentKey);
    if (!obj) throw corrupt("vanished while it was read");
    reader = obj.body.pipeThrough(new DecompressionStream("gzip")).getReader();
    started = false;
    held = new Uint8Array(0);
    partWrote = false;
    return true;
  }

  /**
   * Writes what of `chunk` can be written now: all but the bytes from the last non-space one
   * on (the part's closing `]`, until a later chunk shows it was not the last). True when it
   * wrote something.
   */
  function take(chunk: Uint8Array, controller: ReadableStreamDefaultController<Uint8Array>): boolean {
    let bytes = chunk;
    if (!started) {
      let i = 0;
      while (i < bytes.length && isSpace(bytes[i] as number)) i++;
      if (i === bytes.length) return false;
      if (bytes[i] !== OPEN) throw corrupt("is not a JSON array");
      started = true;
      bytes = bytes.subarray(i + 1);
    }
    const all = held.length === 0 ? bytes : concat(held, bytes);
    let last = all.length - 1;
    while (last >= 0 && isSpace(all[last] as number)) last--;
    if (last < 0) {
      held = all;
      return false;
    }
    const out = all.subarray(0, last);
    held = all.slice(last);
    let firstContent = 0;
    while (firstContent < out.length && isSpace(out[firstContent] as number)) firstContent++;
    if (firstContent === out.length) return false;
    if (!partWrote) {
      if (wroteAny) controller.enqueue(comma);
      partWrote = true;
      wroteAny = true;
      controller.enqueue(out.slice(firstContent));
    } else {
      controller.enqueue(out.slice());
    }
    return true;
  }

  /** Reads parts until something was queued (so the consumer sets the pace) or the end. */
  async function fill(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      if (!reader && !(await nextPart())) {
        controller.enqueue(new Uint8Array([CLOSE]));
        controller.close();
        return;
      }
      const r = reader as ReadableStreamDefaultReader<Uint8Array>;
      const { value, done } = await r.read();
      if (done) {
        let end = 0;
        while (end < held.length && !isSpace(held[end] as number)) end++;
        if (!started || held[0] !== CLOSE || end !== 1) throw corrupt("does not end its JSON array");
        reader = null;
        continue;
      }
      if (take(value, controller)) return;
    }
  }

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(new Uint8Array([OPEN]));
      },
      async pull(controller) {
        try {
          await fill(controller);
        } catch (err) {
          // The body ends short: a client parsing it fails rather than reading a wrong array.
          console.error(JSON.stringify({ level: "error", msg: "recording stream failed", prefix, error: String(err) }));
          controller.error(err);
        }
      },
      async cancel() {
        await reader?.cancel();
        await keys.return(undefined);
      },
    },
    { highWaterMark: 4 },
  );
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
