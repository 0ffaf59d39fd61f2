/** The caller, and the API tokens of their account. */
import { createRoute, z } from "@hono/zod-openapi";
import { newApiToken } from "@sightline/core/auth";
import { accountsData } from "@sightline/db";
import { TOKEN_SCOPES } from "@sightline/shared/auth";
import { LIMITS } from "@sightline/shared/limits";
import { edge } from "../env.ts";
import { databaseUnavailable } from "../lib/db-errors.ts";
import { bearer, errorResponses, fail, json, PageQuery, router } from "../lib/openapi.ts";
import { cachedRead } from "../lib/stale.ts";
import { forgetIdentity, requireScope } from "../middleware/auth.ts";

const Token = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(z.enum(TOKEN_SCOPES)),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
  })
  .openapi("ApiToken");

const present = (t: accountsData.TokenRow): z.infer<typeof Token> => ({
  ...t,
  createdAt: t.createdAt.toISOString(),
  lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
});

export const account = router();

account
  .openapi(
    createRoute({
      method: "get",
      path: "/me",
      tags: ["account"],
      summary: "Who the credentials belong to",
      security: bearer,
      middleware: requireScope("read"),
      responses: {
        200: json(
          z.object({
            account: z.object({ id: z.string(), email: z.string() }),
            via: z.enum(["session", "token"]),
            scopes: z.array(z.enum(TOKEN_SCOPES)),
          }),
          "The caller",
        ),
        ...errorResponses(401, 503),
      },
    }),
    (c) => {
      const { account, via, scopes } = c.get("caller");
      return c.json({ account, via, scopes }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/tokens",
      tags: ["account"],
      summary: "List live API tokens (never their secret)",
      security: bearer,
      middleware: requireScope("admin"),
      request: { query: PageQuery },
      responses: {
        200: json(z.object({ items: z.array(Token), nextCursor: z.string().nullable() }), "A page of tokens"),
        ...errorResponses(400, 401, 403, 503),
      },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const accountId = c.get("caller").account.id;
      return cachedRead(c, async (db) => {
        const rows = await accountsData.listTokens(db, accountId, limit + 1, cursor);
        const page = rows.slice(0, limit);
        return { items: page.map(present), nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
      });
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/tokens",
      tags: ["account"],
      summary: "Create an API token; its secret is shown once, in this answer",
      security: bearer,
      middleware: requireScope("admin"),
      request: {
        body: {
          required: true,
          content: {
            "application/json": {
              schema: z.object({
                name: z.string().trim().min(1).max(LIMITS.api.maxNameLength),
                scopes: z.array(z.enum(TOKEN_SCOPES)).min(1).max(TOKEN_SCOPES.length),
              }),
            },
          },
        },
      },
      responses: {
        201: json(z.object({ token: z.string(), item: Token }), "The token, once"),
        ...errorResponses(400, 401, 403, 503),
      },
    }),
    async (c) => {
      const { name, scopes } = c.req.valid("json");
      const accountId = c.get("caller").account.id;
      const secret = await newApiToken();
      try {
        const db = c.get("db")();
        const live = await accountsData.listTokens(db, accountId, LIMITS.api.maxTokensPerAccount);
        if (live.length >= LIMITS.api.maxTokensPerAccount) {
          return fail(c, "BAD_REQUEST", `An account holds at most ${LIMITS.api.maxTokensPerAccount} tokens.`);
        }
        const item = await accountsData.createToken(db, {
          accountId,
          name,
          prefix: secret.prefix,
          hash: secret.hash,
          scopes,
        });
        // Every scope may evaluate flags: the edge learns the token (its hash) before it is shown.
        await edge(c.env).putToken(secret.hash, { accountId });
        return c.json({ token: secret.token, item: present(item) }, 201);
      } catch (err) {
        throw databaseUnavailable(err);
      }
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/tokens/{tokenId}",
      tags: ["account"],
      summary: "Revoke an API token",
      security: bearer,
      middleware: requireScope("admin"),
      request: { params: z.object({ tokenId: z.string().min(1).max(64) }) },
      responses: { 204: { description: "Revoked" }, ...errorResponses(401, 403, 404, 503) },
    }),
    async (c) => {
      const { tokenId } = c.req.valid("param");
      let revokedHash: string | null;
      try {
        revokedHash = await accountsData.revokeToken(c.get("db")(), c.get("caller").account.id, tokenId);
      } catch (err) {
        throw databaseUnavailable(err);
      }
      if (!revokedHash) return fail(c, "NOT_FOUND", "No such token.");
      await edge(c.env).deleteToken(revokedHash);
      // Before answering: a revoked token must not answer from the cache in an outage.
      await forgetIdentity(c, "token", revokedHash);
      return c.body(null, 204);
    },
  );
