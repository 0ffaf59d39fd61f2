/**
 * Entry of the flags code the loader `/s/<siteKey>.js` inlines, after `window.__sl`, for sites
 * with flags (src/flags/start.ts). Inlined, not a chunk: a chunk would load asynchronously and
 * miss the first paint.
 */
import { type FlagsHost, startFlags } from "./start.ts";

startFlags(window as unknown as FlagsHost);
