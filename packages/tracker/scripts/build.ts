/**
 * Bundles src/core.ts and src/recorder/index.ts into minified IIFEs and writes dist/core.js,
 * dist/recorder.js, dist/bundle.js (the scripts as string modules for the ingest worker) and
 * dist/size.json. Fails when the gzipped core exceeds LIMITS.tracker.maxCoreGzipBytes or when
 * zod slipped into either bundle. The recorder's size is reported, not held to a limit.
 */
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { LIMITS } from "@sightline/shared/limits";
import { type Bundle, bundleCore, bundleRecorder } from "./bundle.ts";

const dist = new URL("../dist/", import.meta.url);
const [core, recorder] = await Promise.all([bundleCore(), bundleRecorder()]);

for (const [name, b] of [
  ["core", core],
  ["recorder", recorder],
] as const) {
  const leaked = b.inputs.filter((p) => p.includes("node_modules/zod/"));
  if (leaked.length > 0) {
    console.error(
      `tracker: zod is in the ${name} bundle (${leaked.length} files); import wire and site types with \`import type\``,
    );
    process.exit(1);
  }
}

const measure = ({ js }: Bundle) => ({
  hash: createHash("sha256").update(js).digest("hex").slice(0, 12),
  bytes: Buffer.byteLength(js),
  gzipBytes: gzipSync(js).length,
});
const c = measure(core);
const r = measure(recorder);

await mkdir(dist, { recursive: true });
await Promise.all([
  writeFile(new URL("core.js", dist), core.js),
  writeFile(new URL("recorder.js", dist), recorder.js),
  writeFile(
    new URL("bundle.js", dist),
    [
      `export const coreJs = ${JSON.stringify(core.js)};`,
      `export const coreHash = "${c.hash}";`,
      `export const coreGzipBytes = ${c.gzipBytes};`,
      `export const recorderJs = ${JSON.stringify(recorder.js)};`,
      `export const recorderHash = "${r.hash}";`,
      `export const recorderGzipBytes = ${r.gzipBytes};`,
      "",
    ].join("\n"),
  ),
  writeFile(
    new URL("bundle.d.ts", dist),
    [
      "/** The tracker core script, served as `/t/core.<coreHash>.js`. */",
      "export declare const coreJs: string;",
      "/** First 12 hex digits of the SHA-256 of coreJs. */",
      "export declare const coreHash: string;",
      "export declare const coreGzipBytes: number;",
      "/** The recorder chunk, served as `/t/recorder.<recorderHash>.js`. */",
      "export declare const recorderJs: string;",
      "export declare const recorderHash: string;",
      "export declare const recorderGzipBytes: number;",
      "",
    ].join("\n"),
  ),
  writeFile(
    new URL("size.json", dist),
    `${JSON.stringify({ coreBytes: c.bytes, coreGzipBytes: c.gzipBytes, recorderBytes: r.bytes, recorderGzipBytes: r.gzipBytes })}\n`,
  ),
]);

const max = LIMITS.tracker.maxCoreGzipBytes;
console.log(`tracker: core.${c.hash}.js ${c.bytes} B, ${c.gzipBytes} B gzipped (limit ${max})`);
console.log(`tracker: recorder.${r.hash}.js ${r.bytes} B, ${r.gzipBytes} B gzipped`);
if (c.gzipBytes > max) {
  console.error(`tracker: gzipped core is ${c.gzipBytes} B, over the ${max} B limit`);
  process.exit(1);
}
