import { SightlineError } from "@sightline/shared/errors";

/** Postgres' unique_violation. */
export function isUniqueViolation(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 3 && e; i++) {
    if ((e as { code?: string }).code === "23505") return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The database failed us: a 503 with Retry-After, never a bare 500. */
export function databaseUnavailable(cause: unknown): SightlineError {
  return new SightlineError("SERVICE_UNAVAILABLE", "The database is not reachable; try again shortly.", {
    retry: true,
    cause,
  });
}
