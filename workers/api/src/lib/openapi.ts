/** Schemas shared by the API's routes, and the app factory with the one validation hook. */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { errorJson } from "@sightline/http";
import { LIMITS } from "@sightline/shared/limits";
import type { HonoEnv } from "../env.ts";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "VALIDATION_FAILED" }),
      message: z.string(),
      requestId: z.string(),
    }),
  })
  .openapi("Error");

export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [s, { description: "Error", content: { "application/json": { schema: ErrorSchema } } }]),
  );

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const PAGE_MAX = 100;

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(PAGE_MAX).default(25),
  cursor: z.string().max(64).optional(),
});

/** A sub-app whose failed validations answer 400 VALIDATION_FAILED in the one error shape. */
export function router() {
  return new OpenAPIHono<HonoEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const where = result.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`)
        .join("; ");
      return errorJson(c, "VALIDATION_FAILED", `The request is not valid: ${where}`);
    },
  });
}

/**
 * Handlers answer errors in the shared shape, documented per route in `responses` but not
 * typed per status by zod-openapi; `fail` gives them a type any route accepts.
 */
export function fail(...args: Parameters<typeof errorJson<HonoEnv>>): never {
  return errorJson(...args) as never;
}

export const bearer: Record<string, string[]>[] = [{ session: [] }, { token: [] }];

const DAY_MS = 86_400_000;

/** A time range of the statistics routes: instants with an offset. */
export const Bounds = z.object({
  from: z.iso.datetime({ offset: true }).openapi({ example: "2026-11-23T00:00:00Z" }),
  to: z.iso.datetime({ offset: true }).openapi({ example: "2026-11-30T00:00:00Z" }),
});

/** `from` before `to`, at most `maxRangeDays` apart. */
export function bounded<T extends typeof Bounds>(schema: T) {
  return schema
    .refine((r) => Date.parse(r.from) < Date.parse(r.to), { message: "from must be before to", path: ["from"] })
    .refine((r) => Date.parse(r.to) - Date.parse(r.from) <= LIMITS.api.maxRangeDays * DAY_MS, {
      message: `a range spans at most ${LIMITS.api.maxRangeDays} days`,
      path: ["to"],
    });
}

/**
 * A schema of the shared package in the OpenAPI document, its JSON Schema from zod itself:
 * zod-to-openapi cannot walk the recursive `z.json()` of a flag's object variant values (documented
 * as any JSON here), and a shared schema may come from another copy of zod (below).
 */
export function documented<T extends z.ZodType>(schema: T, io: "input" | "output", name: string): T {
  const {
    $schema: _,
    $defs,
    ...root
  } = z.toJSONSchema(schema, {
    io,
    unrepresentable: "any",
    override: (ctx) => {
      if (ctx.zodSchema._zod.def.type !== "lazy") return;
      for (const k of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Record<string, unknown>)[k];
    },
  });
  const inline = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(inline);
    if (v === null || typeof v !== "object") return v;
    const ref = (v as { $ref?: unknown }).$ref;
    if (typeof ref === "string" && ref.startsWith("#/$defs/"))
      return inline($defs?.[ref.slice("#/$defs/".length)] ?? {});
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, inline(x)]));
  };
  // Through this module's zod: a schema of the shared package may come from another copy of
  // zod in a bundle (its instances then lack `.openapi`), and the API must still load.
  return z
    .unknown()
    .pipe(schema)
    .openapi(name, inline(root) as never) as unknown as T;
}
