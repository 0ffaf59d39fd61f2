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
 * Writes one record as a JSON line, with its time. The record's own key order is kept, so a
 * caller that builds it in order (the access line) pays for no copy.
 */
export function writeLine(level: "info" | "warn" | "error", record: LogFields): void {
  record.t = new Date().toISOString();
  const line = JSON.stringify(record);
  if (level === "error") console.error(line);
  else console.log(line);
}

/**
 * A class, not closures: the collect route makes one logger per request, and a class
 * allocates one small object where closures would allocate four functions.
 */
class JsonLogger implements Logger {
  constructor(private readonly base: LogFields) {}

  info(msg: string, fields?: LogFields): void {
    writeLine("info", { level: "info", msg, ...this.base, ...fields });
  }

  warn(msg: string, fields?: LogFields): void {
    writeLine("warn", { level: "warn", msg, ...this.base, ...fields });
  }

  error(msg: string, fields?: LogFields): void {
    writeLine("error", { level: "error", msg, ...this.base, ...fields });
  }

  with(fields: LogFields): Logger {
    return new JsonLogger({ ...this.base, ...fields });
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
