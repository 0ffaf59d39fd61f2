/**
 * Bundles the dashboard into dist/: index.html, assets/app.<hash>.js and assets/app.<hash>.css
 * (content-hashed, so they are cached for a year), the favicon and the _headers file the
 * Workers asset server applies. The API worker serves dist/ (workers/api/wrangler.toml [assets]).
 */
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build, type Metafile, type Plugin } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = fileURLToPath(new URL("../dist/", import.meta.url));

// Immutable hashed assets; everything else (index.html) is revalidated so a deploy shows at once.
// The CSP allows inline style attributes because uPlot sizes its canvas and legend with them.
// A replayed recording is the recorded site's DOM in a sandboxed frame of this page, so its
// images, fonts and the stylesheets rrweb could not inline load from that site's origin;
// scripts stay 'self' only (rrweb never replays the site's code).
const HEADERS = `/assets/*
  Cache-Control: public, max-age=31536000, immutable

/*
  Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline' https: http:; img-src 'self' data: blob: https: http:; font-src 'self' data: https: http:; media-src 'self' blob: https: http:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'
  X-Content-Type-Options: nosniff
  Referrer-Policy: same-origin
  X-Frame-Options: DENY
`;

function entryOutputs(metafile: Metafile): { js: string; css: string } {
  for (const [file, out] of Object.entries(metafile.outputs)) {
    if (out.entryPoint?.endsWith("src/main.ts") && file.endsWith(".js")) {
      if (!out.cssBundle) throw new Error("dashboard: the bundle produced no stylesheet");
      return { js: relative(`${dist}assets`, file), css: relative(`${dist}assets`, out.cssBundle) };
    }
  }
  throw new Error("dashboard: esbuild produced no entry bundle");
}

/**
 * zod's namespace object (`z`, which the shared flag schema imports) re-exports every locale as
 * `z.locales`, 264 KB minified that esbuild keeps with the namespace. Nothing here reads
 * `z.locales`; zod's English messages come from its schemas.js, which imports locales/en.js
 * itself. So the locales' index is an empty module in this bundle.
 */
const zodWithoutLocales: Plugin = {
  name: "zod-without-locales",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(args.importer)
        ? { path: "zod-locales", namespace: "zod-without-locales" }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "zod-without-locales" }, () => ({ contents: "export {};", loader: "js" }));
  },
};

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { app: "src/main.ts" },
  outdir: "dist/assets",
  entryNames: "[name].[hash]",
  assetNames: "[name].[hash]",
  // The recordings player (rrweb's replayer), the heatmap layer (rrweb-snapshot's rebuild and
  // simpleheat) and the Flags pages (zod, for the shared flag schema) are imported dynamically:
  // chunks of their own, fetched only on their pages.
  splitting: true,
  chunkNames: "[name].[hash]",
  bundle: true,
  minify: true,
  sourcemap: "linked",
  format: "esm",
  target: ["es2022", "chrome111", "firefox113", "safari16.4"],
  metafile: true,
  logLevel: "warning",
  plugins: [zodWithoutLocales],
});
const { js, css } = entryOutputs(result.metafile);
const template = await readFile(new URL("../src/index.html", import.meta.url), "utf8");
await Promise.all([
  writeFile(`${dist}index.html`, template.replace("{{JS}}", js).replace("{{CSS}}", css)),
  copyFile(new URL("../src/favicon.svg", import.meta.url), `${dist}favicon.svg`),
  writeFile(`${dist}_headers`, HEADERS),
]);

const size = async (name: string) => {
  const body = await readFile(`${dist}assets/${name}`);
  return `${name} ${(body.length / 1024).toFixed(1)} KiB (${(gzipSync(body).length / 1024).toFixed(1)} KiB gzipped)`;
};
const chunk = (name: string, what: string) => {
  const file = Object.keys(result.metafile.outputs)
    .map((f) => relative(`${dist}assets`, f))
    .find((f) => f.startsWith(`${name}.`) && f.endsWith(".js"));
  if (!file) throw new Error(`dashboard: ${what} is not a chunk of its own`);
  return file;
};
const player = chunk("player", "the player");
const layer = chunk("layer", "the heatmap layer");
const flags = chunk("flags", "the Flags pages");
// zod stays out of what every page loads (the entry and the chunks it imports statically).
const loadedFirst = (file: string): string[] => {
  const out = result.metafile.outputs[file];
  const statics = out?.imports.filter((i) => i.kind === "import-statement").map((i) => i.path) ?? [];
  return [file, ...statics.flatMap(loadedFirst)];
};
const entryFile = Object.keys(result.metafile.outputs).find((f) => f.endsWith(`/${js}`)) ?? "";
const eager = loadedFirst(entryFile).flatMap((f) => Object.keys(result.metafile.outputs[f]?.inputs ?? {}));
if (eager.some((input) => /[\\/]zod[\\/]/.test(input))) {
  throw new Error("dashboard: zod is loaded by every page; only the Flags chunk may import it");
}
const eagerGzip = (
  await Promise.all(
    [...new Set(loadedFirst(entryFile))].map(async (f) => gzipSync(await readFile(`${root}${f}`)).length),
  )
).reduce((sum, n) => sum + n, 0);
console.log(
  `dashboard: ${await size(js)}, ${await size(css)}; every page loads ${(eagerGzip / 1024).toFixed(1)} KiB of script gzipped (the entry and the chunks it imports); lazy ${await size(player)}, ${await size(layer)}, ${await size(flags)}`,
);
