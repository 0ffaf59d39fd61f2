/** The esbuild call that makes the core bundle; shared by the build and the bundle test. */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export interface CoreBundle {
  js: string;
  /** Bundled source files, to check what got in. */
  inputs: string[];
}

export async function bundleCore(): Promise<CoreBundle> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("../src/core.ts", import.meta.url))],
    bundle: true,
    minify: true,
    format: "iife",
    target: "es2019",
    platform: "browser",
    legalComments: "none",
    metafile: true,
    write: false,
  });
  return { js: result.outputFiles[0]?.text ?? "", inputs: Object.keys(result.metafile.inputs) };
}
