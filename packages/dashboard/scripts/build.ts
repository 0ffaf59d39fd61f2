/**
 * Bundles the dashboard into dist/: index.html, assets/app.<hash>.js and assets/app.<hash>.css
 * (content-hashed, so they are cached for a year), the favicon and the _headers file the
 * Workers asset server applies. The API worker serves dist/ (workers/api/wrangler.toml [assets]).
 */
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build, type Metafile } from "esbuild";

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

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { app: "src/main.ts" },
  outdir: "dist/assets",
  entryNames: "[name].[hash]",
  assetNames: "[name].[hash]",
  // The recordings player (rrweb's replayer) and the heatmap layer (rrweb-snapshot's rebuild
  // and simpleheat) are imported dynamically: chunks of their own, fetched only on their pages.
  splitting: true,
  chunkNames: "[name].[hash]",
  bundle: true,
  minify: true,
  sourcemap: "linked",
  format: "esm",
  target: ["es2022", "chrome111", "firefox113", "safari16.4"],
  metafile: true,
  logLevel: "warning",
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
const player = Object.keys(result.metafile.outputs)
  .map((file) => relative(`${dist}assets`, file))
  .find((file) => file.startsWith("player.") && file.endsWith(".js"));
if (!player) throw new Error("dashboard: the player is not a chunk of its own");
const layer = Object.keys(result.metafile.outputs)
  .map((file) => relative(`${dist}assets`, file))
  .find((file) => file.startsWith("layer.") && file.endsWith(".js"));
if (!layer) throw new Error("dashboard: the heatmap layer is not a chunk of its own");
console.log(`dashboard: ${await size(js)}, ${await size(css)}; lazy ${await size(player)}, ${await size(layer)}`);
