/**
 * Which database failures are an outage (503 with Retry-After, stale reads allowed) and which
 * are bugs (500, logged and reported). Only the connection failing, or the server refusing
 * work for now, is an outage; a bad query, a constraint or a missing table is not.
 */
import { SightlineError } from "@sightline/shared/errors";

/** Postgres' unique_violation. */
export function isUniqueViolation(err: unknown): boolean {
  return causes(err).some((e) => (e as { code?: unknown }).code === "23505");
}

// SQLSTATE: class 08 connection exception; 57P01-57P03 shutdown / cannot connect now;
// 53300 too many connections; 57014 statement timeout (the server is overloaded).
const OUTAGE_SQLSTATE = /^(08...|57P0[123]|53300|57014)$/;
// Node and socket error codes of a connection that did not open or broke.
const OUTAGE_ERRNO = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
]);
// What pg and @neondatabase/serverless say when the socket (a WebSocket) fails or times out.
const OUTAGE_MESSAGE =
  /connection terminated|timeout exceeded when trying to connect|connection timeout|websocket|socket hang up|connection error|econnrefused/i;

/** The error and its causes, outermost first (drizzle wraps the driver's error). */
function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  let e: unknown = err;
  for (let i = 0; i < 5 && e; i++) {
    out.push(e);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

/** True when the failure is Postgres being unreachable or refusing work for now. */
export function isConnectionError(err: unknown): boolean {
  return causes(err).some((e) => {
    if (e instanceof SightlineError) return e.code === "SERVICE_UNAVAILABLE";
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (OUTAGE_SQLSTATE.test(code) || OUTAGE_ERRNO.has(code))) return true;
    // A driver error with a SQLSTATE of another class is the query's fault, whatever it says.
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return false;
    const message = (e as { message?: unknown }).message;
    return typeof message === "string" && !message.startsWith("Failed query:") && OUTAGE_MESSAGE.test(message);
  });
}

/**
 * What to throw when a database call failed: a 503 with Retry-After when Postgres is down;
 * otherwise the error itself, which `onError` answers as a 500 and reports.
 */
export function databaseUnavailable(cause: unknown): Error {
  if (isConnectionError(cause)) {
    return new SightlineError("SERVICE_UNAVAILABLE", "The database is not reachable; try again shortly.", {
      retry: true,
      cause,
    });
  }
  return cause instanceof Error ? cause : new Error("database call failed", { cause });
}
