/**
 * The per-site loader `/s/<siteKey>.js`, as the ingest worker serves it: the site's public
 * config as `window.__sl` (for a site with flags, its public flags in it), the scripts injected
 * (the core, and the interactions chunk when heatmaps are on), then for a site with flags the
 * code that evaluates them (src/flags). Here so the tests can run the very script the edge sends.
 */
import type { TrackerConfig } from "@sightline/shared/site";
import type { LoaderFlags } from "./flags/start.ts";

export type { LoaderFlags } from "./flags/start.ts";

export function loaderScript(
  config: TrackerConfig,
  scripts: string[],
  flags?: { data: LoaderFlags; js: string },
): string {
  const sl = JSON.stringify(flags ? { ...config, flags: flags.data } : config);
  // Scripts added this way run as they arrive, each waiting for nothing of the other's, and
  // never before this script ends: injecting them before the flags code costs the flags
  // nothing, and an error in that code (a browser older than the evaluator) cannot keep the
  // tracker from loading.
  const inject = `(function(d){${JSON.stringify(scripts)}.forEach(function(u){var s=d.createElement("script");s.async=true;s.src=u;(d.head||d.documentElement).appendChild(s)})})(document);`;
  return `window.__sl=${sl};${inject}${flags ? flags.js.trim() : ""}`;
}
