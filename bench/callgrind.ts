/**
 * `pnpm bench:instructions`: instructions per collect request under valgrind's callgrind, for
 * the empty worker and the `edge` build, with the same wrk load as the ingest section.
 *
 * Timings on a shared 2-core VM move by tens of percent between runs; instruction counts do
 * not, so this is the number to compare two versions of the handler by. It sees user-space
 * instructions only: syscalls (a log line's write to Miniflare's stdout pipe) and cache
 * misses cost time it does not count, so its ratio runs above the timed one. Slow (about two
 * minutes) and needs valgrind (`apt-get install -y valgrind`).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { uuidv7 } from "@sightline/shared/ids";
import { siteKvKey } from "@sightline/shared/site";
import { BENCH_ORIGIN, benchSiteKey, COLLECT_HEADERS, collectBody } from "./lib/batch.ts";
import { runLoad } from "./lib/load.ts";
import { buildWorkers, type Instance, startEmpty, startIngest, useWorkerdWrapper } from "./lib/miniflare.ts";
import { BUILD_DIR, OFFLINE_ENV } from "./lib/paths.ts";

const WARM_S = 30;
const MEASURE_S = 20;
const PORT = Number(process.env.BENCH_PORT ?? 18787);

for (const [k, v] of Object.entries(OFFLINE_ENV)) process.env[k] ??= v;
process.env.DATABASE_URL ??= "postgresql://postgres@127.0.0.1:5432/test";
process.env.WRANGLER_LOG ??= "error";

if (spawnSync("valgrind", ["--version"]).error) {
  console.error("valgrind not found: apt-get install -y valgrind");
  process.exit(2);
}

// workerd under callgrind, instrumentation off until callgrind_control turns it on after the
// warm-up; the bench's wrapper around it sends the output to a file, as in the other sections.
const dir = join(BUILD_DIR, "callgrind");
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const callgrind = [
  "valgrind",
  "--tool=callgrind",
  `--callgrind-out-file=${dir}/cg.%p.out`,
  "--instr-atstart=no",
  "--smc-check=all-non-file",
  "-q",
];

const callgrindPids = () =>
  new Set(
    [...execFileSync("callgrind_control", [], { encoding: "utf8" }).matchAll(/PID (\d+)/g)].map((m) => Number(m[1])),
  );

const site = {
  siteId: "site_callgrind",
  siteKey: benchSiteKey("cg"),
  origins: [BENCH_ORIGIN],
  shards: 1,
  respectDnt: true,
};
const body = collectBody(
  site.siteKey,
  uuidv7(),
  Array.from({ length: 20 }, (_, i) => `/ingest/page-${i % 7}`),
);

async function instructionsPerRequest(name: string, start: () => Promise<Instance>): Promise<number> {
  const before = callgrindPids();
  const inst = await start();
  try {
    const pid = [...callgrindPids()].find((p) => !before.has(p));
    if (pid === undefined) throw new Error(`${name}: no workerd under callgrind`);
    const spec = {
      url: `${inst.url}/v1/collect`,
      method: "POST" as const,
      body,
      headers: COLLECT_HEADERS,
      connections: 16,
      durationS: WARM_S,
    };
    await runLoad("wrk", spec);
    const control = (...args: string[]) =>
      execFileSync("callgrind_control", [...args, String(pid)], { stdio: "ignore" });
    control("-i", "on");
    control("-z");
    const load = await runLoad("wrk", { ...spec, durationS: MEASURE_S });
    control("-d");
    control("-i", "off");
    if (load.bad > 0 || load.ok === 0) throw new Error(`${name}: ${load.ok} ok, ${load.bad} refused`);
    const dumps = readdirSync(dir).filter((f) => f.startsWith(`cg.${pid}.out.`));
    const last = dumps.sort((a, b) => Number(a.split(".").pop()) - Number(b.split(".").pop())).at(-1);
    const ir = Number(/summary: (\d+)/.exec(readFileSync(join(dir, last ?? ""), "utf8"))?.[1]);
    const perRequest = ir / load.responses;
    console.log(
      `${name}: ${load.responses} requests measured, ${(perRequest / 1000).toFixed(1)}k instructions a request`,
    );
    return perRequest;
  } finally {
    await inst.dispose();
  }
}

const scripts = await buildWorkers();
useWorkerdWrapper(callgrind);
const empty = await instructionsPerRequest("empty", () => startEmpty(PORT));
const edge = await instructionsPerRequest("edge", async () => {
  const inst = await startIngest({ name: "edge", port: PORT, scriptPath: scripts.edge, consumer: false });
  await (await inst.mf.getKVNamespace("SITES")).put(siteKvKey(site.siteKey), JSON.stringify(site));
  return inst;
});
console.log(`instructions, empty / edge: ${(empty / edge).toFixed(3)}`);
