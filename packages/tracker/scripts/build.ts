/**
 * Bundles the tracker's scripts into minified IIFEs: the core (every page), the recorder
 * (sampled sessions), the interactions chunk (sites with heatmaps on), the snapshot chunk
 * (a visitor the edge asks for a page's snapshot) and the flags code (inlined in the loaders of
 * sites with flags). Writes dist/<name>.js, dist/bundle.js (the
 * scripts as string modules for the ingest worker, with their hashes and gzipped sizes) and
 * dist/size.json. Fails when the gzipped core exceeds LIMITS.tracker.maxCoreGzipBytes or when
 * zod slipped into any bundle. The chunks' sizes are reported, not held to a limit here.
 */
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { LIMITS } from "@sightline/shared/limits";
import { type Bundle, bundleCore, bundleFlags, bundleInteractions, bundleRecorder, bundleSnapshot } from "./bundle.ts";

const dist = new URL("../dist/", import.meta.url);
const NAMES = ["core", "recorder", "interactions", "snapshot", "flags"] as const;
const built = await Promise.all([
  bundleCore(),
  bundleRecorder(),
  bundleInteractions(),
  bundleSnapshot(),
  bundleFlags(),
]);

const measure = ({ js }: Bundle) => ({
  hash: createHash("sha256").update(js).digest("hex").slice(0, 12),
  bytes: Buffer.byteLength(js),
  gzipBytes: gzipSync(js).length,
});
const bundles = NAMES.map((name, i) => {
  const b = built[i] as Bundle;
  const leaked = b.inputs.filter((p) => p.includes("node_modules/zod/"));
  if (leaked.length > 0) {
    console.error(
      `tracker: zod is in the ${name} bundle (${leaked.length} files); import wire and site types with \`import type\``,
    );
    process.exit(1);
  }
  return { name, js: b.js, ...measure(b) };
});

await mkdir(dist, { recursive: true });
await Promise.all([
  ...bundles.map((b) => writeFile(new URL(`${b.name}.js`, dist), b.js)),
  writeFile(
    new URL("bundle.js", dist),
    `${bundles
      .map((b) =>
        [
          `export const ${b.name}Js = ${JSON.stringify(b.js)};`,
          `export const ${b.name}Hash = "${b.hash}";`,
          `export const ${b.name}GzipBytes = ${b.gzipBytes};`,
        ].join("\n"),
      )
      .join("\n")}\n`,
  ),
  writeFile(
    new URL("bundle.d.ts", dist),
    `${bundles
      .map((b) =>
        [
          b.name === "flags"
            ? "/** The flags code, inlined in the loaders of sites with flags (src/loader.ts). */"
            : `/** The ${b.name} script, served as \`/t/${b.name}.<${b.name}Hash>.js\`. */`,
          `export declare const ${b.name}Js: string;`,
          `/** First 12 hex digits of the SHA-256 of ${b.name}Js. */`,
          `export declare const ${b.name}Hash: string;`,
          `export declare const ${b.name}GzipBytes: number;`,
        ].join("\n"),
      )
      .join("\n")}\n`,
  ),
  writeFile(
    new URL("size.json", dist),
    `${JSON.stringify(
      Object.fromEntries(
        bundles.flatMap((b) => [
          [`${b.name}Bytes`, b.bytes],
          [`${b.name}GzipBytes`, b.gzipBytes],
        ]),
      ),
    )}\n`,
  ),
]);

const max = LIMITS.tracker.maxCoreGzipBytes;
for (const b of bundles) {
  console.log(
    `tracker: ${b.name}.${b.hash}.js ${b.bytes} B, ${b.gzipBytes} B gzipped${b.name === "core" ? ` (limit ${max})` : ""}`,
  );
}
const core = bundles[0];
if (core && core.gzipBytes > max) {
  console.error(`tracker: gzipped core is ${core.gzipBytes} B, over the ${max} B limit`);
  process.exit(1);
}
