/** The API worker's environment, validated once at the entry. Nothing else reads env. */
import type { RequestContextVariables } from "@sightline/http";
import { parseEnv } from "@sightline/http";
import { z } from "zod";

export const zEnv = z.object({
  ENVIRONMENT: z.enum(["development", "test", "production"]).default("development"),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "a postgres:// URL"),
  /** Local only: host:port of the WebSocket bridge in front of a plain Postgres. */
  PG_WS_PROXY: z.string().optional(),
  SENTRY_DSN: z.url().optional().or(z.literal("")),
  SENTRY_RELEASE: z.string().optional(),
});

export type ApiEnv = z.infer<typeof zEnv>;

export interface HonoEnv {
  Bindings: Env;
  Variables: RequestContextVariables & { env: ApiEnv };
}

export const apiEnv = (env: unknown) => parseEnv(zEnv, env);
