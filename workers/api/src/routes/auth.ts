/** First-owner setup, login and logout. */
import { createRoute, z } from "@hono/zod-openapi";
import {
  DUMMY_PASSWORD_HASH,
  hashPassword,
  hashSecret,
  randomSecret,
  secretsEqual,
  verifyPassword,
} from "@sightline/core/auth";
import { accountsData } from "@sightline/db";
import { LIMITS } from "@sightline/shared/limits";
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import type { HonoEnv } from "../env.ts";
import { databaseUnavailable } from "../lib/db-errors.ts";
import { errorResponses, fail, json, router } from "../lib/openapi.ts";
import { forgetIdentity, SESSION_COOKIE, sessionSecret } from "../middleware/auth.ts";
import { clientAddress, spend } from "../middleware/rate-limit.ts";

const A = LIMITS.api;

const Account = z.object({ id: z.string(), email: z.string() }).openapi("Account");
const Credentials = z.object({
  email: z.email().max(A.maxEmailLength),
  password: z.string().min(1).max(A.maxPasswordLength),
});

/**
 * `__Host-` needs Secure, Path=/ and no Domain. Browsers keep Secure cookies from
 * http://localhost too (a potentially trustworthy origin), so local dev works over http.
 */
const COOKIE_OPTIONS = { httpOnly: true, secure: true, sameSite: "Lax", path: "/" } as const;

async function startSession(c: Context<HonoEnv>, accountId: string) {
  const secret = randomSecret(32);
  await accountsData.createSession(c.get("db")(), accountId, await hashSecret(secret), A.sessionTtlMs);
  setCookie(c, SESSION_COOKIE, secret, { ...COOKIE_OPTIONS, maxAge: Math.floor(A.sessionTtlMs / 1000) });
}

const ADDRESS_RULE = { limit: A.loginAttemptsPerMinute, windowMs: 60_000 };
const EMAIL_RULE = { limit: A.loginAttemptsPerEmailPerHour, windowMs: 3_600_000 };

/** The body's email, normalised, when it has one; the body stays readable for the route. */
async function emailOf(c: Context<HonoEnv>): Promise<string | null> {
  const body: unknown = await c.req.raw
    .clone()
    .json()
    .catch(() => null);
  const email = (body as { email?: unknown } | null)?.email;
  return typeof email === "string" && email.length <= A.maxEmailLength ? email.trim().toLowerCase() : null;
}

/**
 * Guessing passwords or the setup token is slowed per client address and, separately, per
 * email (hashed: the limiter's store holds no address book), so neither rotating emails nor
 * rotating addresses gives unlimited guesses or PBKDF2 work. Login and setup share budgets.
 */
const attemptLimits: MiddlewareHandler<HonoEnv> = async function attemptLimits(c, next) {
  const byAddress = await spend(c, "login:address", ADDRESS_RULE, clientAddress(c));
  if (byAddress) return byAddress;
  const email = await emailOf(c);
  if (email) {
    const byEmail = await spend(c, "login:email", EMAIL_RULE, await hashSecret(email), { headers: false });
    if (byEmail) return byEmail;
  }
  await next();
};

export const auth = router();
auth.post("/auth/login", attemptLimits);
auth.post("/setup", attemptLimits);

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
          required: true,
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
      if (!expected || !(await secretsEqual(setupToken, expected))) {
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
      request: { body: { required: true, content: { "application/json": { schema: Credentials } } } },
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
      const secret = sessionSecret(c);
      if (secret) {
        const hash = await hashSecret(secret);
        // The cached identity first: even if Postgres is down now, the session is over.
        await forgetIdentity(c, "session", hash);
        try {
          await accountsData.deleteSession(c.get("db")(), hash);
        } catch (err) {
          throw databaseUnavailable(err);
        }
      }
      deleteCookie(c, SESSION_COOKIE, COOKIE_OPTIONS);
      return c.body(null, 204);
    },
  );
