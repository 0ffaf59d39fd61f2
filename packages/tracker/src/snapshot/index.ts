/**
 * Entry of the snapshot chunk `snapshot.<hash>.js`, loaded by the interactions chunk only when
 * the edge asks this visitor for the page's snapshot: takes the jobs queued in `window.__sls`
 * and any later ones.
 */
import type { SnapshotJob, SnapshotQueue } from "../interactions/start.ts";
import { type SnapshotHost, take } from "./take.ts";

const w = window as unknown as SnapshotHost & { __sls?: SnapshotQueue };
const queued = Array.isArray(w.__sls) ? (w.__sls as SnapshotJob[]) : [];
w.__sls = { push: (job: SnapshotJob) => take(w, job) };
for (const job of queued) take(w, job);
