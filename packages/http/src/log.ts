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

export function createLogger(base: LogFields = {}): Logger {
  const write = (level: "info" | "warn" | "error", msg: string, fields?: LogFields) => {
    const line = JSON.stringify({ level, msg, ...base, ...fields, t: new Date().toISOString() });
    if (level === "error") console.error(line);
    else console.log(line);
  };
  return {
    info: (msg, f) => write("info", msg, f),
    warn: (msg, f) => write("warn", msg, f),
    error: (msg, f) => write("error", msg, f),
    with: (fields) => createLogger({ ...base, ...fields }),
  };
}

/** A loggable description of an unknown error: its name and message, not its stack. */
export function describeError(err: unknown): LogFields {
  if (err instanceof Error) return { errName: err.name, errMessage: err.message.slice(0, 500) };
  return { errName: typeof err, errMessage: String(err).slice(0, 500) };
}
