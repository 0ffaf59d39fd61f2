/**
 * Feature flags: a site's flags in Postgres, each change audited and the site's whole record
 * published to the edge's KV in the same transaction (packages/db/src/flags).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { type FlagAuditRow, type FlagRow, type FlagWriter, flagsData, schema, sitesData } from "@sightline/db";
import { errorJson } from "@sightline/http";
import { flagSchema } from "@sightline/shared/flags";
import { FLAG_LIMITS } from "@sightline/shared/limits/flags";
import type { Context, MiddlewareHandler } from "hono";
import { edge, type HonoEnv } from "../env.ts";
import { databaseUnavailable } from "../lib/db-errors.ts";
import { Bounds, bearer, bounded, documented, errorResponses, json, PageQuery, router } from "../lib/openapi.ts";
import { cachedRead } from "../lib/stale.ts";
import { requireScope } from "../middleware/auth.ts";

/**
 * zod validates a variant's JSON value by recursion, and a 10 KB body of nested brackets
 * overflows the stack (a 500). A flag's own structure is 6 levels deep.
 */
const MAX_BODY_DEPTH = 32;

function deeperThan(value: unknown, max: number): boolean {
  let level: unknown[] = [value];
  for (let depth = 0; level.length > 0; depth++) {
    if (depth > max) return true;
    level = level.flatMap((v) => (v !== null && typeof v === "object" ? Object.values(v) : []));
  }
  return false;
}

function shallowBody(): MiddlewareHandler<HonoEnv> {
  return async function shallowBody(c, next) {
    // Malformed JSON is left to the validator, which answers it; the parsed body is cached for it.
    const body: unknown = await c.req.json().catch(() => undefined);
    if (deeperThan(body, MAX_BODY_DEPTH)) {
      return errorJson(
        c,
        "VALIDATION_FAILED",
        `The request is not valid: nested deeper than ${MAX_BODY_DEPTH} levels.`,
      );
    }
    await next();
  };
}

const Params = z.object({ siteId: z.string().min(1).max(64) });

// The flag schema's own key: anything else (a NUL Postgres refuses) is no key.
const FlagParams = Params.extend({ key: flagSchema.shape.key });

const FlagInput = documented(flagSchema.strict(), "input", "FlagInput");

const shape = flagSchema.shape;
const FlagChanges = documented(
  z
    .object(shape)
    .omit({ key: true })
    .extend({
      // No default here: a field left out keeps its stored value.
      rules: shape.rules.unwrap(),
      description: shape.description.unwrap().nullable(),
      rollout: shape.rollout.unwrap().nullable(),
      seed: shape.seed.unwrap().nullable(),
    })
    .partial()
    .strict(),
  "input",
  "FlagChanges",
);

const FlagDefinition = documented(flagSchema, "output", "FlagDefinition");
const Flag = documented(
  z.object({ ...shape, createdAt: z.iso.datetime(), updatedAt: z.iso.datetime() }).strict(),
  "output",
  "Flag",
);

const FlagChange = z
  .object({
    version: z.number().int().openapi({ description: "The version of the site's flag record this change published." }),
    action: z.enum(schema.FLAG_ACTIONS),
    actor: z.string().openapi({ description: "The email of the account that made the change." }),
    at: z.iso.datetime(),
    // A union, not .nullable(): zod-to-openapi drops the null of a documented schema's reference.
    before: z.union([FlagDefinition, z.null()]),
    after: z.union([FlagDefinition, z.null()]),
  })
  .openapi("FlagChange");

const HistoryQuery = PageQuery.extend({
  cursor: z
    .string()
    .regex(/^[1-9][0-9]{0,14}$/, "a nextCursor from the page before")
    .optional(),
});

