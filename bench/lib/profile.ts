/**
 * Where our handler's CPU goes: a V8 CPU profile of the harness isolate (the ingest bundle
 * called in a loop with do-nothing bindings), taken over workerd's inspector. One isolate on
 * its own, so every sample is ours. Samples are attributed to the bundled package they come
 * from, using the `// path` comment esbuild writes at the start of each module.
 */
import { readFileSync } from "node:fs";
import { WebSocket } from "ws";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HandlerProfile {
  calls: number;
  /** Sampled time per call. Samples are wall time: other load on the machine inflates them. */
  sampledUsPerCall: number;
  /** Share of the samples by where they were spent (bundled package, GC, harness). */
  byPackage: { name: string; share: number }[];
  /** The hottest functions by share of samples: self time, builtins counted to their JS caller. */
  topFunctions: { name: string; where: string; share: number }[];
}

function cdp(url: string) {
  return new Promise<{ send: <T>(method: string, params?: object) => Promise<T>; close: () => void }>(
    (resolve, reject) => {
      const ws = new WebSocket(url);
      let seq = 0;
      const pending = new Map<number, (m: { result?: unknown; error?: { message: string } }) => void>();
      ws.on("message", (d) => {
        const m = JSON.parse(String(d)) as { id?: number; result?: unknown; error?: { message: string } };
        if (m.id !== undefined) pending.get(m.id)?.(m);
      });
      ws.once("error", reject);
      ws.once("open", () =>
        resolve({
          send: <T>(method: string, params: object = {}) =>
            new Promise<T>((ok, fail) => {
              const id = ++seq;
              const timer = setTimeout(() => fail(new Error(`${method} timed out`)), 60_000);
              pending.set(id, (m) => {
                clearTimeout(timer);
                pending.delete(id);
                if (m.error) fail(new Error(`${method}: ${m.error.message}`));
                else ok(m.result as T);
              });
              ws.send(JSON.stringify({ id, method, params }));
            }),
          close: () => ws.terminate(),
        }),
      );
    },
  );
}

function packageOf(path: string): string {
  const nm = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (nm?.[1]) return nm[1];
  const ws = /(?:^|\/)(packages|workers)\/([^/]+)\/(.*)$/.exec(path);
  if (ws) return ws[1] === "packages" ? `@sightline/${ws[2]}` : `workers/${ws[2]}/${ws[3]}`;
  return path;
}

/** Profiles the isolate `target` on `inspectorPort` while `during` runs `calls` handler calls. */
export async function profileHandler(
  inspectorPort: number,
  target: string,
  bundlePath: string,
  calls: number,
  during: () => Promise<void>,
): Promise<HandlerProfile> {
  const c = await cdp(`ws://127.0.0.1:${inspectorPort}/${target}`);
  let profile: CpuProfile;
  try {
    await c.send("Profiler.enable");
    await c.send("Profiler.setSamplingInterval", { interval: 100 });
    await c.send("Profiler.start");
    await during();
    profile = (await c.send<{ profile: CpuProfile }>("Profiler.stop")).profile;
  } finally {
    c.close();
  }

  // Module start lines in the bundle, for line -> package.
  const modules: { line: number; name: string }[] = [];
  readFileSync(bundlePath, "utf8")
    .split("\n")
    .forEach((l, i) => {
      const m = /^\/\/ (\S+\.(?:[cm]?js|ts|json))$/.exec(l);
      if (m?.[1]) modules.push({ line: i, name: packageOf(m[1]) });
    });
  const moduleAt = (line: number) => {
    let found = "(bundle)";
    for (const m of modules) {
      if (m.line > line) break;
      found = m.name;
    }
    return found;
  };

  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const ch of n.children ?? []) parent.set(ch, n.id);
  const bundleFile = bundlePath.split("/").pop() as string;
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, { name: string; where: string; us: number }>();
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const leaf = nodes.get(id);
    const fn = leaf?.callFrame.functionName ?? "";
    if (!leaf || fn === "(idle)" || fn === "(root)") return;
    let where: string;
    let name: string;
    if (fn === "(garbage collector)" || fn === "(program)") {
      where = fn;
      name = fn;
    } else {
      // Builtins (JSON.parse, RegExp exec, URL) have no url: count them to their JS caller.
      let frame: ProfileNode | undefined = leaf;
      while (frame && !frame.callFrame.url) frame = nodes.get(parent.get(frame.id) ?? -1);
      const cf = frame?.callFrame;
      where = !cf ? "(builtin)" : cf.url.endsWith(bundleFile) ? moduleAt(cf.lineNumber) : "(harness)";
      // esbuild's keepNames wraps functions in __name(), so V8 often sees them as anonymous.
      const fnName = cf?.functionName || `(anonymous, index.js:${(cf?.lineNumber ?? -1) + 1})`;
      name = `${fnName}${frame !== leaf ? ` > ${fn || "(builtin)"}` : ""}`;
    }
    byPackage.set(where, (byPackage.get(where) ?? 0) + dt);
    const key = `${where}|${name}`;
    const e = byFunction.get(key) ?? { name, where, us: 0 };
    e.us += dt;
    byFunction.set(key, e);
  });
  const total = [...byPackage.values()].reduce((a, b) => a + b, 0) || 1;
  const share = (us: number) => us / total;
  return {
    calls,
    sampledUsPerCall: total / calls,
    byPackage: [...byPackage].map(([name, us]) => ({ name, share: share(us) })).sort((a, b) => b.share - a.share),
    topFunctions: [...byFunction.values()]
      .map((f) => ({ name: f.name, where: f.where, share: share(f.us) }))
      .sort((a, b) => b.share - a.share)
      .slice(0, 15),
  };
}
