/**
 * Entry of the interactions chunk `interactions.<hash>.js`, which the loader injects beside
 * the core for sites with heatmaps on (src/interactions/start.ts). It honours the same opt-outs.
 */
import { optedOut } from "../privacy.ts";
import { type InteractionsHost, startInteractions } from "./start.ts";

const w = window as unknown as InteractionsHost;
const cfg = w.__sl;
if (cfg?.heatmaps && !optedOut(w as never, cfg.respectDnt)) startInteractions(w, cfg);