function present(row: FlagRow): z.infer<typeof Flag> {
  return { ...row.definition, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
}

function presentChange(row: FlagAuditRow): z.infer<typeof FlagChange> {
  return {
    version: row.id,
    action: row.action,
    actor: row.actor,
    at: row.at.toISOString(),
    before: row.before,
    after: row.after,
  };
}

function writer(c: Context<HonoEnv>, siteId: string): FlagWriter {
  const caller = c.get("caller");
  return {
    accountId: caller.account.id,
    siteId,
    actor: caller.account.email,
    publish: (siteKey, record) => edge(c.env).putFlags(siteKey, record),
  };
}

export const flags = router();

flags
  .openapi(
    createRoute({
      method: "get",
      path: "/sites/{siteId}/flags",
      tags: ["flags"],
      summary: "List a site's feature flags",
      description: `Every flag of the site, by key; a site holds at most ${FLAG_LIMITS.maxFlagsPerSite}.`,
      security: bearer,
      middleware: requireScope("read"),
      request: { params: Params },
      responses: {
        200: json(z.object({ items: z.array(Flag) }), "The site's flags"),
        ...errorResponses(401, 403, 404, 503),
      },
    }),
    async (c) => {
      const { siteId } = c.req.valid("param");
      const accountId = c.get("caller").account.id;
      return cachedRead(c, async (db) => {
        if (!(await sitesData.getSite(db, accountId, siteId))) return null;
        return { items: (await flagsData.list(db, siteId)).map(present) };
      });
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/sites/{siteId}/flags",
      tags: ["flags"],
      summary: "Create a feature flag",
      description:
        "Stores the flag, audits it and publishes the site's flags to the edge, all or nothing. " +
        "Variants and split weights keep the order sent: a split gives visitors to variants in that order.",
      security: bearer,
      middleware: [requireScope("write"), shallowBody()],
      request: {
        params: Params,
        body: { required: true, content: { "application/json": { schema: FlagInput } } },
      },
      responses: {
        201: json(Flag, "The new flag"),
        ...errorResponses(400, 401, 403, 404, 409, 413, 415, 503),
      },
    }),
    async (c) => {
      const { siteId } = c.req.valid("param");
      const flag = c.req.valid("json");
      let row: FlagRow;
      try {
        row = await flagsData.create(c.get("db")(), writer(c, siteId), flag);
      } catch (err) {
        throw databaseUnavailable(err);
      }
      return c.json(present(row), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sites/{siteId}/flags/{key}",
      tags: ["flags"],
      summary: "Read a feature flag",
      security: bearer,
      middleware: requireScope("read"),
      request: { params: FlagParams },
      responses: { 200: json(Flag, "The flag"), ...errorResponses(400, 401, 403, 404, 503) },
    }),
    async (c) => {
      const { siteId, key } = c.req.valid("param");
      const accountId = c.get("caller").account.id;
      return cachedRead(c, async (db) => {
        if (!(await sitesData.getSite(db, accountId, siteId))) return null;
        const row = await flagsData.get(db, siteId, key);
        return row ? present(row) : null;
      });
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/sites/{siteId}/flags/{key}",
      tags: ["flags"],
      summary: "Change a feature flag",
      description:
        "Each field sent replaces the stored one whole (`null` removes `description`, `rollout` or `seed`); " +
        "the changed flag is validated whole, audited and published. A change that changes nothing writes nothing.",
      security: bearer,
      middleware: [requireScope("write"), shallowBody()],
      request: {
        params: FlagParams,
        body: { required: true, content: { "application/json": { schema: FlagChanges } } },
      },
      responses: {
        200: json(Flag, "The changed flag"),
        ...errorResponses(400, 401, 403, 404, 413, 415, 503),
      },
    }),
    async (c) => {
      const { siteId, key } = c.req.valid("param");
      const changes = c.req.valid("json");
      let row: FlagRow;
      try {
        row = await flagsData.update(c.get("db")(), writer(c, siteId), key, changes);
      } catch (err) {
        throw databaseUnavailable(err);
      }
      return c.json(present(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/sites/{siteId}/flags/{key}",
      tags: ["flags"],
      summary: "Delete a feature flag",
      description: "Audited and published like any change; the flag's history stays readable.",
      security: bearer,
      middleware: requireScope("write"),
      request: { params: FlagParams },
      responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404, 503) },
    }),
    async (c) => {
      const { siteId, key } = c.req.valid("param");
      try {
        await flagsData.remove(c.get("db")(), writer(c, siteId), key);
      } catch (err) {
        throw databaseUnavailable(err);
      }
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sites/{siteId}/flags/{key}/history",
      tags: ["flags"],
      summary: "A feature flag's changes",
      description:
        "Who changed the flag and how, newest first, with the definition before and after; kept after a deletion.",
      security: bearer,
      middleware: requireScope("read"),
      request: { params: FlagParams, query: HistoryQuery },
      responses: {
        200: json(z.object({ items: z.array(FlagChange), nextCursor: z.string().nullable() }), "A page of changes"),
        ...errorResponses(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const { siteId, key } = c.req.valid("param");
      const { limit, cursor } = c.req.valid("query");
      const accountId = c.get("caller").account.id;
      return cachedRead(c, async (db) => {
        if (!(await sitesData.getSite(db, accountId, siteId))) return null;
        const rows = await flagsData.history(
          db,
          siteId,
          key,
          limit + 1,
          cursor === undefined ? undefined : Number(cursor),
        );
        const page = rows.slice(0, limit);
        return {
          items: page.map(presentChange),
          nextCursor: rows.length > limit ? String(page.at(-1)?.id) : null,
        };
      });
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sites/{siteId}/flags/{key}/variants",
      tags: ["flags"],
      summary: "Pageviews and sessions per variant of a flag",
      description:
        "How the site's traffic split between the flag's variants over a range: each pageview counts under the " +
        "variant the loader served it (docs/FLAGS.md), a session once per variant it saw. Public flags only.",
      security: bearer,
      middleware: requireScope("read"),
      request: { params: FlagParams, query: bounded(Bounds) },
      responses: {
        200: json(
          z.object({
            items: z.array(z.object({ variant: z.string(), pageviews: z.number().int(), sessions: z.number().int() })),
          }),
          "Variants that were served, by name",
        ),
        ...errorResponses(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const { siteId, key } = c.req.valid("param");
      const q = c.req.valid("query");
      const accountId = c.get("caller").account.id;
      return cachedRead(c, async (db) => {
        if (!(await sitesData.getSite(db, accountId, siteId))) return null;
        return { items: await flagsData.variants(db, siteId, key, { from: new Date(q.from), to: new Date(q.to) }) };
      });
    },
  );
