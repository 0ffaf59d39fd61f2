/** Turns queued events into `CollectBatch` bodies that the ingest worker will accept. */
import { COLLECT_LIMITS } from "@sightline/shared/limits/collect";
import type { TrackerConfig } from "@sightline/shared/site";
import type { CollectBatch, WireEvent } from "@sightline/shared/wire";

const L = COLLECT_LIMITS;

/** An event waiting to be sent, with the session it happened in. */
export interface Queued {
  s: string;
  e: WireEvent;
}

/** Events of one session sent in one request; `n` counts failed attempts so far. */
export interface Batch {
  s: string;
  e: WireEvent[];
  n: number;
}

const encoder = new TextEncoder();
export const byteLength = (s: string): number => encoder.encode(s).length;

/** What a body takes from the config: the site, and the flag variants the page was served. */
export type BatchConfig = Pick<TrackerConfig, "siteKey" | "variants">;

export function body(cfg: BatchConfig, b: Batch, sentAt: number): string {
  // `flags` is left out of the JSON where the page has no variants (undefined).
  const batch: CollectBatch = { v: 1, siteKey: cfg.siteKey, sessionId: b.s, sentAt, events: b.e, flags: cfg.variants };
  return JSON.stringify(batch);
}

/**
 * Groups events, in order, into batches of one session each with at most maxEventsPerBatch
 * events and a body of at most maxBodyBytes. An event too large to fit on its own is dropped.
 */
export function toBatches(items: Queued[], cfg: BatchConfig, now: number): Batch[] {
  const out: Batch[] = [];
  let cur: Batch | undefined;
  let size = 0;
  // An empty body weighs the same for every session (its id is a UUID, always 36 characters), so
  // it is measured once: with a page's 200 flag variants it is kilobytes to serialise.
  let overhead = 0;
  for (const { s, e } of items) {
    const empty: Batch = { s, e: [], n: 0 };
    overhead ||= byteLength(body(cfg, empty, now));
    // +1 for the separating comma; the first event over-counts by one byte, which is harmless.
    const bytes = byteLength(JSON.stringify(e)) + 1;
    if (overhead + bytes > L.maxBodyBytes) continue;
    if (!cur || cur.s !== s || cur.e.length >= L.maxEventsPerBatch || size + bytes > L.maxBodyBytes) {
      cur = empty;
      out.push(cur);
      size = overhead;
    }
    cur.e.push(e);
    size += bytes;
  }
  return out;
}
