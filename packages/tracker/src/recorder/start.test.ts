import { gunzipSync } from "node:zlib";
import { LIMITS } from "@sightline/shared/limits";
import { type ChunkHeader, chunkHeader, type GrantResponse } from "@sightline/shared/recording";
import { describe, expect, it } from "vitest";
import { config, fakeBeacon, fakeHost, fakeLocks, memoryStore } from "../fakes.ts";
import { CONSENT_KEY } from "../record.ts";
import { type Record, type RecordOptions, startRecorder } from "./start.ts";
import { STATE_KEY } from "./state.ts";
import type { RecEvent } from "./summary.ts";

const SID = "0190a5c4-1234-7abc-8def-0123456789ab";
const T0 = 1_700_000_000_000;

const grant = (over: Partial<GrantResponse> = {}): GrantResponse => ({
  grant: "g.sig",
  expiresAt: T0 + 3_600_000,
  maxSessionBytes: 1_000_000,
  maxSessionDurationMs: 3_600_000,
  maskAllText: false,
  ...over,
});

/** rrweb stood in for: keeps the options, emits what the test says, counts starts and stops. */
function fakeRecord() {
  const rec = { options: undefined as RecordOptions | undefined, starts: 0, stops: 0 };
  const record: Record = (options) => {
    rec.options = options;
    rec.starts++;
    options.emit({ type: 4, timestamp: T0, data: { href: "https://site.test/home", width: 1, height: 1 } });
    options.emit({ type: 2, timestamp: T0 + 1, data: { node: { type: 0, childNodes: [] } } });
    return () => {
      rec.stops++;
    };
  };
  return { rec, record, emit: (e: RecEvent) => rec.options?.emit(e) };
}

const click = (t: number): RecEvent => ({ type: 3, timestamp: t, data: { source: 2, type: 2, id: 1, x: 5, y: 5 } });

/** Reads an upload as the edge would. */
async function parse(body: BodyInit | Blob | null | undefined): Promise<{ header: ChunkHeader; events: RecEvent[] }> {
  const bytes = new Uint8Array(body instanceof Blob ? await body.arrayBuffer() : (body as Uint8Array));
  const nl = bytes.indexOf(10);
  const header = chunkHeader.parse(JSON.parse(new TextDecoder().decode(bytes.subarray(0, nl))));
  const payload = bytes.subarray(nl + 1);
  const json = header.encoding === "gzip" ? gunzipSync(payload).toString("utf8") : new TextDecoder().decode(payload);
  return { header, events: JSON.parse(json) };
}

/** Lets the chain (gzip by CompressionStream, on Node's thread pool) and the fake fetches run. */
async function drain() {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setTimeout(r, 1));
}

/** Waits (a bounded number of turns, not a time) for something that must happen. */
async function waitFor(done: () => boolean) {
  for (let i = 0; i < 2_000 && !done(); i++) await new Promise<void>((r) => setTimeout(r, 1));
}

function setup(opts: { answers?: number[]; grant?: GrantResponse; beacon?: boolean; now?: () => number } = {}) {
  const b = fakeBeacon(opts.beacon ?? true);
  const page = fakeHost({ cfg: config(), beacon: b.beacon, answers: opts.answers });
  const host = Object.assign(page.host, { CompressionStream: globalThis.CompressionStream });
  const r = fakeRecord();
  const stop = startRecorder(host, config(), SID, opts.grant ?? grant(), r.record, opts.now ?? (() => T0));
  const uploads = () => page.net.calls.filter((c) => c.url === "https://ingest.test/v1/record");
  return { ...page, host, r, stop, beacons: b.calls, uploads };
}

