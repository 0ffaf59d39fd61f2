/** Where the bench reads and writes; the workspace-wide paths come from scripts/lib/paths.ts. */
import { join } from "node:path";
import { ROOT } from "../../scripts/lib/paths.ts";

export { childEnv, INGEST_CONFIG, NODE_BIN, OFFLINE_ENV, ROOT, WRANGLER_JS } from "../../scripts/lib/paths.ts";

export const BENCH_DIR = join(ROOT, "bench");
export const BUILD_DIR = join(BENCH_DIR, ".build");
/** The bench-only entry that wraps the ingest worker with production-shaped bindings. */
export const EDGE_ENTRY = join(BENCH_DIR, "fixtures", "edge-bindings.ts");
export const RESULTS_FILE = join(BENCH_DIR, "results", "latest.json");
export const TRACKER_SIZE_FILE = join(ROOT, "packages", "tracker", "dist", "size.json");
