/**
 * Entry of the interactions chunk `interactions.<hash>.js`, which the loader injects beside
 * the core for sites with heatmaps on (src/interactions/start.ts). It honours the same opt-outs,
 * and, like the core, runs once a page however often the snippet is pasted in.
 */
import { optedOut } from "../privacy.ts";
import { type InteractionsHost, startInteractions } from "./start.ts";

const w = window as unknown as InteractionsHost & { __sli?: true };
const cfg = w.__sl;
if (cfg?.heatmaps && !w.__sli && !optedOut(w as never, cfg.respectDnt)) {
  w.__sli = true;
  startInteractions(w, cfg);
}
