/**
 * The core's half of session recording, kept small: for a sampled session whose visitor has
 * not withdrawn consent, ask the edge for a grant once per session (the answer cached in
 * localStorage, so the session's next pages reuse it until it expires), then load the recorder
 * chunk and start it with the grant. Everything heavy lives in the chunk (src/recorder/).
 */
import type { GrantResponse } from "@sightline/shared/recording";
import { sessionSampled } from "@sightline/shared/recording/sample";
import type { TrackerConfig } from "@sightline/shared/site";
import type { SessionStore } from "./session.ts";
import { CONTENT_TYPE, type Fetch } from "./transport.ts";

/** `{s: sessionId, g: GrantResponse}`, or `g: 0` when the edge refused this session. */
export const GRANT_KEY = "sl_g";
/** "0" once the site called `sightline('consent', false)`, until it calls it with true. */
export const CONSENT_KEY = "sl_c";

/** What the recorder chunk hands to `window.__slr`: starts recording, returns its stop. */
export type StartRecorder = (cfg: TrackerConfig, sessionId: string, grant: GrantResponse) => () => void;

export interface Cached {
  s: string;
  g: GrantResponse | 0;
}

export interface RecordHost {
  readonly localStorage: SessionStore;
  fetch: Fetch;
  document: {
    createElement(tag: "script"): { src: string };
    head: { appendChild(node: never): unknown };
  };
  /** Set by the core; the recorder chunk calls it once loaded. */
  __slr?: (start: StartRecorder) => void;
}

export function recording(w: RecordHost, cfg: TrackerConfig) {
  let stop: (() => void) | undefined;
  /** Set once this page asked or started; cleared when consent is withdrawn. */
  let busy = false;

  const begin = async (sid: string): Promise<void> => {
    const url = cfg.recorderUrl;
    if (busy || !url || !sessionSampled(cfg.siteKey, sid, cfg.recordingSampleRate)) return;
    busy = true;
    // Where storage throws, nothing is recorded: no grant could be kept for the session.
    try {
      const ls = w.localStorage;
      if (ls.getItem(CONSENT_KEY) === "0") throw w;
      // JSON.parse(null) is null: nothing cached. A refusal (g: 0) has no expiresAt and holds.
      let c: Cached | null = JSON.parse(ls.getItem(GRANT_KEY) as string);
      if (!c || c.s !== sid || (c.g as GrantResponse).expiresAt <= Date.now()) {
        const res = await w.fetch(`${cfg.endpoint}/v1/record/grant`, {
          method: "POST",
          body: JSON.stringify({ siteKey: cfg.siteKey, sessionId: sid }),
          headers: { "Content-Type": CONTENT_TYPE },
          credentials: "omit",
        });
        // Busy or down: the next page asks again. Any other refusal holds for the session.
        if (res.status === 429 || res.status >= 500) throw res;
        c = { s: sid, g: res.status === 200 ? ((await res.json()) as GrantResponse) : 0 };
        ls.setItem(GRANT_KEY, JSON.stringify(c));
      }
      const g = c.g;
      if (!g) return;
      w.__slr = (start) => {
        if (!stop) stop = start(cfg, sid, g);
      };
      // Immutable under its hash: loading it again (consent given back) hits the cache.
      const script = w.document.createElement("script");
      script.src = url;
      w.document.head.appendChild(script as never);
    } catch {
      busy = false;
    }
  };

  /** `sightline('consent', granted)`: false stops recording at once and for later pages. */
  const consent = (granted: boolean, sid: string): void => {
    try {
      w.localStorage.setItem(CONSENT_KEY, granted ? "1" : "0");
    } catch {}
    if (granted) void begin(sid);
    else {
      if (stop) stop();
      stop = w.__slr = undefined;
      busy = false;
    }
  };

  return { begin, consent };
}
