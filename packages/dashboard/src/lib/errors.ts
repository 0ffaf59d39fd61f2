/** Errors as sentences for people: the API's message, never a body or a stack. */
import { ApiError } from "../api/client.ts";

export const UNEXPECTED = "Something went wrong in the dashboard. Reload the page to try again.";

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  console.error(err);
  return UNEXPECTED;
}

/** "Request id ..." under a server error, so a report can be matched to the server's log line. */
export function errorDetail(err: unknown): string | undefined {
  return err instanceof ApiError && err.requestId && err.status >= 500 ? `Request id: ${err.requestId}` : undefined;
}
