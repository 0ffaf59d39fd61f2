/**
 * The core's half of session recording, kept to a few hundred bytes: for a sampled session
 * whose visitor has not withdrawn consent (on an opt-in site: has given it), load the recorder
 * chunk and start it. Everything heavy lives in the chunk (src/recorder/), the grant from the
 * edge included: a session the edge refuses (its daily quota spent) loads the chunk on its first
 * page only, since the chunk keeps the refusal for the session and the core then reads it before
 * loading anything.
 */
import { sessionSampled } from "@sightline/shared/recording/sample";
import type { TrackerConfig } from "@sightline/shared/site";
import { GRANT_KEY, refusal } from "./recorder/grant.ts";
import type { SessionStore } from "./session.ts";

/** "0" once the site called `sightline('consent', false)`, "1" once it called it with true. */
export const CONSENT_KEY = "sl_c";

/** What the recorder chunk hands to `window.__slr`: starts recording, returns its stop. */
export type StartRecorder = (cfg: TrackerConfig, sessionId: string) => () => void;

export interface RecordHost {
  readonly localStorage: SessionStore;
  document: {
    createElement(tag: "script"): { src: string };
    head: { appendChild(node: never): unknown };
  };
  /** Set by the core; the recorder chunk calls it once loaded. */
  __slr?: (start: StartRecorder) => void;
}

export function recording(w: RecordHost, cfg: TrackerConfig) {
  let stop: (() => void) | undefined;

  const begin = (sid: string): void => {
    const url = cfg.recorderUrl;
    // `__slr` is set while this page has the recorder loading or running, so once a page.
    if (w.__slr || !url || !sessionSampled(sid, cfg.recordingSampleRate)) return;
    // Where storage throws, nothing is recorded: no grant could be kept for the session.
    try {
      const ls = w.localStorage;
      // An opt-in site reads consent not yet given as withdrawn.
      if ((ls.getItem(CONSENT_KEY) || (cfg.consentRequired && "0")) === "0" || ls.getItem(GRANT_KEY) === refusal(sid))
        return;
    } catch {
      return;
    }
    w.__slr = (start) => {
      stop = start(cfg, sid);
    };
    // Immutable under its hash: loading it again (consent given back) hits the cache.
    const script = w.document.createElement("script");
    script.src = url;
    w.document.head.appendChild(script as never);
  };

  /** `sightline('consent', granted)`: false stops recording at once and for later pages. */
  const consent = (granted: boolean, sid: string): void => {
    try {
      w.localStorage.setItem(CONSENT_KEY, granted ? "1" : "0");
    } catch {}
    if (granted) begin(sid);
    else {
      stop?.();
      stop = w.__slr = undefined;
    }
  };

  return { begin, consent };
}
