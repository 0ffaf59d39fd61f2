/**
 * Writes zod's compiled parsers for the hot-path wire schemas as a module Workers can load.
 *
 * zod's `compileFn` generates a parser's source and evaluates it with `new Function`, which
 * Workers refuse. Here (in Node, at development time) it runs as usual while `Function` is
 * wrapped to catch the generated source and the constants it closes over; the constants are
 * written back as code (regexes, zod's own helpers by name, registered symbols), so the module
 * holds exactly the function zod would have built. Anything it cannot write fails loudly.
 */
import { type $ZodType, compileFn, util } from "zod/v4/core";
import { collectBatch, ingestMessage } from "./schema.ts";

/** The exported parser name, and the schema it is compiled from by name and value. */
const COMPILED: readonly (readonly [string, string, $ZodType])[] = [
  ["parseCollectBatch", "collectBatch", collectBatch],
  ["parseIngestMessage", "ingestMessage", ingestMessage],
];

interface Captured {
  names: string[];
  body: string;
  values: unknown[];
}

function capture(s: $ZodType): Captured {
  const Real = globalThis.Function;
  let names: string[] = [];
  let body = "";
  let values: unknown[] | undefined;
  // zod calls `new Function(...)`: a class is constructible, and its constructor's return wins.
  class Spy {
    constructor(...args: string[]) {
      names = args.slice(0, -1);
      body = args.at(-1) ?? "";
      const factory = Real(...args) as (...v: unknown[]) => unknown;
      // biome-ignore lint/correctness/noConstructorReturn: the spy stands in for Function, which returns a function
      return (...v: unknown[]) => {
        values = v;
        return factory(...v);
      };
    }
  }
  globalThis.Function = Spy as unknown as FunctionConstructor;
  try {
    compileFn(s);
  } finally {
    globalThis.Function = Real;
  }
  if (!values) throw new Error("zod's compiler did not build a function");
  return { names, body, values };
}

const utilNames = new Map<unknown, string>(
  Object.entries(util)
    .filter(([, v]) => typeof v === "function")
    .map(([k, v]) => [v, k]),
);

function constantCode(name: string, value: unknown): string {
  if (value instanceof RegExp) return `new RegExp(${JSON.stringify(value.source)}, ${JSON.stringify(value.flags)})`;
  if (typeof value === "symbol") {
    const key = Symbol.keyFor(value);
    if (key !== undefined) return `Symbol.for(${JSON.stringify(key)})`;
  }
  if (typeof value === "function" && utilNames.has(value)) return `util.${utilNames.get(value)}`;
  if (value instanceof Set && [...value].every((v) => v === null || ["string", "number", "boolean"].includes(typeof v)))
    return `new Set(${JSON.stringify([...value])})`;
  if (value === null || ["string", "number", "boolean"].includes(typeof value)) return JSON.stringify(value);
  throw new Error(`cannot write the compiled parser's constant ${name} (${typeof value}) as code`);
}

/** The source of parsers.gen.ts. */
export function compiledParsersModule(): string {
  const parts = COMPILED.map(([exportName, schemaName, s]) => {
    const { names, body, values } = capture(s);
    const consts = names.map((n, i) => `  const ${n} = ${constantCode(n, values[i])};`).join("\n");
    // The generated body is `return (input) => {...}`: the factory's result is the parser.
    return `/** zod's compiled parser for \`${schemaName}\`. */\nexport const ${exportName} = (() => {\n${consts}\n  ${body}\n})();\n`;
  });
  return [
    "// Generated from schema.ts by zod's compiler (compile.ts); `pnpm --filter @sightline/shared gen` rewrites it.",
    "// Do not edit: a test fails when it differs from what the schemas compile to.",
    "// @ts-nocheck",
    'import { util } from "zod/v4/core";',
    "",
    ...parts,
  ].join("\n");
}
