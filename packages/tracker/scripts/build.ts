/**
 * Bundles src/core.ts into one minified IIFE and writes dist/core.js, dist/bundle.js (the
 * script as a string module for the ingest worker) and dist/size.json. Fails when the gzipped
 * core exceeds LIMITS.tracker.maxCoreGzipBytes or when zod slipped into the bundle.
 */
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { LIMITS } from "@sightline/shared/limits";
import { bundleCore } from "./bundle.ts";

const dist = new URL("../dist/", import.meta.url);
const { js, inputs } = await bundleCore();

const leaked = inputs.filter((p) => p.includes("node_modules/zod/"));
if (leaked.length > 0) {
  console.error(
    `tracker: zod is in the bundle (${leaked.length} files); import wire and site types with \`import type\``,
  );
  process.exit(1);
}

const coreHash = createHash("sha256").update(js).digest("hex").slice(0, 12);
const coreBytes = Buffer.byteLength(js);
const coreGzipBytes = gzipSync(js).length;

await mkdir(dist, { recursive: true });
await Promise.all([
  writeFile(new URL("core.js", dist), js),
  writeFile(
    new URL("bundle.js", dist),
    `export const coreJs = ${JSON.stringify(js)};\nexport const coreHash = "${coreHash}";\nexport const coreGzipBytes = ${coreGzipBytes};\n`,
  ),
  writeFile(
    new URL("bundle.d.ts", dist),
    "/** The tracker core script, served as `/t/core.<coreHash>.js`. */\nexport declare const coreJs: string;\n/** First 12 hex digits of the SHA-256 of coreJs. */\nexport declare const coreHash: string;\nexport declare const coreGzipBytes: number;\n",
  ),
  writeFile(new URL("size.json", dist), `${JSON.stringify({ coreBytes, coreGzipBytes })}\n`),
]);

const max = LIMITS.tracker.maxCoreGzipBytes;
console.log(`tracker: core.${coreHash}.js ${coreBytes} B, ${coreGzipBytes} B gzipped (limit ${max})`);
if (coreGzipBytes > max) {
  console.error(`tracker: gzipped core is ${coreGzipBytes} B, over the ${max} B limit`);
  process.exit(1);
}
