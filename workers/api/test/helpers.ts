import { env, SELF } from "cloudflare:test";
import { Validator } from "@cfworker/json-schema";
import { hashPassword } from "@sightline/core/auth";
import { accountsData, createDb } from "@sightline/db";
import { expect } from "vitest";

export const BASE = "https://api.test";
export const SETUP_TOKEN = "test-setup-token-0123456789abcdef";
export const OWNER = { email: "owner@sightline.test", password: "correct horse battery staple" };

export interface ErrorShape {
  error: { code: string; message: string; requestId: string };
}

export function db() {
  return createDb({ connectionString: env.DATABASE_URL, wsProxy: (env as { PG_WS_PROXY?: string }).PG_WS_PROXY });
}

/** Runs `fn` on a connection of its own to the test database, closed after. */
export async function withDb<T>(fn: (d: ReturnType<typeof db>["db"]) => Promise<T>): Promise<T> {
  const { db: d, close } = db();
  try {
    return await fn(d);
  } finally {
    await close();
  }
}

export const SESSION_COOKIE = "__Host-sl_session";

/** A fresh client address (TEST-NET-2), so a test's logins do not share one address's budget. */
export function randomAddress(): string {
  const b = crypto.getRandomValues(new Uint8Array(2));
  return `198.51.${b[0]}.${b[1]}`;
}

/**
 * A request as the dashboard sends it: with a cookie, the browser's `Origin` (the CSRF check
 * wants it on writes) unless the test sets its own headers.
 */
export function api(path: string, init: RequestInit & { cookie?: string; token?: string; json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  if (init.cookie) {
    headers.set("cookie", init.cookie);
    if (!headers.has("origin") && !headers.has("sec-fetch-site")) headers.set("origin", BASE);
  }
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  return SELF.fetch(`${BASE}${path}`, { ...init, headers, body });
}

export function sessionCookie(res: Response): string {
  const set = res.headers.get("set-cookie") ?? "";
  const m = /__Host-sl_session=([^;]+)/.exec(set);
  if (!m) throw new Error(`no session cookie in ${JSON.stringify(set)}`);
  return `${SESSION_COOKIE}=${m[1]}`;
}

let owner: string | null = null;

/**
 * The owner's session: set up on first use in this run's database, else logged in once per
 * test file (login is rate limited per address and email, as it should be).
 */
export async function ownerCookie(): Promise<string> {
  owner ??= await ownerLogin();
  return owner;
}

async function ownerLogin(): Promise<string> {
  const headers = { "cf-connecting-ip": randomAddress() };
  const setup = await api("/v1/setup", { method: "POST", headers, json: { setupToken: SETUP_TOKEN, ...OWNER } });
  if (setup.status === 201) return sessionCookie(setup);
  expect(setup.status, await setup.clone().text()).toBe(409);
  const login = await api("/v1/auth/login", { method: "POST", headers, json: OWNER });
  expect(login.status, await login.clone().text()).toBe(200);
  return sessionCookie(login);
}

/** Another account, made directly in Postgres, logged in through the API. */
export async function otherAccount(): Promise<{ cookie: string; email: string }> {
  const email = `other-${crypto.randomUUID()}@sightline.test`;
  const password = "another long enough password";
  const { db: d, close } = db();
  try {
    await accountsData.createAccount(d, email, await hashPassword(password));
  } finally {
    await close();
  }
  const login = await api("/v1/auth/login", {
    method: "POST",
    headers: { "cf-connecting-ip": randomAddress() },
    json: { email, password },
  });
  expect(login.status).toBe(200);
  return { cookie: sessionCookie(login), email };
}

export async function createSite(cookie: string, name = "Shop", origins = ["https://shop.example"]) {
  const res = await api("/v1/sites", { method: "POST", cookie, json: { name, origins } });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; key: string; name: string; origins: string[]; snippet: string };
}

export async function createToken(cookie: string, scopes: string[]): Promise<string> {
  const res = await api("/v1/tokens", { method: "POST", cookie, json: { name: `t-${scopes.join("-")}`, scopes } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

type Doc = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
  >;
  components: { schemas: Record<string, unknown> };
};
let doc: Doc | null = null;

export async function openapi(): Promise<Doc> {
  doc ??= (await (await api("/openapi.json")).json()) as Doc;
  return doc;
}

/**
 * Checks a response body against the API document's schema for that route and status, so
 * the document and the code cannot drift apart.
 */
export async function expectMatchesDocument(method: string, path: string, res: Response): Promise<unknown> {
  const d = await openapi();
  const op = d.paths[path]?.[method.toLowerCase()];
  expect(op, `${method} ${path} in /openapi.json`).toBeTruthy();
  const response = op?.responses[String(res.status)];
  expect(response, `${method} ${path} documents status ${res.status}`).toBeTruthy();
  const schema = response?.content?.["application/json"]?.schema;
  const body = res.status === 204 ? null : await res.clone().json();
  if (!schema) return body;
  const validator = new Validator({ ...(schema as object), components: d.components } as never, "2020-12", false);
  const result = validator.validate(body);
  expect(result.errors, JSON.stringify(result.errors.slice(0, 3))).toEqual([]);
  return body;
}
