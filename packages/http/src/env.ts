/**
 * Env validated once at the entry by one zod schema. A missing or malformed variable answers
 * a coded 500 BAD_ENVIRONMENT naming the variable, never its value.
 */
import { SightlineError } from "@sightline/shared/errors";
import type { z } from "zod";

/** Parsed env per schema per env object: one isolate validates each schema once. */
const caches = new WeakMap<object, WeakMap<object, unknown>>();

export function parseEnv<S extends z.ZodType>(schema: S, env: unknown): z.infer<S> {
  const key = env as object;
  let cache = caches.get(schema);
  if (!cache) {
    cache = new WeakMap();
    caches.set(schema, cache);
  }
  const hit = cache.get(key);
  if (hit) return hit as z.infer<S>;
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const names = [...new Set(parsed.error.issues.map((i) => i.path.join(".")))].join(", ");
    throw new SightlineError("BAD_ENVIRONMENT", `The worker is misconfigured: check ${names}.`);
  }
  cache.set(key, parsed.data);
  return parsed.data;
}
