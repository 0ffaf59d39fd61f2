/**
 * Child processes for the local stack: each runs in its own process group (so stopping it
 * also stops what it spawned, such as wrangler's workerd), with its output prefixed by the
 * service name.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";

export interface Service {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  exited: Promise<number | string>;
  hasExited(): boolean;
  /** The last lines it printed, for error messages when it runs quietly. */
  tail: string[];
  stop(): Promise<void>;
}

export interface SpawnOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Print the child's output (prefixed); true by default. */
  echo?: boolean;
}

const NAME_WIDTH = 7;

export function prefixed(name: string): (line: string) => void {
  const tag = `${name.padEnd(NAME_WIDTH)} | `;
  return (line) => process.stdout.write(`${tag}${line}\n`);
}

export function startService(name: string, cmd: string, args: string[], opts: SpawnOptions): Service {
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ["ignore", "pipe", "pipe"],
    // A process group of its own: killing -pid reaches the grandchildren too.
    detached: true,
  });
  const out = prefixed(name);
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
      tail.push(line);
      if (tail.length > 40) tail.shift();
      if (opts.echo !== false) out(line);
    });
  }
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once("error", (err) => {
      done = true;
      out(`failed to start ${cmd}: ${err.message}`);
      resolve(1);
    });
    child.once("exit", (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 1);
    });
  });
  const service: Service = {
    name,
    child,
    exited,
    hasExited: () => done,
    tail,
    stop: () => killGroup(child.pid),
  };
  return service;
}

/** Runs a command to completion; rejects with its name when it exits non-zero. */
export async function run(name: string, cmd: string, args: string[], opts: SpawnOptions): Promise<void> {
  const service = startService(name, cmd, args, opts);
  running.add(service);
  try {
    const code = await service.exited;
    if (code !== 0) {
      const detail = opts.echo === false ? `\n${service.tail.join("\n")}` : "";
      throw new Error(`${name}: \`${[cmd, ...args].join(" ")}\` exited with ${code}${detail}`);
    }
  } finally {
    running.delete(service);
  }
}

/** Commands from `run` still in flight, so a Ctrl-C during them stops them too. */
export const running = new Set<Service>();

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the whole group, then SIGKILL to whatever is left after a grace period. */
export async function killGroup(pid: number | undefined, graceMs = 5_000): Promise<void> {
  if (pid === undefined || !groupAlive(pid)) return;
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pid)) return;
    await sleep(100);
  }
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

export interface WaitOptions {
  timeoutMs: number;
  /** Stop waiting early when the service behind the URL has died. */
  service?: Service;
}

/** Polls a URL until it answers 2xx. */
export async function waitForHttp(url: string, opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (opts.service?.hasExited()) {
      throw new Error(`${opts.service.name} exited before ${url} answered`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).cause ? String((err as Error & { cause: unknown }).cause) : String(err);
    }
    await sleep(250);
  }
  throw new Error(`${url} did not answer within ${Math.round(opts.timeoutMs / 1000)} s (last: ${last})`);
}
