/** Where the bench reads and writes, resolved from this file so it runs from any directory. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const BENCH_DIR = join(ROOT, "bench");
export const BUILD_DIR = join(BENCH_DIR, ".build");
/** The bench-only entry that wraps the ingest worker with production-shaped bindings. */
export const EDGE_ENTRY = join(BENCH_DIR, "fixtures", "edge-bindings.ts");
export const RESULTS_FILE = join(BENCH_DIR, "results", "latest.json");
export const INGEST_CONFIG = join(ROOT, "wrangler.toml");
export const TRACKER_SIZE_FILE = join(ROOT, "packages", "tracker", "dist", "size.json");
const BIN_DIR = join(ROOT, "node_modules", ".bin");
/** wrangler 4.16x needs Node 22.12+; the workspace ships Node 24 in node_modules/.bin. */
export const NODE_BIN = existsSync(join(BIN_DIR, "node")) ? join(BIN_DIR, "node") : process.execPath;
export const WRANGLER_JS = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

export const OFFLINE_ENV: Record<string, string> = {
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
  TURBO_TELEMETRY_DISABLED: "1",
};

export function childEnv(): NodeJS.ProcessEnv {
  return { ...OFFLINE_ENV, ...process.env, PATH: `${BIN_DIR}:${process.env.PATH ?? ""}` };
}
