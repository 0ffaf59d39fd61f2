/**
 * The recorder chunk at work: rrweb with privacy by default, its events batched every
 * chunkIntervalMs or at MAX_PAYLOAD_BYTES, gzipped, framed with their summary and uploaded in
 * order, one at a time (keepalive fetches share 64 KiB in flight), with a bounded retry; what
 * is left goes by sendBeacon on pagehide. It stops for good at the grant's caps, at its expiry
 * and when the edge answers 403 or 413; it stops at once, sending nothing more, when consent is
 * withdrawn (the core calls the returned function). One tab of a session records at a time, the
 * one in front: it holds the session's Web Lock (`take`).
 */
import type { record as rrwebRecord } from "@rrweb/record";
import { LIMITS } from "@sightline/shared/limits";
import type { ChunkHeader, GrantResponse } from "@sightline/shared/recording";
import type { TrackerConfig } from "@sightline/shared/site";
import { CONSENT_KEY } from "../record.ts";
import type { SessionStore } from "../session.ts";
import { type Beacon, CONTENT_TYPE, type Fetch } from "../transport.ts";
import { browserGzip, frame, type Gzip, jsonArray, MAX_PAYLOAD_BYTES, runs } from "./chunk.ts";
import { maskOptions } from "./mask.ts";
import { recState } from "./state.ts";
import { CUSTOM, ERROR_TAG, PAGE_TAG, type RecEvent, summarizer } from "./summary.ts";

const R = LIMITS.recording;
/** Chunks waiting to go at most; past it the oldest waiting one is dropped (a gap, not a stall). */
export const MAX_OUTBOX = 16;

export type RecordOptions = Omit<NonNullable<Parameters<typeof rrwebRecord>[0]>, "emit"> & { emit(e: RecEvent): void };
/** rrweb's `record`, or a stand-in in tests. */
export type Record = (options: RecordOptions) => (() => void) | undefined;

export interface RecorderHost {
  readonly localStorage: SessionStore;
  location: { href: string };
  document: {
    referrer: string;
    visibilityState: string;
    addEventListener(type: "visibilitychange", fn: () => void): void;
  };
  navigator: { sendBeacon?: Beacon; locks?: Locks };
  fetch: Fetch;
  setTimeout(fn: () => void, ms: number): unknown;
  /** `storage` fires in the site's other tabs when one writes localStorage; `key` is the item's. */
  addEventListener(type: string, fn: (e?: { key?: string | null }) => void): void;
  CompressionStream?: typeof CompressionStream;
}

export type Locks = Pick<LockManager, "request">;

interface Piece {
  body: Uint8Array;
  tries: number;
}

