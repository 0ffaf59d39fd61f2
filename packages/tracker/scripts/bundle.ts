/** The esbuild calls that make the shipped bundles; shared by the build and the bundle test. */
import { readdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { LIMITS } from "@sightline/shared/limits";
import { COLLECT_LIMITS } from "@sightline/shared/limits/collect";
import { HEATMAP_LIMITS } from "@sightline/shared/limits/heatmap";
import { type BuildOptions, build, type Plugin } from "esbuild";
import { minify } from "terser";

export interface Bundle {
  js: string;
  /** Bundled source files, to check what got in. */
  inputs: string[];
}
/** The core bundle (kept for the callers that name it so). */
export type CoreBundle = Bundle;

/**
 * The recorder reads a few of LIMITS.recording (as `R.<key>`) and two lengths of
 * LIMITS.collect; the whole table is 1.6 KB that esbuild cannot prune by property. In the
 * bundle the import becomes just the keys the recorder's sources name, with the same values
 * (tests run the sources against the real table).
 */
function recordingKeysUsed(): string[] {
  const dir = new URL("../src/recorder/", import.meta.url);
  const keys = new Set<string>();
  for (const f of readdirSync(dir)) {
    if (!f.endsWith(".ts") || f.endsWith(".test.ts")) continue;
    for (const m of readFileSync(new URL(f, dir), "utf8").matchAll(/\b(?:R|LIMITS\.recording)\.(\w+)/g)) {
      keys.add(m[1] as string);
    }
  }
  return [...keys].filter((k) => k in LIMITS.recording).sort();
}

const recorderLimits: Plugin = {
  name: "recorder-limits",
  setup(b) {
    b.onResolve({ filter: /^@sightline\/shared\/limits$/ }, () => ({ path: "limits", namespace: "recorder-limits" }));
    b.onLoad({ filter: /.*/, namespace: "recorder-limits" }, () => ({
      contents: `export const LIMITS = ${JSON.stringify({
        recording: Object.fromEntries(
          recordingKeysUsed().map((k) => [k, LIMITS.recording[k as keyof typeof LIMITS.recording]]),
        ),
        collect: { maxUrlLength: LIMITS.collect.maxUrlLength, maxReferrerLength: LIMITS.collect.maxReferrerLength },
      })};`,
      loader: "js",
    }));
  },
};

const TABLES = {
  collect: ["COLLECT_LIMITS", COLLECT_LIMITS],
  heatmap: ["HEATMAP_LIMITS", HEATMAP_LIMITS],
} as const;

/**
 * The keys of a limits table (`COLLECT_LIMITS`) that the tracker's sources read, as
 * `COLLECT_LIMITS.key` or through an alias (`const L = COLLECT_LIMITS; L.key`). Any other use
 * of the name (destructuring, passing the table on) fails the build: the plugin could not
 * tell which keys it needs.
 */
export function limitKeysUsed(name: string, table: object, dir = new URL("../src/", import.meta.url)): string[] {
  const keys = new Set<string>();
  for (const f of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    if (!f.endsWith(".ts") || f.endsWith(".test.ts")) continue;
    // Comments dropped (a "//" inside a string goes too, which only shortens what is searched).
    const src = readFileSync(new URL(f, dir), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    if (!src.includes(name)) continue;
    const names = [name, ...[...src.matchAll(new RegExp(`const (\\w+) = ${name};`, "g"))].map((m) => m[1] as string)];
    const bare = src
      .replace(new RegExp(`import \\{[^}]*\\b${name}\\b[^}]*\\} from`, "g"), "")
      .replace(new RegExp(`const \\w+ = ${name};`, "g"), "")
      .replace(new RegExp(`\\b${name}\\.\\w+`, "g"), "");
    if (new RegExp(`\\b${name}\\b`).test(bare)) throw new Error(`${f}: reads ${name} other than by key`);
    for (const n of names) {
      for (const m of src.matchAll(new RegExp(`(?<![\\w.])${n}\\.(\\w+)`, "g"))) keys.add(m[1] as string);
    }
  }
  const unknown = [...keys].filter((k) => !(k in table));
  if (unknown.length > 0) throw new Error(`${name} has no ${unknown.join(", ")}`);
  return [...keys].sort();
}

/**
 * The core and the interactions chunk read a few keys of COLLECT_LIMITS and HEATMAP_LIMITS;
 * esbuild keeps a whole object literal it cannot prune by property (COLLECT_LIMITS' unused keys
 * were 30 B of the core gzipped). In the bundles each table holds just the keys the sources
 * name, with the same values (tests run the sources against the real tables).
 */
const pickedLimits: Plugin = {
  name: "picked-limits",
  setup(b) {
    b.onResolve({ filter: /^@sightline\/shared\/limits\/(collect|heatmap)$/ }, ({ path }) => ({
      path: path.slice(path.lastIndexOf("/") + 1),
      namespace: "picked-limits",
    }));
    b.onLoad({ filter: /.*/, namespace: "picked-limits" }, ({ path }) => {
      const [name, table] = TABLES[path as keyof typeof TABLES];
      const picked = Object.fromEntries(limitKeysUsed(name, table).map((k) => [k, table[k as keyof typeof table]]));
      return { contents: `export const ${name} = ${JSON.stringify(picked)};`, loader: "js" };
    });
  },
};

/**
 * A second minifier over esbuild's output: terser's repeated compress passes and top-level
 * mangling take off what esbuild's single pass leaves, gzipped: the core 3,079 -> 3,034 B (what
 * lets it carry the batches' flag variants within tracker.maxCoreGzipBytes), the recorder
 * 25,590 -> 24,441 B, the interactions chunk 3,541 -> 3,336 B. About 2 s of build for all.
 */
async function squeeze(js: string, ecma: 2019 | 2020): Promise<string> {
  const out = await minify(js, { ecma, compress: { ecma, passes: 3 }, mangle: { toplevel: true }, format: { ecma } });
  if (!out.code) throw new Error("terser returned no code");
  return out.code;
}

async function bundle(
  entry: string,
  target: string,
  { plugins = [], drop = [] }: Pick<BuildOptions, "plugins" | "drop"> = {},
): Promise<Bundle> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
    bundle: true,
    minify: true,
    format: "iife",
    target,
    platform: "browser",
    legalComments: "none",
    metafile: true,
    write: false,
    plugins,
    drop,
  });
  const js = result.outputFiles[0]?.text ?? "";
  return {
    js: await squeeze(js, target === "es2020" ? 2020 : 2019),
    inputs: Object.keys(result.metafile.inputs),
  };
}

