/**
 * The one way the UI talks to the API: same-origin fetches with the session cookie, JSON in
 * and out, and every failure turned into an ApiError whose message is fit to show a person
 * (the API's own message when it sent one, never a body or a stack).
 */
import { ERROR_CODES, type ErrorCode } from "@sightline/shared/errors";

/**
 * The API's stable codes (the one list in @sightline/shared/errors, so a code the UI tests for
 * that the API does not answer fails the typecheck), or what the client itself saw: no answer,
 * an answer it could not read, or a status whose body named no known code.
 */
export type ApiErrorCode = ErrorCode | "NETWORK" | "BAD_RESPONSE" | `HTTP_${number}`;
const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

export interface ApiErrorInit {
  status: number;
  code: ApiErrorCode;
  message: string;
  requestId?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly requestId: string | undefined;

  constructor(init: ApiErrorInit) {
    super(init.message);
    this.name = "ApiError";
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
  }
}

export interface ApiResult<T> {
  data: T;
  /** The API answered from its cache because Postgres was unreachable (X-Sightline-Stale). */
  stale: boolean;
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
  /** false where a 401 is an answer, not a lost session (login, setup). */
  redirectOn401?: boolean;
}

export interface ClientOptions {
  fetch?: typeof fetch;
  /** Called on a 401 that means "not signed in"; the app sends the user to the login page. */
  onUnauthenticated?: () => void;
  /** Called on a 503 MAINTENANCE; the app shows the maintenance page when it is global. */
  onMaintenance?: () => void;
}

// An API message longer than this is not a sentence meant for people.
const MAX_MESSAGE = 300;

const FALLBACK: Record<number, string> = {
  400: "The request was not accepted.",
  401: "You are not signed in.",
  403: "You do not have access to this.",
  404: "That was not found. It may have been deleted.",
  409: "That conflicts with something that already exists.",
  413: "That is too large.",
  429: "Too many attempts. Wait a moment and try again.",
};

export function fallbackMessage(status: number): string {
  return FALLBACK[status] ?? `The server could not answer (HTTP ${status}). Try again in a moment.`;
}

/** Turns an error response into an ApiError, whatever its body holds. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let code: ApiErrorCode = `HTTP_${res.status}`;
  let message = fallbackMessage(res.status);
  let requestId = res.headers.get("X-Request-Id") ?? undefined;
  try {
    const body: unknown = await res.json();
    const err = isRecord(body) && isRecord(body.error) ? body.error : undefined;
    if (err) {
      if (typeof err.code === "string" && KNOWN_CODES.has(err.code)) code = err.code as ErrorCode;
      if (typeof err.message === "string" && err.message.trim() && err.message.length <= MAX_MESSAGE) {
        message = err.message.trim();
      }
      if (typeof err.requestId === "string" && err.requestId) requestId = err.requestId;
    }
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): the fallback message stands.
  }
  return new ApiError({ status: res.status, code, message, requestId });
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === "AbortError";
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function buildPath(path: string, query?: RequestOptions["query"]): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export type Requester = <T>(path: string, opts?: RequestOptions) => Promise<ApiResult<T>>;

export function createRequester(options: ClientOptions = {}): Requester {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  return async function request<T>(path: string, opts: RequestOptions = {}): Promise<ApiResult<T>> {
    const headers: Record<string, string> = { Accept: "application/json" };
    const init: RequestInit = {
      method: opts.method ?? "GET",
      credentials: "same-origin",
      headers,
      signal: opts.signal,
    };
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    let res: Response;
    try {
      res = await doFetch(buildPath(path, opts.query), init);
    } catch (err) {
      if (isAbort(err)) throw err;
      throw new ApiError({
        status: 0,
        code: "NETWORK",
        message: "Could not reach the Sightline API. Check your connection and try again.",
      });
    }
    if (!res.ok) {
      const error = await errorFromResponse(res);
      if (res.status === 401 && opts.redirectOn401 !== false) options.onUnauthenticated?.();
      if (error.code === "MAINTENANCE") options.onMaintenance?.();
      throw error;
    }
    const stale = res.headers.get("X-Sightline-Stale") === "true";
    if (res.status === 204) return { data: undefined as T, stale };
    try {
      return { data: (await res.json()) as T, stale };
    } catch (err) {
      if (isAbort(err)) throw err;
      throw new ApiError({
        status: res.status,
        code: "BAD_RESPONSE",
        message: "The server sent an answer the dashboard could not read. Try again in a moment.",
        requestId: res.headers.get("X-Request-Id") ?? undefined,
      });
    }
  };
}