describe("recorder", () => {
  it("starts rrweb with privacy on and the checkout interval", () => {
    const { r } = setup();
    expect(r.rec.options).toMatchObject({
      maskAllInputs: true,
      maskTextSelector: "*",
      blockSelector: "[data-sl-block]",
      checkoutEveryNms: 5 * 60 * 1000,
    });
    expect(r.rec.options?.maskInputFn?.("pw", { type: "password", hasAttribute: () => false } as never)).toBe("");
  });

  it("uploads a gzipped chunk every chunkIntervalMs with its header, summary and the first page's referrer", async () => {
    const { r, timers, uploads, store } = setup();
    r.emit(click(T0 + 10));
    expect(timers.pending.map((t) => t.ms)).toEqual([2_000]);
    await timers.runAll();
    await waitFor(() => uploads().length === 1);
    const [first] = uploads();
    expect(first?.init).toMatchObject({
      method: "POST",
      keepalive: true,
      headers: { "Content-Type": "text/plain;charset=UTF-8" },
    });
    const { header, events } = await parse(first?.init.body);
    expect(header).toMatchObject({
      v: 1,
      siteKey: "site_key_1",
      sessionId: SID,
      grant: "g.sig",
      seq: 0,
      encoding: "gzip",
      referrer: "https://search.test/?q=sightline",
      summary: { firstTs: T0, lastTs: T0 + 10, pages: ["/home"], clicks: 1, events: 3 },
    });
    expect(events.map((e) => e.type)).toEqual([4, 2, 3]);

    r.emit(click(T0 + 3_000));
    await timers.runAll();
    await waitFor(() => uploads().length === 2);
    const second = await parse(uploads()[1]?.init.body);
    expect(second.header.seq).toBe(1);
    expect(second.header.referrer).toBeUndefined();
    expect(JSON.parse(store.data.get(STATE_KEY) ?? "").q).toBe(2);
  });

  it("continues the seq of the session's earlier pages", async () => {
    const { r, timers, uploads, store } = setup();
    await timers.runAll();
    await waitFor(() => uploads().length === 1);
    const next = fakeHost({ cfg: config() });
    for (const [k, v] of store.data) next.store.data.set(k, v);
    const r2 = fakeRecord();
    startRecorder(next.host, config(), SID, grant(), r2.record, () => T0 + 5_000);
    await next.timers.runAll();
    await waitFor(() => next.net.calls.length === 1);
    const body = await parse(next.net.calls[0]?.init.body);
    expect(body.header.seq).toBe(1);
    expect(r.rec.stops + uploads().length).toBe(1);
  });

  it("sends the buffer at once when it reaches the chunk size", async () => {
    const { r, uploads } = setup();
    const big = "x".repeat(20_000);
    for (let i = 0; i < 4; i++) r.emit({ type: 3, timestamp: T0 + i, data: { source: 0, texts: [big] } });
    await waitFor(() => uploads().length > 0);
    expect(uploads().length).toBeGreaterThanOrEqual(1);
  });

  it("retries 5xx and network errors a bounded number of times, then moves on", async () => {
    const { timers, uploads } = setup({ answers: [503, 503, 503, 503, 202] });
    for (let i = 0; i < 5; i++) {
      await timers.runAll();
      await waitFor(() => timers.pending.length > 0 || uploads().length === 4);
    }
    await drain();
    // The first try and maxRetries (3) more, then dropped.
    expect(uploads()).toHaveLength(4);
  });

  it.each([403, 413])("stops for good on %i from the edge", async (status) => {
    const { r, timers, uploads, store } = setup({ answers: [status] });
    await timers.runAll();
    await waitFor(() => r.rec.stops === 1);
    expect(r.rec.stops).toBe(1);
    r.emit(click(T0 + 5));
    await timers.runAll();
    await drain();
    expect(uploads()).toHaveLength(1);
    expect(JSON.parse(store.data.get(STATE_KEY) ?? "").x).toBe(1);
    // The session's next page does not start again.
    const again = fakeRecord();
    expect(startRecorder(fakeHostWith(store.data), config(), SID, grant(), again.record, () => T0)).toBeTypeOf(
      "function",
    );
    expect(again.rec.options).toBeUndefined();
  });

  it("stops at the session's byte cap, its duration cap, its chunk cap and when the grant expires", async () => {
    const capped = setup({ grant: grant({ maxSessionBytes: 100 }) });
    await capped.timers.runAll();
    await waitFor(() => capped.r.rec.stops === 1);
    expect([capped.uploads().length, capped.r.rec.stops]).toEqual([0, 1]);

    let now = T0;
    const timed = setup({ grant: grant({ maxSessionDurationMs: 10_000 }), now: () => now });
    await timed.timers.runAll();
    await waitFor(() => timed.uploads().length === 1);
    now = T0 + 10_000;
    timed.r.emit(click(now));
    await timed.timers.runAll();
    await waitFor(() => timed.r.rec.stops === 1);
    expect([timed.uploads().length, timed.r.rec.stops]).toEqual([1, 1]);

    // A session past maxChunksPerSession (its earlier pages sent them all).
    const full = fakeHost({ cfg: config() });
    full.store.data.set(
      STATE_KEY,
      JSON.stringify({ s: SID, q: LIMITS.recording.maxChunksPerSession + 1, b: 0, t: T0 }),
    );
    const fullRec = fakeRecord();
    startRecorder(full.host, config(), SID, grant(), fullRec.record, () => T0);
    await full.timers.runAll();
    await waitFor(() => fullRec.rec.stops === 1);
    expect([full.net.calls.length, fullRec.rec.stops]).toEqual([0, 1]);

    const expired = fakeRecord();
    startRecorder(fakeHost({ cfg: config() }).host, config(), SID, grant({ expiresAt: T0 }), expired.record, () => T0);
    expect(expired.rec.options).toBeUndefined();
  });

  it("stops uploading when stopped (consent withdrawn), dropping what was buffered", async () => {
    const { r, stop, timers, uploads, emit, beacons } = setup();
    stop();
    expect(r.rec.stops).toBe(1);
    r.emit(click(T0 + 5));
    await timers.runAll();
    emit("pagehide");
    await drain();
    expect([uploads().length, beacons.length]).toEqual([0, 0]);
  });

  it("beacons what is left, uncompressed, on pagehide", async () => {
    const { r, emit, beacons, uploads } = setup();
    r.emit(click(T0 + 5));
    emit("pagehide");
    expect(beacons.map((b) => b.url)).toEqual(["https://ingest.test/v1/record"]);
    const { header, events } = await parse(beacons[0]?.data);
    expect(header).toMatchObject({ seq: 0, encoding: "identity" });
    expect(events).toHaveLength(3);
    expect(beacons[0]?.data.type).toBe("text/plain;charset=utf-8");
    expect(uploads()).toHaveLength(0);
  });

  it("marks page changes within the document and uncaught errors in the stream and the summary", async () => {
    const { r, host, emit, timers, uploads } = setup();
    host.history.pushState({}, "", "/pricing");
    r.emit(click(T0 + 20));
    emit("error");
    await timers.runAll();
    await waitFor(() => uploads().length === 1);
    const { header, events } = await parse(uploads()[0]?.init.body);
    expect(header.summary).toMatchObject({ pages: ["/home", "/pricing"], errors: 1 });
    expect(events.filter((e) => e.type === 5).map((e) => e.data.tag)).toEqual(["sl:page", "sl:error"]);
  });
});

