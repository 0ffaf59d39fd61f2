/**
 * Entry of the shipped bundle `core.<hash>.js`. The loader `/s/<siteKey>.js` sets
 * `window.__sl` to the site's TrackerConfig and then injects this script.
 */
import { start } from "./start.ts";

start(window);
