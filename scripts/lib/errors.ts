/** For one log line: an error's first line and the chain of causes under it (drizzle wraps the driver's). */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const line = (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
    if (line && !parts.includes(line)) parts.push(line);
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(": ") || "unknown error";
}
