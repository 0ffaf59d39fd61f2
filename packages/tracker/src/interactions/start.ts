/**
 * The interactions chunk: what heatmaps need beyond the core's clicks and scroll depth, for
 * sites with heatmaps on. Moves: where the pointer rests (moveRestMs), at most maxMovesPerPage
 * points a page, sent maxMovePointsPerEvent to an event. Dead clicks: a click (not on a link or
 * a form control, no modifier key) after which nothing changes (no DOM mutation, navigation,
 * scroll or selection change) within deadClickWindowMs. Snapshots: asks the edge, once per page
 * and device class a session sees (kept in localStorage beside the session), whether this
 * visitor should take the page's snapshot (once the page has been shown snapshotAskAfterMs),
 * and loads the snapshot chunk when it should. It sends through a queue of its own, to the same `/v1/collect`, under the
 * session the core keeps, so the core carries none of this.
 */

import { uuidv7 } from "@sightline/shared/ids";
import { HEATMAP_LIMITS } from "@sightline/shared/limits/heatmap";
import type { TrackerConfig } from "@sightline/shared/site";
import type { DeadClickEvent, MoveEvent, WireEvent } from "@sightline/shared/wire";
import { type ClickLike, clickAt, href, pagePx, viewport } from "../heatmap/index.ts";
import { pageKey } from "../heatmap/page.ts";
import { type NavHost, watchNavigation } from "../navigation.ts";
import { queue } from "../queue.ts";
import { type SessionStore, sessions } from "../session.ts";
import { type Beacon, type Fetch, transport } from "../transport.ts";

const H = HEATMAP_LIMITS;

/** A snapshot the edge asked this visitor for: what the snapshot chunk needs to take it. */
export interface SnapshotJob {
  endpoint: string;
  siteKey: string;
  grant: string;
  maskAllText: boolean;
  url: string;
  vw: number;
  /** The page granted (pageKey): the snapshot is not taken once the visitor is on another. */
  page: string;
  hashRoutes: boolean;
}

/** `window.__sls`: jobs for the snapshot chunk; an array until it loads, then its own `push`. */
export type SnapshotQueue = { push(job: SnapshotJob): unknown };

interface PointerLike {
  clientX: number;
  clientY: number;
}

interface ClickEventLike extends ClickLike {
  ctrlKey?: boolean;
  metaKey?: boolean;
  shiftKey?: boolean;
  altKey?: boolean;
}

export interface InteractionsHost extends NavHost {
  __sl?: TrackerConfig;
  __sls?: SnapshotQueue;
  location: NavHost["location"];
  scrollX: number;
  scrollY: number;
  innerWidth: number;
  innerHeight: number;
  readonly localStorage: SessionStore;
  navigator: { sendBeacon?: Beacon };
  fetch: Fetch;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
  MutationObserver?: new (fn: () => void) => { observe(target: unknown, opts: object): void };
  /** Without it the snapshot chunk cannot gzip, so no snapshot is asked for. */
  CompressionStream?: unknown;
  document: {
    documentElement: unknown;
    visibilityState: string;
    createElement(tag: "script"): { src: string };
    head: { appendChild(node: never): unknown };
    addEventListener(type: "click", fn: (e: ClickEventLike) => void, capture: boolean): void;
    addEventListener(type: "visibilitychange" | "selectionchange", fn: () => void): void;
  };
  addEventListener(type: "pointermove", fn: (e: PointerLike) => void, opts: { passive: boolean }): void;
  addEventListener(type: "scroll", fn: () => void, opts: { passive: boolean }): void;
  addEventListener(type: "pagehide" | "popstate" | "hashchange", fn: () => void): void;
}

/** Elements whose click is an interaction the page handles by itself, or a navigation. */
const SKIP = "a[href],input,select,textarea,label,option";

/**
 * `<session id> <page key> <page key>...`: the pages (hashed with their device class) this
 * session has asked the edge about, the last MAX_ASKED of them.
 */
export const ASKED_KEY = "sl_p";
export const MAX_ASKED = 64;

/** FNV-1a, base 36: a few characters a page; a rare collision only skips one question. */
function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

interface Closest {
  closest?(selector: string): unknown;
}

