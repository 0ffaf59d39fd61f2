/** The ingest worker's environment, validated once at the entry. Nothing else reads env. */
import type { Logger, RequestContextVariables } from "@sightline/http";
import { parseEnv } from "@sightline/http";
import { z } from "zod";

const binding = <T>(name: string) =>
  z.custom<T>((v) => typeof v === "object" && v !== null, { message: `${name} binding missing` });

export const zEnv = z.object({
  ENVIRONMENT: z.enum(["development", "test", "production"]).default("development"),
  SENTRY_DSN: z.url().optional().or(z.literal("")),
  SENTRY_RELEASE: z.string().optional(),
  SITES: binding<KVNamespace>("SITES"),
  INGEST_QUEUE: binding<Queue>("INGEST_QUEUE"),
  DEAD_LETTERS: binding<Queue>("DEAD_LETTERS"),
  AGGREGATOR: binding<Env["AGGREGATOR"]>("AGGREGATOR"),
  VISITOR_SALT: binding<Env["VISITOR_SALT"]>("VISITOR_SALT"),
  SITE_LIMITER: binding<RateLimit>("SITE_LIMITER"),
  CLIENT_LIMITER: binding<RateLimit>("CLIENT_LIMITER"),
});

/** What the aggregator needs on top: the database. Checked when it flushes, not on ingest. */
export const zAggregatorEnv = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "a postgres:// URL"),
  /** Local only: host:port of the WebSocket bridge in front of a plain Postgres. */
  PG_WS_PROXY: z.string().optional(),
});

/** The dead-letter consumer and its replay: the parked batches in R2 and the ingest queue. */
export const zDeadLetterEnv = z.object({
  DEAD_LETTER_STORE: binding<R2Bucket>("DEAD_LETTER_STORE"),
  INGEST_QUEUE: binding<Queue>("INGEST_QUEUE"),
});

/**
 * Session recordings (routes/record.ts): the grant secret, the per-session buffers and the
 * bucket. Checked by the recording routes, so a deployment without them still collects events.
 */
export const zRecordingEnv = z.object({
  /** Signs recording grants (HMAC-SHA256); 32 characters at least. */
  RECORDING_GRANT_SECRET: z.string().min(32, "at least 32 characters"),
  RECORDING_BUFFER: binding<Env["RECORDING_BUFFER"]>("RECORDING_BUFFER"),
  RECORDINGS: binding<R2Bucket>("RECORDINGS"),
});

export type IngestEnv = z.infer<typeof zEnv>;
export type RecordingEnv = z.infer<typeof zRecordingEnv>;

export const ingestEnv = (env: unknown) => parseEnv(zEnv, env);
export const aggregatorEnv = (env: unknown) => parseEnv(zAggregatorEnv, env);
export const deadLetterEnv = (env: unknown) => parseEnv(zDeadLetterEnv, env);
export const recordingEnv = (env: unknown) => parseEnv(zRecordingEnv, env);

export interface HonoEnv {
  Bindings: Env;
  Variables: RequestContextVariables & { env: IngestEnv; log: Logger };
}
