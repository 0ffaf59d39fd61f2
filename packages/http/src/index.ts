export { parseEnv } from "./env.ts";
export { errorJson, onError, onNotFound } from "./errors.ts";
export { createLogger, describeError, type Logger, type LogFields } from "./log.ts";
export {
  requestContext,
  type RequestContextEnv,
  type RequestContextOptions,
  type RequestContextVariables,
} from "./request-context.ts";
export { reportError, sentryFor, type SentryEnv } from "./sentry.ts";
