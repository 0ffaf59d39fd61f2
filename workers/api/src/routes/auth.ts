/** First-owner setup, login and logout. */
import { createRoute, z } from "@hono/zod-openapi";
import { DUMMY_PASSWORD_HASH, hashPassword, hashSecret, randomSecret, verifyPassword } from "@sightline/core/auth";
import { accountsData } from "@sightline/db";
import { LIMITS } from "@sightline/shared/limits";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { HonoEnv } from "../env.ts";
import { databaseUnavailable } from "../lib/db-errors.ts";
import { errorResponses, fail, json, router } from "../lib/openapi.ts";
import { SESSION_COOKIE } from "../middleware/auth.ts";
import { rateLimit } from "../middleware/rate-limit.ts";

const A = LIMITS.api;

const Account = z.object({ id: z.string(), email: z.string() }).openapi("Account");
const Credentials = z.object({
  email: z.email().max(A.maxEmailLength),
  password: z.string().min(1).max(A.maxPasswordLength),
});

async function startSession(c: Context<HonoEnv>, accountId: string) {
  const secret = randomSecret(32);
  await accountsData.createSession(c.get("db")(), accountId, await hashSecret(secret), A.sessionTtlMs);
  setCookie(c, SESSION_COOKIE, secret, {
    httpOnly: true,
    secure: true,
    sameSite: "Lax",
    path: "/",
    maxAge: Math.floor(A.sessionTtlMs / 1000),
  });
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Guessing passwords or setup tokens is slowed per client address and email. */
const loginLimit = rateLimit("login", { limit: A.loginAttemptsPerMinute, windowMs: 60_000 }, async (c) => {
  const ip = c.req.header("cf-connecting-ip") ?? "unknown";
  const body = await c.req.raw
    .clone()
    .json()
    .catch(() => ({}));
  const email = typeof (body as { email?: unknown }).email === "string" ? (body as { email: string }).email : "";
  return `${ip}:${email.toLowerCase().slice(0, A.maxEmailLength)}`;
});

export const auth = router();
auth.post("/auth/login", loginLimit);
auth.post("/setup", loginLimit);

auth
  .openapi(
    createRoute({
      method: "get",
      path: "/setup",
      tags: ["auth"],
      summary: "Whether the owner account still has to be created",
      responses: { 200: json(z.object({ needed: z.boolean() }), "Setup state"), ...errorResponses(503) },
    }),
    async (c) => {
      try {
        return c.json({ needed: (await accountsData.accountCount(c.get("db")())) === 0 }, 200);
      } catch (err) {
        throw databaseUnavailable(err);
      }
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/setup",
      tags: ["auth"],
      summary: "Create the owner account with the one-time setup token",
      request: {
        body: {
          content: {
            "application/json": {
              schema: z.object({
                setupToken: z.string().min(1).max(200),
                email: z.email().max(A.maxEmailLength),
                password: z.string().min(A.minPasswordLength).max(A.maxPasswordLength),
              }),
            },
          },
        },
      },
      responses: {
        201: json(z.object({ account: Account }), "Owner created and logged in"),
        ...errorResponses(400, 403, 409, 503),
      },
    }),
    async (c) => {
      const { setupToken, email, password } = c.req.valid("json");
      const expected = c.get("env").SETUP_TOKEN;
      if (!expected || !constantTimeEqual(setupToken, expected)) {
        return fail(c, "FORBIDDEN", "The setup token is not valid.");
      }
      const passwordHash = await hashPassword(password);
      let account: { id: string; email: string } | null;
      try {
        account = await accountsData.createOwner(c.get("db")(), email, passwordHash);
      } catch (err) {
        throw databaseUnavailable(err);
      }
      if (!account) return fail(c, "ALREADY_SET_UP", "The owner account exists already; log in instead.");
      await startSession(c, account.id);
      return c.json({ account }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/login",
      tags: ["auth"],
      summary: "Log in with email and password; sets the session cookie",
      request: { body: { content: { "application/json": { schema: Credentials } } } },
      responses: { 200: json(z.object({ account: Account }), "Logged in"), ...errorResponses(400, 401, 429, 503) },
    }),
    async (c) => {
      const { email, password } = c.req.valid("json");
      let row: Awaited<ReturnType<typeof accountsData.findAccountByEmail>>;
      try {
        row = await accountsData.findAccountByEmail(c.get("db")(), email);
      } catch (err) {
        throw databaseUnavailable(err);
      }
      // Verify against a dummy hash for unknown emails so timing does not reveal accounts.
      const ok = await verifyPassword(password, row?.passwordHash ?? DUMMY_PASSWORD_HASH);
      if (!row || !ok) return fail(c, "INVALID_CREDENTIALS", "Email or password is wrong.");
      await startSession(c, row.id);
      return c.json({ account: { id: row.id, email: row.email } }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/logout",
      tags: ["auth"],
      summary: "End the current session",
      responses: { 204: { description: "Logged out" }, ...errorResponses(503) },
    }),
    async (c) => {
      const cookie = getCookie(c, SESSION_COOKIE);
      if (cookie && cookie.length < 200) {
        try {
          await accountsData.deleteSession(c.get("db")(), await hashSecret(cookie));
        } catch (err) {
          throw databaseUnavailable(err);
        }
      }
      deleteCookie(c, SESSION_COOKIE, { path: "/", secure: true, httpOnly: true, sameSite: "Lax" });
      return c.body(null, 204);
    },
  );