export function startRecorder(
  w: RecorderHost,
  cfg: TrackerConfig,
  sessionId: string,
  grant: GrantResponse,
  record: Record,
  now: () => number = Date.now,
): () => void {
  const url = `${cfg.endpoint}/v1/record`;
  const state = recState(() => w.localStorage, sessionId, now());
  const over = () => {
    const st = state.get();
    return !!st.x || now() >= grant.expiresAt || now() - st.t >= grant.maxSessionDurationMs;
  };
  /**
   * Consent withdrawn in another tab of the site (the core's `sl_c`): that tab's core stopped its
   * recorder, and this one, idle until shown, must not start. On an opt-in site, consent not given
   * ("1") reads as withdrawn. Unreadable storage reads as withdrawn.
   */
  const withdrawn = (): boolean => {
    try {
      const consent = w.localStorage.getItem(CONSENT_KEY);
      return cfg.consentRequired ? consent !== "1" : consent === "0";
    } catch {
      return true;
    }
  };
  if (over()) return () => {};

  const gzip = browserGzip(w);
  const summarize = summarizer(cfg.hashRoutes);
  let events: RecEvent[] = [];
  let jsons: string[] = [];
  let size = 0;
  let timer = false;
  let stopped = false;
  /** rrweb runs in this tab: it holds the lock, or there are no locks. */
  let rec = false;
  /** A lock request is pending or held. */
  let asking = false;
  let release = () => {};
  const locks = w.navigator.locks;
  const lockName = `sl_r:${sessionId}`;
  const visible = () => w.document.visibilityState === "visible";
  let href = w.location.href;
  let stopRrweb: (() => void) | undefined;
  const outbox: Piece[] = [];
  let sending: Piece | undefined;
  /** Keeps chunks in the order their events came, whatever their compression takes. */
  let chain: Promise<void> = Promise.resolve();

  /** Stops rrweb and lets the lock go; what is buffered or waiting is still sent, unless stopped. */
  const idle = () => {
    rec = false;
    stopRrweb?.();
    release();
  };

  const end = (forGood: boolean) => {
    if (stopped) return;
    stopped = true;
    idle();
    outbox.length = 0;
    if (forGood) state.end();
  };

  const add = (e: RecEvent) => {
    if (stopped || !rec) return;
    const j = JSON.stringify(e);
    events.push(e);
    jsons.push(j);
    size += j.length + 1;
    if (size >= MAX_PAYLOAD_BYTES) flush(false);
    else if (!timer) {
      timer = true;
      w.setTimeout(() => {
        timer = false;
        flush(false);
      }, R.chunkIntervalMs);
    }
  };

  const emit = (e: RecEvent) => {
    // A page change inside the document (history API, hash): marked before the event that follows it.
    if (w.location.href !== href) {
      href = w.location.href;
      add({ type: CUSTOM, timestamp: e.timestamp, data: { tag: PAGE_TAG, payload: { href } } });
    }
    add(e);
  };

  /** Frames one run of events and queues it; false when a cap ends the recording. */
  const enqueue = (evs: RecEvent[], payload: Uint8Array, encoding: ChunkHeader["encoding"]): boolean => {
    const st = state.get();
    if (over() || st.q > R.maxChunksPerSession) return false;
    const header: ChunkHeader = {
      v: 1,
      siteKey: cfg.siteKey,
      sessionId,
      grant: grant.grant,
      seq: st.q,
      encoding,
      summary: summarize(evs),
    };
    const ref = w.document.referrer;
    if (st.q === 0 && ref) header.referrer = ref.slice(0, LIMITS.collect.maxReferrerLength);
    const body = frame(header, payload);
    if (st.b + body.length > grant.maxSessionBytes) return false;
    state.take(body.length);
    outbox.push({ body, tries: 0 });
    // Drop the oldest waiting chunk, never the one in flight.
    if (outbox.length > MAX_OUTBOX) outbox.splice(outbox[0] === sending ? 1 : 0, 1);
    return true;
  };

  /**
   * Frames runs of events into chunks, gzipped with `z`. Without it nothing here awaits, so
   * at unload it all happens before the call returns.
   */
  const ship = async (evs: RecEvent[], js: string[], z?: Gzip): Promise<void> => {
    for (const [a, b] of runs(js)) {
      if (stopped) return;
      let payload = jsonArray(js.slice(a, b));
      let encoding: ChunkHeader["encoding"] = "identity";
      if (z) {
        try {
          const g = await z(payload);
          if (g.length < payload.length) {
            payload = g;
            encoding = "gzip";
          }
        } catch {}
      }
      if (payload.length > MAX_PAYLOAD_BYTES) {
        // One event too large even gzipped: the recording could not replay past it. Uncompressed
        // (at unload) it is left out; the next page starts with a full snapshot of its own.
        if (encoding === "gzip") return end(true);
      } else {
        const put = () => enqueue(evs.slice(a, b), payload, encoding);
        // Seqs are taken under the session's second lock, so the tab that lost the recording lock
        // (sending what it held) and the one that took it never bump sl_r at once. At unload
        // nothing waits: the page going holds the recording lock.
        if (!(z && locks ? await locks.request(`${lockName}q`, put).catch(put) : put())) return end(true);
      }
    }
  };

  const pump = async (): Promise<void> => {
    if (sending) return;
    while (!stopped && outbox.length > 0) {
      const p = outbox[0] as Piece;
      sending = p;
      let status = 0;
      try {
        status = (
          await w.fetch(url, {
            method: "POST",
            body: p.body as BodyInit,
            headers: { "Content-Type": CONTENT_TYPE },
            keepalive: true,
            credentials: "omit",
          })
        ).status;
      } catch {}
      sending = undefined;
      if (status === 403 || status === 413) return end(true);
      // 0: the network failed.
      if ((status === 0 || status === 429 || status >= 500) && p.tries < cfg.maxRetries) {
        const delay = cfg.retryBaseMs * 2 ** p.tries++;
        await new Promise<void>((r) => w.setTimeout(r, delay));
      } else {
        const i = outbox.indexOf(p);
        if (i >= 0) outbox.splice(i, 1);
      }
    }
  };

  /** Sends what is buffered: gzipped, in order, through the chain; at unload, framed now and beaconed. */
  const flush = (unloading: boolean): void => {
    if (stopped || events.length === 0) return;
    const evs = events;
    const js = jsons;
    events = [];
    jsons = [];
    size = 0;
    if (!unloading) {
      chain = chain.then(() => ship(evs, js, gzip)).then(pump);
      return;
    }
    // CompressionStream is asynchronous and the page is going: these go as they are.
    void ship(evs, js);
    for (const p of [...outbox]) {
      try {
        if (p !== sending && w.navigator.sendBeacon?.(url, new Blob([p.body as BlobPart], { type: CONTENT_TYPE }))) {
          outbox.splice(outbox.indexOf(p), 1);
        }
      } catch {}
    }
    void pump();
  };

  /**
   * Starts rrweb, which begins with a Meta and a full snapshot: the recording goes on from this
   * tab's page, whatever another tab of the session sent before. False when the recording is over.
   */
  const on = (): boolean => {
    rec = true;
    stopRrweb = record({
      emit,
      checkoutEveryNms: R.checkoutEveryMs,
      ...maskOptions(grant.maskAllText),
      slimDOMOptions: "all",
      sampling: { input: "last" },
      // Left at rrweb's defaults, off: recordCanvas, collectFonts, inlineImages (pixels, fonts, images stay out).
    });
    // rrweb may have emitted a full snapshot in the call; a cap may have ended it meanwhile, or
    // consent was withdrawn while the lock was asked for.
    if (stopped) stopRrweb?.();
    return !stopped;
  };

  /**
   * Records while this tab holds the session's lock. A visible tab steals it (the visitor is
   * looking at it); a hidden one takes it only if no tab holds it, so a lone background tab
   * records too. A tab whose lock is stolen stops rrweb, sends what it has, and waits to be
   * visible again.
   */
  const take = (): void => {
    // over(): a cap may have been reached in another tab meanwhile.
    if (stopped || asking || rec || over() || withdrawn()) return;
    // No Web Locks (Safari before 15.4, pages outside a secure context): every tab records, as before.
    if (!locks) return void on();
    asking = true;
    const steal = visible();
    locks
      .request(
        lockName,
        { steal, ifAvailable: !steal },
        // Held until released (pagehide, the end) or stolen; null: another tab holds it.
        (lock) => lock && on() && new Promise<void>((r) => (release = r)),
      )
      .then(
        () => {
          asking = false;
          // Shown while it asked without stealing, or restored from the back/forward cache before
          // the release at pagehide came back: ask again, stealing.
          if (!rec && visible()) take();
        },
        // Stolen (an AbortError): another tab of the session is in front.
        () => {
          asking = false;
          idle();
          flush(false);
        },
      );
  };

  w.addEventListener("pagehide", () => {
    flush(true);
    // A page in the back/forward cache keeps its locks (the session's other tabs could not take
    // this one, and Chromium evicts the page when another asks for it); restored, it takes the
    // lock again on pageshow and starts with a full snapshot.
    idle();
  });
  w.addEventListener("pageshow", take);
  // Consent withdrawn in another tab of the site reaches this one as a `storage` event: a tab
  // recording here (it holds the lock) stops at once and drops what it had not sent, as the tab
  // that was asked does; given back there, this tab records again if it is in front.
  w.addEventListener("storage", (e) => {
    if (e?.key !== CONSENT_KEY) return;
    if (!withdrawn()) return void (visible() && take());
    idle();
    events = [];
    jsons = [];
    size = 0;
    outbox.length = 0;
  });
  w.document.addEventListener("visibilitychange", () => (visible() ? take() : flush(false)));
  w.addEventListener("error", () => add({ type: CUSTOM, timestamp: now(), data: { tag: ERROR_TAG } }));
  take();

  return () => end(false);
}
