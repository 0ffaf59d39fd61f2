/**
 * One JSON line per event worth logging. Workers Logs and any log drain index these fields;
 * callers pass ids, routes and counts, never headers, bodies or secrets.
 */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  with(fields: LogFields): Logger;
}

/**
 * A class, not closures: the collect route makes one logger per request, and a class
 * allocates one small object where closures would allocate (and name) four functions.
 */
class JsonLogger implements Logger {
  constructor(private readonly base: LogFields) {}

  info(msg: string, fields?: LogFields): void {
    console.log(this.line("info", msg, fields));
  }

  warn(msg: string, fields?: LogFields): void {
    console.log(this.line("warn", msg, fields));
  }

  error(msg: string, fields?: LogFields): void {
    console.error(this.line("error", msg, fields));
  }

  with(fields: LogFields): Logger {
    return new JsonLogger({ ...this.base, ...fields });
  }

  private line(level: string, msg: string, fields: LogFields | undefined): string {
    return JSON.stringify({ level, msg, ...this.base, ...fields, t: new Date().toISOString() });
  }
}

export function createLogger(base: LogFields = {}): Logger {
  return new JsonLogger(base);
}

/** A loggable description of an unknown error: its name and message, not its stack. */
export function describeError(err: unknown): LogFields {
  if (err instanceof Error) return { errName: err.name, errMessage: err.message.slice(0, 500) };
  return { errName: typeof err, errMessage: String(err).slice(0, 500) };
}
