export { parseEnv } from "./env.ts";
export { errorJson, onError, onNotFound } from "./errors.ts";
export { createLogger, describeError, type LogFields, type Logger, writeLine } from "./log.ts";
export {
  type RequestContextEnv,
  type RequestContextOptions,
  type RequestContextVariables,
  requestContext,
} from "./request-context.ts";
export { reportError, type SentryEnv, sentryFor } from "./sentry.ts";
