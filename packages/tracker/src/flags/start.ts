/**
 * Feature flags on first paint: the loader of a site with flags carries its public flags and
 * this code (src/flags/index.ts), and evaluates every flag for the visitor before the page
 * renders, with the shared evaluator the edge's OFREP routes use. Not in the core, which has
 * no bytes to spare and loads asynchronously.
 */
import type { FlagValue, SiteFlags } from "@sightline/shared/flags";
import { type EvaluationContext, evaluateAll, type FlagResult } from "@sightline/shared/flags/evaluate";
import type { TrackerConfig } from "@sightline/shared/site";
import { optedOut, type PrivacySignals } from "../privacy.ts";
import { type SessionStore, sessions } from "../session.ts";

/** What the loader puts in `window.__sl.flags`. */
export interface LoaderFlags {
  /** `publicFlags` of the site's record: no flag with private targeting, no descriptions. */
  record: SiteFlags;
  /** What the edge knows of the visitor (OFREP fills the same): `country`, `device`. */
  ctx: { country?: string; device?: string };
}

/** The part of `window.sightline` the flags add. */
export interface FlagsApi {
  /** The flag's value for this visitor, or `fallback` when there is none or it has another type. */
  flag<T extends FlagValue>(key: string, fallback: T): T;
  /** Each evaluated flag's variant, `{ key: variant }`, as served on this page. */
  flags(): Record<string, string>;
}

export interface FlagsHost extends PrivacySignals {
  __sl?: TrackerConfig & { flags?: LoaderFlags };
  sightline?: unknown;
  readonly localStorage: SessionStore;
  location: { pathname: string };
}

export function startFlags(w: FlagsHost): void {
  const cfg = w.__sl;
  const data = cfg?.flags;
  // Set already: the snippet is on the page twice, and the first copy's flags stand.
  if (!cfg || !data || w.sightline) return;
  // The session id is the targeting key: the only id the tracker keeps, so a visitor is not
  // given a lasting one for flags. Minted here when there is none, and stored, so the core
  // adopts it. An opted-out visitor gets no key and nothing stored: splits answer the fallback.
  const targetingKey = optedOut(w, cfg.respectDnt)
    ? undefined
    : sessions(() => w.localStorage, cfg.sessionIdleMs)(Date.now());
  // No prototype: a rule on an attribute named like an Object method must read it as absent.
  const ctx: EvaluationContext = Object.assign(Object.create(null), data.ctx, {
    path: w.location.pathname,
    targetingKey,
  });
  const values = new Map<string, FlagValue>();
  const variants: Record<string, string> = {};
  let results: FlagResult[] = [];
  try {
    results = evaluateAll(data.record, ctx);
  } catch {
    // A browser without what the evaluator uses (Object.hasOwn: Safari 15.4, Chrome 93) gets
    // every fallback rather than a page whose calls to sightline.flag throw.
  }
  for (const result of results) {
    if (!("variant" in result)) continue;
    values.set(result.key, result.value);
    variants[result.key] = result.variant;
  }
  // The core sends these with every batch, so the session's events carry the variants it was
  // served (the statistics' `flag` breakdown, heatmaps split by variant).
  const served = Object.keys(variants).map((key) => `${key}=${variants[key]}`);
  if (served.length > 0) cfg.variants = served;
  const own: FlagsApi = {
    flag: (key, fallback) => {
      const value = values.get(key);
      return value !== undefined && typeof value === typeof fallback ? (value as typeof fallback) : fallback;
    },
    flags: () => ({ ...variants }),
  };
  // The core assigns its own api to `window.sightline` when it runs; the setter hands it these
  // functions too, so `sightline.flag` answers before the core arrives and after.
  let core: object | undefined;
  Object.defineProperty(w, "sightline", {
    configurable: true,
    enumerable: true,
    get: () => core ?? own,
    set: (api: object) => {
      core = Object.assign(api, own);
    },
  });
}