function fakeHostWith(data: Map<string, string>) {
  const h = fakeHost({ cfg: config() });
  for (const [k, v] of data) h.store.data.set(k, v);
  return h.host;
}

const LOCK = `sl_r:${SID}`;

/** Tabs of one session in one browser: storage and locks shared, timers, network and rrweb each their own. */
function browser(cfg = config()) {
  const store = memoryStore();
  const l = fakeLocks();
  const open = (visibility: "visible" | "hidden") => {
    const page = fakeHost({ cfg, store, locks: l.locks, beacon: fakeBeacon().beacon });
    page.host.document.visibilityState = visibility;
    const host = Object.assign(page.host, { CompressionStream: globalThis.CompressionStream });
    const r = fakeRecord();
    const stop = startRecorder(host, cfg, SID, grant(), r.record, () => T0);
    const uploads = () => page.net.calls.filter((c) => c.url === "https://ingest.test/v1/record");
    /** The browser showing or hiding the tab. */
    const show = (v: "visible" | "hidden") => {
      host.document.visibilityState = v;
      page.emit("visibilitychange");
    };
    return { ...page, host, r, stop, uploads, show };
  };
  const recordingLock = () => l.requests.filter((q) => q.name === LOCK).map((q) => q.options);
  return { open, store, recordingLock, ...l };
}

const seqs = async (...tabs: { uploads(): { init: RequestInit }[] }[]) =>
  (await Promise.all(tabs.flatMap((t) => t.uploads()).map((u) => parse(u.init.body)))).map((c) => c.header.seq);

