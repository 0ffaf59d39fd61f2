/** Test doubles for the injected dependencies. Used by the *.test.ts files only; never bundled. */
import type { TrackerConfig } from "@sightline/shared/site";
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

/** A window with just what the tracker touches, navigable through its own history. */
export function fakeHost(opts: {
  href?: string;
  cfg?: TrackerConfig;
  beacon?: Beacon;
  gpc?: boolean;
  dnt?: string;
  answers?: (number | Answer | Error)[];
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
  const store = memoryStore();
  /** Scripts the page was given, by src. */
  const scripts: string[] = [];
  const host: Host & {
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
    navigator: { globalPrivacyControl: opts.gpc, doNotTrack: opts.dnt, sendBeacon: opts.beacon },
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
