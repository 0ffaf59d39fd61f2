/**
 * `pnpm maintenance on|off|status [--site <siteId>] [--message <text>] [--remote]`: the
 * maintenance switch for when the dashboard and the API cannot flip it (docs/MAINTENANCE.md).
 * It writes the ingest worker's KV directly with wrangler: the local stack's state
 * (SIGHTLINE_STATE_DIR, default .sightline/state) or, with --remote, the deployment's
 * namespace (wrangler's login or CLOUDFLARE_API_TOKEN). API isolates follow within
 * LIMITS.api.maintenanceCacheMs (plus KV propagation, about 60 s, when remote).
 */
import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { parseArgs, promisify } from "node:util";
import { LIMITS } from "@sightline/shared/limits";
import { MAINTENANCE_OFF, maintenanceKvKey, maintenanceState } from "@sightline/shared/site";
import { childEnv, INGEST_CONFIG, NODE_BIN, ROOT, STATE_DIR, WRANGLER_JS } from "./lib/paths.ts";

const USAGE = "usage: pnpm maintenance on|off|status [--site <siteId>] [--message <text>] [--remote]";

async function wrangler(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(NODE_BIN, [WRANGLER_JS, ...args], { cwd: ROOT, env: childEnv() });
  return stdout;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { site: { type: "string" }, message: { type: "string", default: "" }, remote: { type: "boolean" } },
  });
  const [command] = positionals;
  if (!command || !["on", "off", "status"].includes(command) || positionals.length > 1) {
    console.error(USAGE);
    return 2;
  }
  const where = values.remote
    ? ["--remote"]
    : ["--local", "--persist-to", join(resolve(ROOT, process.env.SIGHTLINE_STATE_DIR || STATE_DIR), "ingest")];
  const kv = (...args: string[]) =>
    wrangler(["kv", "key", ...args, "--binding", "SITES", "--config", INGEST_CONFIG, ...where]);
  const key = maintenanceKvKey(values.site);
  const what = values.site ? `site ${values.site}` : "Sightline";

  if (command === "status") {
    // wrangler prints "Value not found" for a missing key: that, like anything unreadable, is off.
    const stored = await kv("get", key, "--text");
    let json: unknown = null;
    try {
      json = JSON.parse(stored);
    } catch {}
    const parsed = maintenanceState.safeParse(json);
    const state = parsed.success ? parsed.data : MAINTENANCE_OFF;
    console.log(
      `${what}: maintenance ${state.on ? "on" : "off"}${state.since ? ` since ${new Date(state.since).toISOString()} (${state.by})` : ""}`,
    );
    return 0;
  }
  const state = maintenanceState.safeParse({
    on: command === "on",
    message: values.message,
    since: Date.now(),
    by: "command",
  });
  if (!state.success) {
    console.error(`The message is at most ${LIMITS.api.maxMaintenanceMessageLength} characters.`);
    return 2;
  }
  // As the EdgeAdmin writes it: a site's switch that is off is no key at all.
  if (values.site && !state.data.on) await kv("delete", key);
  else await kv("put", key, JSON.stringify(state.data));
  console.log(`${what}: maintenance ${command}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
