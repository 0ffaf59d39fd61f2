/**
 * CPU accounting from /proc: the workerd processes this Node process started (Miniflare
 * spawns workerd as a direct child), and the whole machine, so a measured window can say
 * where the CPU went. Linux only; elsewhere the numbers come back null.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

let tck: number | undefined;
function clockTicksPerSecond(): number {
  if (tck === undefined) {
    try {
      tck = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      tck = 100;
    }
  }
  return tck;
}

interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime, in clock ticks. */
  ticks: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm is in parentheses and may itself contain spaces or parentheses.
    const open = raw.indexOf("(");
    const close = raw.lastIndexOf(")");
    const rest = raw.slice(close + 2).split(" ");
    return {
      pid,
      comm: raw.slice(open + 1, close),
      ppid: Number(rest[1]),
      ticks: Number(rest[11]) + Number(rest[12]),
    };
  } catch {
    return null;
  }
}

function allProcesses(): ProcStat[] {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return [];
  }
  const out: ProcStat[] = [];
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const s = readStat(Number(n));
    if (s) out.push(s);
  }
  return out;
}

/** pids of every workerd process descended from this Node process. */
export function workerdPids(): number[] {
  const procs = allProcesses();
  const children = new Map<number, ProcStat[]>();
  for (const p of procs) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const found: number[] = [];
  const stack = [process.pid];
  for (let guard = 0; stack.length > 0 && guard < 10_000; guard++) {
    const pid = stack.pop() as number;
    for (const c of children.get(pid) ?? []) {
      if (c.comm === "workerd") found.push(c.pid);
      stack.push(c.pid);
    }
  }
  return found;
}

/** CPU time of the given processes, in microseconds (utime + stime, all threads). */
export function processCpuUs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) ticks += readStat(pid)?.ticks ?? 0;
  return (ticks / clockTicksPerSecond()) * 1e6;
}

/** Busy and total CPU time of the machine, in microseconds, from the first line of /proc/stat. */
function machineCpuUs(): { busy: number; total: number } | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const k = 1e6 / clockTicksPerSecond();
    return { busy: (total - idle) * k, total: total * k };
  } catch {
    return null;
  }
}

export interface CpuWindow {
  /** Wall time of the window, µs. */
  wallUs: number;
  /** CPU used by the watched workerd processes, µs. */
  workerdUs: number;
  /** CPU used by this Node process (load generator for fetch-based loads, bridge), µs. */
  nodeUs: number;
  /** CPU used by everything on the machine, µs; null off Linux. */
  machineBusyUs: number | null;
}

/** Starts a measurement window over `pids`; call the returned function to close it. */
export function startCpuWindow(pids: number[]): () => CpuWindow {
  const t0 = process.hrtime.bigint();
  const w0 = processCpuUs(pids);
  const n0 = process.cpuUsage();
  const m0 = machineCpuUs();
  return () => {
    const w1 = processCpuUs(pids);
    const n1 = process.cpuUsage(n0);
    const m1 = machineCpuUs();
    return {
      wallUs: Number(process.hrtime.bigint() - t0) / 1e3,
      workerdUs: w1 - w0,
      nodeUs: n1.user + n1.system,
      machineBusyUs: m0 && m1 ? m1.busy - m0.busy : null,
    };
  };
}