export function startInteractions(w: InteractionsHost, cfg: TrackerConfig, now: () => number = Date.now): void {
  const session = sessions(() => w.localStorage, cfg.sessionIdleMs);
  const q = queue({
    cfg,
    now,
    send: transport(`${cfg.endpoint}/v1/collect`, (u, i) => w.fetch(u, i), w.navigator.sendBeacon?.bind(w.navigator)),
    later: (fn, ms) => w.setTimeout(fn, ms),
  });
  const track = (e: WireEvent) => q.track(e, session(now()));

  // Moves of the current page: the points not sent yet, and how many it has taken in all.
  let page = href(w);
  let points: [number, number][] = [];
  let taken = 0;
  const sendMoves = () => {
    if (points.length === 0) return;
    const ts = now();
    const e: MoveEvent = { type: "move", id: uuidv7(ts), ts, url: page, vw: viewport(w), pts: points };
    points = [];
    track(e);
  };
  let rest: unknown;
  w.addEventListener(
    "pointermove",
    (e) => {
      w.clearTimeout(rest);
      const x = pagePx(e.clientX + w.scrollX);
      const y = pagePx(e.clientY + w.scrollY);
      rest = w.setTimeout(() => {
        if (taken >= H.maxMovesPerPage) return;
        taken++;
        points.push([x, y]);
        if (points.length >= H.maxMovePointsPerEvent) sendMoves();
      }, H.moveRestMs);
    },
    { passive: true },
  );

  // Anything that shows the page reacted: every change bumps the counter a click compares with.
  let changes = 0;
  const changed = () => {
    changes++;
  };
  if (w.MutationObserver) {
    new w.MutationObserver(changed).observe(w.document.documentElement, {
      subtree: true,
      childList: true,
      attributes: true,
      characterData: true,
    });
  }
  w.addEventListener("scroll", changed, { passive: true });
  w.document.addEventListener("selectionchange", changed);
  w.document.addEventListener(
    "click",
    (e) => {
      if (e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
      if ((e.target as Closest | null)?.closest?.(SKIP)) return;
      const ts = now();
      const click = clickAt(w, e, ts);
      if (!click) return;
      const before = changes;
      const from = w.location.href;
      w.setTimeout(() => {
        if (changes !== before || w.location.href !== from) return;
        const { type: _click, rage: _rage, ...fields } = click;
        const dead: DeadClickEvent = { ...fields, type: "deadclick" };
        track(dead);
      }, H.deadClickWindowMs);
    },
    true,
  );

  // Where storage throws, this page's memory stands in: the question is then once per page load.
  let asked = "";
  const firstAsk = (path: string, vw: number): boolean => {
    const device = vw < H.tabletMinPx ? "m" : vw < H.desktopMinPx ? "t" : "d";
    const key = hash(`${device}${path}`);
    let stored = asked;
    try {
      stored = w.localStorage.getItem(ASKED_KEY) ?? asked;
    } catch {}
    const sid = session(now());
    const keys = stored.split(" ");
    if (keys[0] !== sid) keys.splice(0, keys.length, sid);
    else if (keys.includes(key, 1)) return false;
    keys.push(key);
    if (keys.length > MAX_ASKED + 1) keys.splice(1, 1);
    asked = keys.join(" ");
    try {
      w.localStorage.setItem(ASKED_KEY, asked);
    } catch {}
    return true;
  };

  const askSnapshot = () => {
    const url = href(w);
    const vw = viewport(w);
    const path = pageKey(w.location, cfg.hashRoutes);
    if (!cfg.snapshotUrl || !w.CompressionStream || !firstAsk(path, vw)) return;
    w.fetch(`${cfg.endpoint}/v1/snapshot/grant`, {
      method: "POST",
      body: JSON.stringify({ siteKey: cfg.siteKey, url, vw }),
      headers: { "Content-Type": "text/plain;charset=UTF-8" },
      credentials: "omit",
    })
      .then((res) => (res.status === 200 ? res.json() : null))
      .then((answer) => {
        const a = answer as { snapshot?: boolean; grant?: string; maskAllText?: boolean } | null;
        if (!a?.snapshot || !a.grant) return;
        const job: SnapshotJob = {
          endpoint: cfg.endpoint,
          siteKey: cfg.siteKey,
          grant: a.grant,
          maskAllText: !!a.maskAllText,
          url,
          vw,
          page: path,
          hashRoutes: cfg.hashRoutes,
        };
        if (w.__sls) {
          w.__sls.push(job);
          return;
        }
        w.__sls = [job];
        const script = w.document.createElement("script");
        script.src = cfg.snapshotUrl as string;
        w.document.head.appendChild(script as never);
      })
      .catch(() => {});
  };
  let ask: unknown;
  const askLater = () => {
    w.clearTimeout(ask);
    ask = w.setTimeout(askSnapshot, H.snapshotAskAfterMs);
  };
  askLater();

  watchNavigation(
    w,
    () => {
      // A rest that began on the page just left is not counted on the next one.
      w.clearTimeout(rest);
      sendMoves();
      page = href(w);
      taken = 0;
      changed();
      askLater();
    },
    cfg.hashRoutes,
  );
  const leave = () => {
    sendMoves();
    void q.flush(true);
  };
  w.addEventListener("pagehide", leave);
  w.document.addEventListener("visibilitychange", () => {
    if (w.document.visibilityState === "hidden") leave();
  });
}