/** `core.<hash>.js`: what every page loads. */
export const bundleCore = (): Promise<Bundle> => bundle("../src/core.ts", "es2019", { plugins: [pickedLimits] });

/**
 * `recorder.<hash>.js`: @rrweb/record, the grant request and the uploader, loaded only for
 * sampled sessions. ES2020: it runs only where rrweb 2 does, and its gzip needs
 * CompressionStream (2020 onwards) anyway.
 */
export const bundleRecorder = (): Promise<Bundle> =>
  bundle("../src/recorder/index.ts", "es2020", {
    plugins: [recorderLimits],
    // rrweb's console.warn/error calls are diagnostics for its own developers; on a customer's
    // page the recorder stays silent (340 B gzipped less, the warning texts go with them).
    drop: ["console", "debugger"],
  });

/** `interactions.<hash>.js`: moves, dead clicks and the snapshot request, for sites with heatmaps on. */
export const bundleInteractions = (): Promise<Bundle> =>
  bundle("../src/interactions/index.ts", "es2019", { plugins: [pickedLimits] });

/**
 * The flags code the loader inlines for sites with flags (src/flags): the shared evaluator and
 * the session id. Not served as a chunk; its gzipped size is what a site's flags add to the
 * loader besides the flags themselves.
 */
export const bundleFlags = (): Promise<Bundle> => bundle("../src/flags/index.ts", "es2019");

/**
 * rrweb-snapshot 2.2.2 ships postcss (55 KB minified, for `rebuild`'s CSS rewriting, which the
 * snapshot chunk never calls) inlined at the top of its one module, behind a CommonJS wrapper
 * call and a row of property reads that esbuild must keep as possible side effects. Marking the
 * call pure and dropping the reads lets esbuild leave postcss out: the chunk goes from 26.5 KB
 * to 8.1 KB gzipped. Exact texts, so a different rrweb-snapshot fails the build instead of
 * silently shipping postcss again.
 */
export const rrwebSnapshotWithoutPostcss: Plugin = {
  name: "rrweb-snapshot-without-postcss",
  setup(b) {
    b.onLoad({ filter: /[\\/]rrweb-snapshot[\\/]dist[\\/]rrweb-snapshot\.js$/ }, async ({ path }) => {
      const src = await readFile(path, "utf8");
      const reads = /^import_postcss\.default\.\w+;\n/gm;
      const wrapper = "var import_postcss = /* @__PURE__ */ __toESM((/* @__PURE__ */ __commonJSMin(";
      const alias = "var postcss_default = import_postcss.default;";
      if (!src.includes(wrapper) || !src.includes(alias) || !src.match(reads)) {
        return {
          errors: [{ text: `${path}: not the rrweb-snapshot 2.2.2 this plugin knows; check postcss stays out` }],
        };
      }
      const contents = src
        .replace(reads, "")
        .replace(
          wrapper,
          "var import_postcss = /* @__PURE__ */ __toESM(/* @__PURE__ */ (/* @__PURE__ */ __commonJSMin(",
        )
        .replace(alias, "var postcss_default = /* @__PURE__ */ (() => import_postcss.default)();");
      return { contents, loader: "js" };
    });
  },
};

/**
 * `snapshot.<hash>.js`: rrweb-snapshot's serialiser and the upload, loaded only when the edge
 * asks this visitor for a page's snapshot. ES2020 and silent, as the recorder.
 */
export const bundleSnapshot = (): Promise<Bundle> =>
  bundle("../src/snapshot/index.ts", "es2020", {
    plugins: [rrwebSnapshotWithoutPostcss],
    drop: ["console", "debugger"],
  });
