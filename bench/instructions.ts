/**
 * `pnpm bench:instructions`: user-space instructions per collect request, counted by
 * callgrind, for the `edge` build and for the empty worker, and their ratio. The timed bench
 * measures the targets; this tells whether a change to the handler helps. Instruction counts
 * move by at most a few percent between runs, where this kind of VM drifts by tens of percent
 * over seconds (an A/B of a few percent drowns in the timed numbers). It counts workerd's own code and the
 * worker's, not the kernel's (the socket, the log line's write), so its ratio is not
 * `ingest.ratio`, only close to it. Needs valgrind (`apt-get install valgrind`); about 3
 * minutes here.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { siteKvKey } from "@sightline/shared/site";
import { ingestFixture, REQUESTS_PER_CLIENT } from "./ingest.ts";
import { COLLECT_HEADERS } from "./lib/batch.ts";
import { clientAddress } from "./lib/load.ts";
import { buildWorkers, type Instance, startEmpty, startIngest, WORKERD_BIN } from "./lib/miniflare.ts";
import { OFFLINE_ENV } from "./lib/paths.ts";
import { ensureTrackerBuilt } from "./tracker.ts";

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
};
/** Requests per counted window; WINDOWS windows, after as many requests again of warm-up. */
const REQUESTS = arg("--requests", 400);
/**
 * The median window is the figure: a window that holds a full-heap GC reads several percent
 * higher than one that does not, and which windows get one varies from run to run.
 */
const WINDOWS = arg("--windows", 5);
const PORT = Number(process.env.BENCH_PORT ?? 18787) + 6;
const IN_FLIGHT = 8;

for (const [k, v] of Object.entries(OFFLINE_ENV)) process.env[k] ??= v;
process.env.DATABASE_URL ??= "postgresql://bench@127.0.0.1:5432/unused";
process.env.WRANGLER_LOG ??= "error";

try {
  execFileSync("valgrind", ["--version"], { stdio: "ignore" });
} catch {
  console.error("bench:instructions needs valgrind: apt-get install valgrind");
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), "sightline-callgrind-"));
process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
const wrapper = join(dir, "workerd.sh");
// V8 writes code as it compiles it: --smc-check makes valgrind see the new instructions.
writeFileSync(
  wrapper,
  `#!/bin/sh\nexec valgrind --tool=callgrind --smc-check=all-non-file --log-file='${dir}/vg.%p.log' --callgrind-out-file='${dir}/cg.%p' '${WORKERD_BIN}' "$@" >>'${dir}/workerd.log' 2>&1\n`,
);
chmodSync(wrapper, 0o755);
process.env.MINIFLARE_WORKERD_PATH = wrapper;

const { site, body } = ingestFixture();

/** Requests sent so far: the client address rotates as in the ingest section. */
let sent = 0;

async function send(inst: Instance, n: number, expected: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < n) {
        const headers = {
          ...COLLECT_HEADERS,
          "CF-Connecting-IP": clientAddress(Math.floor(sent++ / REQUESTS_PER_CLIENT)),
        };
        const res = await fetch(`${inst.url}/v1/collect`, { method: "POST", body, headers });
        await res.arrayBuffer();
        if (res.status !== expected) throw new Error(`${inst.name} answered ${res.status}, expected ${expected}`);
      }
    }),
  );
}

/** The pid of the workerd that callgrind started last (the newest valgrind log). */
function newestPid(): string {
  const logs = readdirSync(dir).filter((f) => /^vg\.\d+\.log$/.test(f));
  const pids = logs.map((f) => Number(f.split(".")[1])).sort((a, b) => a - b);
  const pid = pids.at(-1);
  if (pid === undefined) throw new Error("no workerd under callgrind");
  return String(pid);
}

/** Instructions per request of each counted window, in the order counted. */
async function instructionsPerRequest(name: string, start: () => Promise<Instance>, expected: number) {
  const inst = await start();
  try {
    const pid = newestPid();
    process.stdout.write(`${name}: warming up (${WINDOWS * REQUESTS} requests under callgrind)\n`);
    await send(inst, WINDOWS * REQUESTS, expected);
    const windows: number[] = [];
    for (let w = 1; w <= WINDOWS; w++) {
      execFileSync("callgrind_control", ["--zero", pid], { stdio: "ignore" });
      await send(inst, REQUESTS, expected);
      execFileSync("callgrind_control", ["--dump", pid], { stdio: "ignore" });
      const dump = readFileSync(join(dir, `cg.${pid}.${w}`), "utf8");
      const total = Number(/^(?:summary|totals): (\d+)/m.exec(dump)?.[1]);
      if (!Number.isFinite(total)) throw new Error(`${name}: no totals in callgrind dump ${w}`);
      windows.push(total / REQUESTS);
    }
    process.stdout.write(`${name}: ${windows.map((n) => k(n)).join(" ")} per request\n`);
    return windows;
  } finally {
    await inst.dispose();
  }
}

const k = (n: number) => `${Math.round(n / 1000).toLocaleString("en-US")}k`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

// The ingest worker bundles the tracker it serves.
ensureTrackerBuilt((line) => process.stdout.write(`${line}\n`));
const scripts = await buildWorkers();
const empty = median(await instructionsPerRequest("empty", () => startEmpty(PORT), 204));
const edge = median(
  await instructionsPerRequest(
    "edge",
    async () => {
      const inst = await startIngest({ name: "edge", port: PORT, scriptPath: scripts.edge, consumer: false });
      await (await inst.mf.getKVNamespace("SITES")).put(siteKvKey(site.siteKey), JSON.stringify(site));
      return inst;
    },
    202,
  ),
);
console.log(
  `\ninstructions per collect request (callgrind, user space; median of ${WINDOWS} windows of ${REQUESTS} requests)`,
);
console.log(`  empty worker        ${k(empty).padStart(8)}`);
console.log(`  ingest (edge build) ${k(edge).padStart(8)}`);
console.log(`  our worker's own    ${k(edge - empty).padStart(8)}`);
console.log(`  empty / ingest      ${(empty / edge).toFixed(3).padStart(8)}`);
