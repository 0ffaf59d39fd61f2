/** The one error shape every Sightline service answers with, and the stable codes in it. */
export const ERROR_CODES = [
  "BAD_REQUEST",
  "INVALID_JSON",
  "VALIDATION_FAILED",
  "UNSUPPORTED_MEDIA_TYPE",
  "PAYLOAD_TOO_LARGE",
  "TOO_MANY_EVENTS",
  "UNKNOWN_SITE",
  "ORIGIN_NOT_ALLOWED",
  "RATE_LIMITED",
  "QUOTA_EXCEEDED",
  "RECORDING_NOT_GRANTED",
  "CONSENT_REQUIRED",
  "RECORDING_LIMIT_REACHED",
  "SNAPSHOT_NOT_GRANTED",
  "SNAPSHOT_NOT_FOUND",
  "UNAUTHENTICATED",
  "INVALID_CREDENTIALS",
  "FORBIDDEN",
  "ALREADY_SET_UP",
  "FLAG_EXISTS",
  "LIMIT_REACHED",
  "NOT_FOUND",
  "METHOD_NOT_ALLOWED",
  "SERVICE_UNAVAILABLE",
  "MAINTENANCE",
  "BAD_ENVIRONMENT",
  "INTERNAL_ERROR",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export const ERROR_STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  INVALID_JSON: 400,
  VALIDATION_FAILED: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_EVENTS: 413,
  UNKNOWN_SITE: 404,
  ORIGIN_NOT_ALLOWED: 403,
  RATE_LIMITED: 429,
  QUOTA_EXCEEDED: 429,
  RECORDING_NOT_GRANTED: 403,
  /** A grant asked for an opt-in site's session without the visitor's consent; not kept by the recorder. */
  CONSENT_REQUIRED: 403,
  RECORDING_LIMIT_REACHED: 413,
  SNAPSHOT_NOT_GRANTED: 403,
  SNAPSHOT_NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  ALREADY_SET_UP: 409,
  FLAG_EXISTS: 409,
  /** A bound on what an account or site holds (its flags); the message names it. */
  LIMIT_REACHED: 400,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  SERVICE_UNAVAILABLE: 503,
  MAINTENANCE: 503,
  BAD_ENVIRONMENT: 500,
  INTERNAL_ERROR: 500,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; requestId: string };
}

/** A failure a caller can act on: a stable code, whether retrying may help, and the cause. */
export class SightlineError extends Error {
  readonly code: ErrorCode;
  readonly retry: boolean;
  override readonly cause?: unknown;

  constructor(code: ErrorCode, message: string, opts: { retry?: boolean; cause?: unknown } = {}) {
    super(message);
    this.name = "SightlineError";
    this.code = code;
    this.retry = opts.retry ?? false;
    this.cause = opts.cause;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}
