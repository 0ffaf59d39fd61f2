/** Writes src/wire/parsers.gen.ts: zod's compiled parsers for the hot-path wire schemas. */
import { writeFileSync } from "node:fs";
import { compiledParsersModule } from "../src/wire/compile.ts";

const out = new URL("../src/wire/parsers.gen.ts", import.meta.url);
writeFileSync(out, compiledParsersModule());
console.log(`wrote ${out.pathname}`);
