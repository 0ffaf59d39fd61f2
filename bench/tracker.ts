/** The tracker core's gzipped size, as its build records it. */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { childEnv, ROOT, TRACKER_SIZE_FILE } from "./lib/paths.ts";

export interface TrackerResult {
  coreGzipBytes: number;
  coreBytes: number;
  /** The session recorder chunk, loaded only for recorded sessions. */
  recorderGzipBytes: number;
  built: boolean;
}

/** Builds the tracker when its dist is missing; the ingest bundle needs dist too. */
export function ensureTrackerBuilt(log: (line: string) => void): boolean {
  if (existsSync(TRACKER_SIZE_FILE)) return false;
  log("tracker: dist/size.json missing; building @sightline/tracker");
  const pnpm = process.env.npm_execpath;
  const [cmd, args] =
    pnpm && /pnpm/.test(pnpm) && /\.c?js$/.test(pnpm) ? [process.execPath, [pnpm]] : ["pnpm", [] as string[]];
  const r = spawnSync(cmd, [...args, "--filter", "@sightline/tracker", "build"], {
    cwd: ROOT,
    env: childEnv(),
    encoding: "utf8",
    timeout: 180_000,
  });
  if (r.status !== 0) throw new Error(`tracker build failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
  return true;
}

export function trackerSize(built: boolean): TrackerResult {
  const j = JSON.parse(readFileSync(TRACKER_SIZE_FILE, "utf8")) as {
    coreBytes: number;
    coreGzipBytes: number;
    recorderGzipBytes: number;
  };
  return { coreGzipBytes: j.coreGzipBytes, coreBytes: j.coreBytes, recorderGzipBytes: j.recorderGzipBytes, built };
}
