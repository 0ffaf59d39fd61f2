/**
 * Visitors the privacy-preserving way (Plausible's model): a visitor is a hash of a random
 * salt that rotates every UTC day, the site, the client address and the User-Agent. The
 * address is hashed at the edge and never stored or queued; once a day's salt is deleted,
 * its hashes cannot be linked to an address or to the next day's. So one person counts
 * once per UTC day and site, and as a new visitor the next day.
 */
const encoder = new TextEncoder();

/** 128 bits of SHA-256, hex: collisions are negligible for a site's daily visitors. */
export async function visitorHash(salt: string, siteId: string, address: string, userAgent: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(`${salt}\n${siteId}\n${address}\n${userAgent}`));
  let hex = "";
  for (const b of new Uint8Array(digest, 0, 16)) hex += b.toString(16).padStart(2, "0");
  return hex;
}