describe("one tab of a session records at a time", () => {
  it("a tab shown takes the recording from a hidden one: that one stops and sends what it had, the shown one starts with a full snapshot", async () => {
    const b = browser();
    const a = b.open("visible");
    await waitFor(() => a.r.rec.starts === 1);
    a.r.emit(click(T0 + 10));
    a.show("hidden");
    await waitFor(() => a.uploads().length === 1);
    // Alone, it records while hidden.
    a.r.emit(click(T0 + 20));

    const c = b.open("visible");
    await waitFor(() => c.r.rec.starts === 1 && a.uploads().length === 2);
    expect(a.r.rec.stops).toBe(1);
    expect((await parse(a.uploads()[1]?.init.body)).events).toEqual([click(T0 + 20)]);
    // The idle tab adds nothing, not even its errors.
    a.emit("error");
    await a.timers.runAll();
    await c.timers.runAll();
    await waitFor(() => c.uploads().length === 1);
    expect((await parse(c.uploads()[0]?.init.body)).events.map((e) => e.type)).toEqual([4, 2]);
    expect(a.uploads()).toHaveLength(2);

    // Back to the first tab: it takes the recording again, from a full snapshot.
    c.r.emit(click(T0 + 30));
    c.show("hidden");
    a.show("visible");
    await waitFor(() => a.r.rec.starts === 2 && c.r.rec.stops === 1);
    a.r.emit(click(T0 + 40));
    await a.timers.runAll();
    await waitFor(() => a.uploads().length === 3 && c.uploads().length === 2);
    expect((await parse(a.uploads()[2]?.init.body)).events.map((e) => e.type)).toEqual([4, 2, 3]);

    // Each seq once, taken under the session's seq lock.
    expect((await seqs(a, c)).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(b.requests.filter((q) => q.name === `${LOCK}q`)).toHaveLength(5);
    expect(JSON.parse(b.store.data.get(STATE_KEY) ?? "").q).toBe(5);
    expect(b.recordingLock()).toEqual([
      { steal: true, ifAvailable: false },
      { steal: true, ifAvailable: false },
      { steal: true, ifAvailable: false },
    ]);
  });

  it("a hidden tab records when no tab does, and takes nothing from one that does until it is shown", async () => {
    const b = browser();
    const a = b.open("hidden");
    await waitFor(() => a.r.rec.starts === 1);
    const c = b.open("hidden");
    await drain();
    expect(c.r.rec.starts).toBe(0);
    expect(b.recordingLock()).toEqual([
      { steal: false, ifAvailable: true },
      { steal: false, ifAvailable: true },
    ]);
    c.show("visible");
    await waitFor(() => c.r.rec.starts === 1 && a.r.rec.stops === 1);
    expect(b.held.size).toBe(1);
  });

  it("a tab shown while it asked without stealing steals once the answer comes", async () => {
    const b = browser();
    const a = b.open("visible");
    await waitFor(() => a.r.rec.starts === 1);
    const c = b.open("hidden");
    c.show("visible");
    await waitFor(() => c.r.rec.starts === 1 && a.r.rec.stops === 1);
    expect(b.recordingLock().at(-1)).toEqual({ steal: true, ifAvailable: false });
  });

  it("lets the lock go at pagehide and takes it again when the page comes back from the back/forward cache", async () => {
    const b = browser();
    const a = b.open("visible");
    await waitFor(() => a.r.rec.starts === 1);
    a.emit("pagehide");
    expect(a.r.rec.stops).toBe(1);
    await waitFor(() => b.held.size === 0);
    a.emit("pageshow");
    await waitFor(() => a.r.rec.starts === 2);
    expect(b.held.get(LOCK)).toBeDefined();
    // Restored before the release at pagehide came back: it asks again once it has.
    a.emit("pagehide");
    a.emit("pageshow");
    await waitFor(() => a.r.rec.starts === 3);
    expect([b.held.get(LOCK)?.name, a.r.rec.stops]).toEqual([LOCK, 2]);
  });

  it("lets the lock go when stopped, and a tab shown after the recording ended for good does not start", async () => {
    const b = browser();
    const a = b.open("visible");
    await waitFor(() => a.r.rec.starts === 1);
    a.stop();
    await waitFor(() => b.held.size === 0);
    a.show("hidden");
    a.show("visible");
    await drain();
    expect(a.r.rec.starts).toBe(1);

    const c = b.open("hidden");
    await waitFor(() => c.r.rec.starts === 1);
    const d = b.open("hidden");
    await drain();
    // The recording tab reached a cap meanwhile.
    b.store.data.set(STATE_KEY, JSON.stringify({ s: SID, q: 9, b: 0, t: T0, x: 1 }));
    d.show("visible");
    await drain();
    expect([d.r.rec.starts, c.r.rec.stops]).toEqual([0, 0]);
  });

  it("a tab shown after consent was withdrawn in another tab of the site does not start", async () => {
    const b = browser();
    const a = b.open("visible");
    await waitFor(() => a.r.rec.starts === 1);
    const c = b.open("hidden");
    await drain();
    // sightline('consent', false) in the first tab: its core stores "0" and stops its recorder.
    b.store.data.set(CONSENT_KEY, "0");
    a.stop();
    await waitFor(() => b.held.size === 0);
    c.show("visible");
    await drain();
    expect(c.r.rec.starts).toBe(0);
    // Given back: the next time the tab is shown it records.
    b.store.data.set(CONSENT_KEY, "1");
    c.show("hidden");
    c.show("visible");
    await waitFor(() => c.r.rec.starts === 1);
  });

  it("on an opt-in site a tab starts only while consent is given", async () => {
    const b = browser(config({ consentRequired: true }));
    b.store.data.set(CONSENT_KEY, "1");
    const a = b.open("visible");
    await waitFor(() => a.r.rec.starts === 1);
    const c = b.open("hidden");
    await drain();
    a.stop();
    await waitFor(() => b.held.size === 0);
    // Consent no longer given (a consent tool cleared it), which an opt-out site would read as allowed.
    b.store.data.delete(CONSENT_KEY);
    c.show("visible");
    await drain();
    expect(c.r.rec.starts).toBe(0);
    b.store.data.set(CONSENT_KEY, "0");
    c.show("hidden");
    c.show("visible");
    await drain();
    expect(c.r.rec.starts).toBe(0);
    b.store.data.set(CONSENT_KEY, "1");
    c.show("hidden");
    c.show("visible");
    await waitFor(() => c.r.rec.starts === 1);

    // The same tab on an opt-out site, nothing stored: it records.
    const out = browser();
    const d = out.open("visible");
    await waitFor(() => d.r.rec.starts === 1);
    expect(out.store.data.has(CONSENT_KEY)).toBe(false);
  });

  it("the recording tab stops, dropping what it had not sent, when consent is withdrawn in another tab", async () => {
    const b = browser();
    const a = b.open("visible");
    await waitFor(() => a.r.rec.starts === 1);
    a.r.emit(click(T0 + 10));
    const c = b.open("hidden");
    await drain();
    // sightline('consent', false) in the other tab: its core stores "0"; the browser tells this tab.
    b.store.data.set(CONSENT_KEY, "0");
    a.emit("storage", { key: CONSENT_KEY });
    expect(a.r.rec.stops).toBe(1);
    await waitFor(() => b.held.size === 0);
    a.r.emit(click(T0 + 20));
    await a.timers.runAll();
    await drain();
    expect(a.uploads()).toEqual([]);
    // Another key written changes nothing; consent given back: the tab in front records again.
    a.emit("storage", { key: "sl_s" });
    b.store.data.set(CONSENT_KEY, "1");
    a.emit("storage", { key: CONSENT_KEY });
    await waitFor(() => a.r.rec.starts === 2);
    expect(c.r.rec.starts).toBe(0);
  });

  it("without Web Locks every tab records, as before", () => {
    const store = memoryStore();
    const tabs = [0, 1].map(() => {
      const page = fakeHost({ cfg: config(), store });
      const r = fakeRecord();
      startRecorder(page.host, config(), SID, grant(), r.record, () => T0);
      return r;
    });
    expect(tabs.map((r) => r.rec.starts)).toEqual([1, 1]);
  });
});
