/** The API worker's environment, validated once at the entry. Nothing else reads env. */
import type { Db } from "@sightline/db";
import type { RequestContextVariables } from "@sightline/http";
import { parseEnv } from "@sightline/http";
import type { TokenScope } from "@sightline/shared/auth";
import type { EdgeAdminRpc } from "@sightline/shared/site";
import { z } from "zod";

export const zEnv = z.object({
  ENVIRONMENT: z.enum(["development", "test", "production"]).default("development"),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "a postgres:// URL"),
  /** Local only: host:port of the WebSocket bridge in front of a plain Postgres. */
  PG_WS_PROXY: z.string().optional(),
  /** Authorises creating the owner account; without it setup is closed. */
  SETUP_TOKEN: z.string().min(16).optional(),
  /** Where the tracker loader is served, for the install snippet. */
  INGEST_ORIGIN: z.url().optional(),
  SENTRY_DSN: z.url().optional().or(z.literal("")),
  SENTRY_RELEASE: z.string().optional(),
  UPSTASH_REDIS_REST_URL: z.url().optional(),
  UPSTASH_REDIS_REST_TOKEN: z.string().optional(),
});

export type ApiEnv = z.infer<typeof zEnv>;

export interface Caller {
  account: { id: string; email: string };
  via: "session" | "token";
  scopes: TokenScope[];
  tokenId?: string;
}

export interface HonoEnv {
  Bindings: Env;
  Variables: RequestContextVariables & {
    env: ApiEnv;
    /** Opens Postgres on first use; closed after the response. */
    db: () => Db;
    caller: Caller;
  };
}

/** The ingest worker's EdgeAdmin entrypoint; its class lives in the other worker. */
export const edge = (env: Env) => env.EDGE as unknown as EdgeAdminRpc;

export const apiEnv = (env: unknown) => parseEnv(zEnv, env);
