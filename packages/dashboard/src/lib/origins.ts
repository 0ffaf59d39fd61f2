/** Allowed origins as typed into a form: one per line (or comma-separated), checked and normalised. */

export interface ParsedOrigins {
  origins: string[];
  /** One sentence per entry that is not an origin. */
  errors: string[];
}

export function parseOrigins(text: string): ParsedOrigins {
  const origins: string[] = [];
  const errors: string[] = [];
  for (const raw of text.split(/[\s,]+/)) {
    const entry = raw.trim();
    if (!entry) continue;
    if (!/^https?:\/\//i.test(entry)) {
      errors.push(`${entry}: start it with https:// (or http:// for local development).`);
      continue;
    }
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      errors.push(`${entry}: this is not a web address.`);
      continue;
    }
    if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash || url.username || url.password) {
      errors.push(`${entry}: give only the scheme, host and port, such as ${url.origin}.`);
      continue;
    }
    if (!origins.includes(url.origin)) origins.push(url.origin);
  }
  return { origins, errors };
}

export function formatOrigins(origins: readonly string[]): string {
  return origins.join("\n");
}
