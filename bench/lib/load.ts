/**
 * HTTP load against one URL: wrk (a C load generator, so the generator's own cost stays
 * small and outside Node), or autocannon from npm where wrk cannot be installed. Both are
 * closed-loop: N connections, each sending its next request when the last one answers.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUILD_DIR } from "./paths.ts";

export type LoadTool = "wrk" | "autocannon";

export interface LoadSpec {
  url: string;
  method: "POST";
  body: string;
  headers: Record<string, string>;
  connections: number;
  durationS: number;
  /**
   * A new `CF-Connecting-IP` every this many requests (10.x.y.z, counting up), as traffic from
   * many visitors arrives; unset, every request carries the address in `headers`.
   */
  requestsPerClient?: number;
}

/** The n-th client address of a rotation: 10.0.0.0 onwards, 2^24 of them. */
export function clientAddress(n: number): string {
  return `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export interface LoadResult {
  tool: LoadTool;
  durationS: number;
  /** Responses received, any status. */
  responses: number;
  /** 2xx responses. */
  ok: number;
  /** Non-2xx/3xx responses. */
  bad: number;
  /** Connect, read, write errors and timeouts. */
  socketErrors: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function hasWrk(): boolean {
  return spawnSync("wrk", ["--version"], { stdio: "ignore" }).error === undefined;
}

/** wrk if present (installing it from apt when we may), else autocannon. */
export function resolveLoadTool(log: (line: string) => void): LoadTool {
  const forced = process.env.BENCH_LOAD_TOOL;
  if (forced === "wrk" || forced === "autocannon") return forced;
  if (hasWrk()) return "wrk";
  if (process.getuid?.() === 0 && spawnSync("apt-get", ["--version"], { stdio: "ignore" }).error === undefined) {
    log("wrk not found; installing it with apt-get");
    const opts = {
      stdio: "ignore" as const,
      timeout: 180_000,
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    };
    if (spawnSync("apt-get", ["install", "-y", "wrk"], opts).status !== 0) {
      spawnSync("apt-get", ["update"], opts);
      spawnSync("apt-get", ["install", "-y", "wrk"], opts);
    }
    if (hasWrk()) return "wrk";
  }
  log("wrk unavailable; falling back to autocannon");
  return "autocannon";
}

export function wrkVersion(): string | null {
  const r = spawnSync("wrk", ["--version"], { encoding: "utf8" });
  return /wrk\s+(\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? null;
}

export function runLoad(tool: LoadTool, spec: LoadSpec): Promise<LoadResult> {
  return tool === "wrk" ? runWrk(spec) : runAutocannon(spec);
}

let scriptSeq = 0;

function wrkScript(spec: LoadSpec): string {
  if (spec.body.includes("]==]")) throw new Error("body cannot be embedded in a Lua long string");
  const headers = Object.entries(spec.headers)
    .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
    .join("\n");
  // request() runs per request only when addresses rotate (same formula as clientAddress).
  const rotate = spec.requestsPerClient
    ? `local sent = 0
request = function()
  local a = math.floor(sent / ${spec.requestsPerClient})
  sent = sent + 1
  wrk.headers["CF-Connecting-IP"] = string.format("10.%d.%d.%d", math.floor(a / 65536) % 256, math.floor(a / 256) % 256, a % 256)
  return wrk.format()
end`
    : "";
  // done() prints one machine-readable line; no response() hook, so wrk parses no bodies.
  return `wrk.method = ${JSON.stringify(spec.method)}
wrk.body = [==[${spec.body}]==]
${headers}
${rotate}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%.0f,"durationUs":%.0f,"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f,"p50Us":%.0f,"p99Us":%.0f,"maxUs":%.0f}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`;
}

function runWrk(spec: LoadSpec): Promise<LoadResult> {
  mkdirSync(BUILD_DIR, { recursive: true });
  const script = join(BUILD_DIR, `load-${process.pid}-${scriptSeq++}.lua`);
  writeFileSync(script, wrkScript(spec));
  const args = [
    "-t1",
    `-c${spec.connections}`,
    `-d${spec.durationS}s`,
    "--timeout",
    "10s",
    "--latency",
    "-s",
    script,
    spec.url,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    // wrk stops itself after -d; this only guards against a hang.
    const guard = setTimeout(() => child.kill("SIGKILL"), (spec.durationS + 30) * 1000);
    child.once("error", (e) => {
      clearTimeout(guard);
      rmSync(script, { force: true });
      reject(e);
    });
    child.once("exit", (code) => {
      clearTimeout(guard);
      rmSync(script, { force: true });
      const line = out.split("\n").find((l) => l.startsWith("BENCH_JSON "));
      if (code !== 0 || !line) {
        reject(new Error(`wrk exited ${code}: ${err || out}`.trim()));
        return;
      }
      const j = JSON.parse(line.slice("BENCH_JSON ".length)) as Record<string, number>;
      const n = (k: string) => j[k] ?? 0;
      const durationS = n("durationUs") / 1e6;
      const socketErrors = n("connect") + n("read") + n("write") + n("timeout");
      const ok = n("requests") - n("status");
      resolve({
        tool: "wrk",
        durationS,
        responses: n("requests"),
        ok,
        bad: n("status"),
        socketErrors,
        rps: ok / durationS,
        p50Ms: n("p50Us") / 1e3,
        p99Ms: n("p99Us") / 1e3,
        maxMs: n("maxUs") / 1e3,
      });
    });
  });
}

async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  const { default: autocannon } = await import("autocannon");
  let sent = 0;
  const every = spec.requestsPerClient;
  const r = await autocannon({
    url: spec.url,
    method: spec.method,
    body: spec.body,
    headers: spec.headers,
    ...(every && {
      requests: [
        {
          setupRequest: (req: { headers?: Record<string, string> }) => ({
            ...req,
            headers: { ...req.headers, "CF-Connecting-IP": clientAddress(Math.floor(sent++ / every)) },
          }),
        },
      ],
    }),
    connections: spec.connections,
    duration: spec.durationS,
    timeout: 10,
  });
  return {
    tool: "autocannon",
    durationS: r.duration,
    responses: r.requests.total,
    ok: r["2xx"],
    bad: r.non2xx,
    socketErrors: r.errors,
    rps: r["2xx"] / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
  };
}
