/**
 * The wire format between the tracker and the ingest worker, version 1. The tracker imports
 * only the types (no zod in the browser bundle); the workers validate with the schemas.
 *
 * The two schemas on the hot paths (a collect batch per request, an ingest message per queued
 * batch) come with zod's ahead-of-time compiled parser installed through `withParser`: zod's
 * generic parser runs without its JIT on Workers (no `new Function` there) and cost about a
 * third of a collect request's CPU. The compiled parser is generated from these same schemas
 * by zod's own compiler (`pnpm --filter @sightline/shared gen`, checked fresh by a test); on
 * any input it refuses, zod's runtime parser runs and reports the issues, so errors are
 * zod's own.
 */
import { type core, withParser } from "zod";
import { parseCollectBatch, parseIngestMessage } from "./parsers.gen.ts";
import * as schema from "./schema.ts";

export * from "./schema.ts";

/** The generated module is untyped; the tests hold it to the schema's output type. */
function compiled<T extends core.$ZodType>(s: T, parser: unknown): T {
  return withParser(s, parser as (input: unknown) => core.output<T>);
}

export const collectBatch = compiled(schema.collectBatch, parseCollectBatch);
export const ingestMessage = compiled(schema.ingestMessage, parseIngestMessage);
