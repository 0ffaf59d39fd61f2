/** Wires the tracker to a page. Apart from core.ts so tests can run it against a fake window. */
import type { TrackerConfig } from "@sightline/shared/site";
import { type HeatHost, heatmaps } from "./heatmap/index.ts";
import { type NavHost, watchNavigation } from "./navigation.ts";
import { pageview } from "./pageview.ts";
import { optedOut, type PrivacySignals } from "./privacy.ts";
import { queue } from "./queue.ts";
import { type RecordHost, recording } from "./record.ts";
import { type SessionStore, sessions } from "./session.ts";
import { type Beacon, type Fetch, transport } from "./transport.ts";

/** The parts of `window` the tracker touches. */
export interface Host
  extends NavHost,
    PrivacySignals,
    RecordHost,
    Omit<HeatHost, "document" | "addEventListener" | "location"> {
  /** Set by the loader script `/s/<siteKey>.js`. */
  __sl?: TrackerConfig;
  /** Set by the core once running; also the guard against loading twice. */
  sightline?: Api;
  /** A getter that may throw where storage is blocked. */
  readonly localStorage: SessionStore;
  document: RecordHost["document"] &
    HeatHost["document"] & {
      referrer: string;
      title: string;
      visibilityState: string;
      addEventListener(type: "visibilitychange", fn: () => void): void;
    };
  navigator: PrivacySignals["navigator"] & { sendBeacon?: Beacon };
  fetch: Fetch;
  setTimeout(fn: () => void, ms: number): unknown;
  addEventListener(type: "popstate" | "hashchange" | "pagehide", fn: () => void): void;
  addEventListener(type: "scroll", fn: () => void, opts: { passive: boolean }): void;
}

/** `window.sightline`: `sightline('consent', false)` stops recording; `flush()` sends the queue now. */
export interface Api {
  (command: "consent", granted: boolean): void;
  flush(): Promise<void>;
}

export function start(w: Host): void {
  const cfg = w.__sl;
  // A function there is a copy already running. The loader of a site with flags sets an
  // object there first, which takes this api when it is assigned (src/flags/start.ts).
  if (!cfg || typeof w.sightline === "function" || optedOut(w, cfg.respectDnt)) return;
  const session = sessions(() => w.localStorage, cfg.sessionIdleMs);
  const q = queue({
    cfg,
    now: Date.now,
    // Bound: sendBeacon throws "Illegal invocation" when called off its navigator.
    send: transport(`${cfg.endpoint}/v1/collect`, (u, i) => w.fetch(u, i), w.navigator.sendBeacon?.bind(w.navigator)),
    later: (fn, ms) => w.setTimeout(fn, ms),
  });
  const rec = recording(w, cfg);
  let sid = "";
  const api = ((command: string, granted: unknown) => {
    if (command === "consent") rec.consent(!!granted, sid);
  }) as Api;
  api.flush = () => q.flush();
  w.sightline = api;

  const track = (referrer: string) => {
    const now = Date.now();
    sid = session(now);
    q.track(pageview(now, w.location.href, referrer, w.document.title), sid);
    rec.begin(sid);
  };
  track(w.document.referrer);
  const heat = cfg.heatmaps ? heatmaps(w, Date.now, (e) => q.track(e, sid)) : undefined;
  watchNavigation(
    w,
    (prev) => {
      // The page just left sends its scroll depth before the next pageview starts.
      heat?.page();
      track(prev);
    },
    cfg.hashRoutes,
  );

  // pagehide rather than unload: unload breaks the back/forward cache and often never fires on mobile.
  const leave = () => {
    heat?.leave();
    void q.flush(true);
  };
  w.addEventListener("pagehide", leave);
  w.document.addEventListener("visibilitychange", () => {
    if (w.document.visibilityState === "hidden") leave();
  });
}
