/** Test doubles for the injected dependencies. Used by the *.test.ts files only; never bundled. */
import type { TrackerConfig } from "@sightline/shared/site";
import type { Locks } from "./recorder/start.ts";
import type { SessionStore } from "./session.ts";
import type { Host } from "./start.ts";
import type { Beacon, Fetch } from "./transport.ts";

export const config = (over: Partial<TrackerConfig> = {}): TrackerConfig => ({
  siteKey: "site_key_1",
  endpoint: "https://ingest.test",
  flushIntervalMs: 5_000,
  maxQueuedEvents: 500,
  maxRetries: 3,
  retryBaseMs: 1_000,
  sessionIdleMs: 30 * 60 * 1000,
  respectDnt: true,
  heatmaps: false,
  hashRoutes: true,
  recordingSampleRate: 0,
  ...over,
});

export function memoryStore(): SessionStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => {
      data.set(k, v);
    },
  };
}

/** Timers that only fire when a test says so. */
export function manualTimers() {
  const pending: { fn: () => void; ms: number }[] = [];
  return {
    pending,
    later: (fn: () => void, ms: number) => {
      pending.push({ fn, ms });
    },
    /** Fires every timer due now, then lets the promises they started settle. */
    async runAll(): Promise<number[]> {
      const due = pending.splice(0);
      for (const t of due) t.fn();
      await settle();
      return due.map((t) => t.ms);
    },
  };
}

/** Lets pending promise chains (fake fetches resolve at once) run to the end. */
export const settle = () => new Promise<void>((r) => setImmediate(r));

export interface Sent {
  url: string;
  init: RequestInit;
  body: string;
}

/** An answer with a JSON body. */
export interface Answer {
  status: number;
  json: unknown;
}

/** A fetch answering the given statuses in turn (202 once they run out); an Error rejects. */
export function fakeFetch(answers: (number | Answer | Error)[] = []) {
  const calls: Sent[] = [];
  const fetch: Fetch = async (url, init) => {
    calls.push({ url, init, body: String(init.body) });
    const a = answers.shift() ?? 202;
    if (a instanceof Error) throw a;
    const { status, json } = typeof a === "number" ? { status: a, json: null } : a;
    return { status, json: async () => json };
  };
  return { fetch, calls };
}

export function fakeBeacon(accept = true) {
  const calls: { url: string; data: Blob }[] = [];
  const beacon: Beacon = (url, data) => {
    calls.push({ url, data });
    return accept;
  };
  return { beacon, calls };
}

type Listener = (e?: unknown) => void;

type LockCallback = (lock: { name: string } | null) => unknown;

/**
 * The Web Locks API as the recorder uses it, one per origin: shared by the tabs (hosts) a test
 * opens. Exclusive locks granted in request order; `ifAvailable` calls back with null when the
 * lock is held; `steal` takes it at once and rejects the holder's request with an AbortError,
 * leaving the holder's callback running, as browsers do. Callbacks run in a later microtask.
 */
export function fakeLocks() {
  interface Req {
    name: string;
    cb: LockCallback;
    resolve(v: unknown): void;
    reject(e: unknown): void;
  }
  const held = new Map<string, Req>();
  const waiting: Req[] = [];
  /** Every request, with its options, in order. */
  const requests: { name: string; options: LockOptions }[] = [];
  const grant = (r: Req): void => {
    held.set(r.name, r);
    void (async () => {
      let ok = true;
      let v: unknown;
      try {
        v = await r.cb({ name: r.name });
      } catch (e) {
        ok = false;
        v = e;
      }
      // Stolen: its promise was rejected then, and the lock is another's.
      if (held.get(r.name) !== r) return;
      held.delete(r.name);
      if (ok) r.resolve(v);
      else r.reject(v);
      const i = waiting.findIndex((w) => w.name === r.name);
      if (i >= 0) grant(waiting.splice(i, 1)[0] as Req);
    })();
  };
  const request = (name: string, a: LockOptions | LockCallback, b?: LockCallback): Promise<unknown> => {
    const options = typeof a === "function" ? {} : a;
    const cb = (typeof a === "function" ? a : b) as LockCallback;
    requests.push({ name, options });
    return new Promise((resolve, reject) => {
      const r: Req = { name, cb, resolve, reject };
      const holder = held.get(name);
      if (options.steal) {
        if (holder) holder.reject(new DOMException("The lock was stolen.", "AbortError"));
        grant(r);
      } else if (!holder && !waiting.some((w) => w.name === name)) grant(r);
      else if (options.ifAvailable) {
        void Promise.resolve()
          .then(() => cb(null))
          .then(resolve, reject);
      } else waiting.push(r);
    });
  };
  return { locks: { request } as unknown as Locks, held, requests };
}

/** A window with just what the tracker touches, navigable through its own history. */
export function fakeHost(opts: {
  href?: string;
  cfg?: TrackerConfig;
  beacon?: Beacon;
  gpc?: boolean;
  dnt?: string;
  answers?: (number | Answer | Error)[];
  /** Another tab of the same origin: its storage and its locks. */
  store?: ReturnType<typeof memoryStore>;
  locks?: Locks;
}) {
  let url = new URL(opts.href ?? "https://site.test/home");
  const listeners = new Map<string, Listener[]>();
  const on = (type: string, fn: (e: never) => void) => {
    listeners.set(type, [...(listeners.get(type) ?? []), fn as Listener]);
  };
  const emit = (type: string, e?: unknown) => {
    for (const fn of listeners.get(type) ?? []) fn(e);
  };
  const navigate = (_state: unknown, _unused: string, to?: string | URL | null) => {
    if (to) url = new URL(to, url);
  };
  const net = fakeFetch(opts.answers);
  const timers = manualTimers();
  const store = opts.store ?? memoryStore();
  /** Scripts the page was given, by src. */
  const scripts: string[] = [];
  const host: Host & {
    navigator: { locks?: Locks };
    addEventListener(type: string, fn: Listener): void;
    CompressionStream?: typeof CompressionStream;
    /** The interactions chunk clears its resting-pointer timer; these timers are never cleared. */
    clearTimeout(id: unknown): void;
  } = {
    __sl: opts.cfg,
    location: {
      get href() {
        return url.href;
      },
      get pathname() {
        return url.pathname;
      },
      get search() {
        return url.search;
      },
      get hash() {
        return url.hash;
      },
    },
    history: { pushState: navigate, replaceState: navigate },
    scrollX: 0,
    scrollY: 0,
    innerWidth: 1280,
    innerHeight: 800,
    localStorage: store,
    document: {
      referrer: "https://search.test/?q=sightline",
      title: "Home",
      visibilityState: "visible",
      documentElement: { scrollHeight: 2_000 },
      addEventListener: on,
      createElement: () => ({ src: "" }),
      head: {
        appendChild: (node: { src: string }) => {
          scripts.push(node.src);
        },
      },
    },
    navigator: { globalPrivacyControl: opts.gpc, doNotTrack: opts.dnt, sendBeacon: opts.beacon, locks: opts.locks },
    fetch: net.fetch,
    setTimeout: timers.later,
    clearTimeout: () => {},
    addEventListener: on,
  };
  /** The browser moving on its own (back/forward): location changes, history is not called. */
  const go = (to: string) => {
    url = new URL(to, url);
  };
  return { host, emit, go, net, timers, store, scripts };
}
