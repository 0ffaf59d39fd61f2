/**
 * Visitors the privacy-preserving way (Plausible's model): a visitor is a hash of a random
 * salt that rotates every UTC day, the site, the client address and the User-Agent. The
 * address is hashed here at the edge and never stored or queued; once a day's salt is
 * deleted, its hashes cannot be linked to an address or to the next day's. So one person
 * counts once per UTC day and site, and as a new visitor the next day.
 *
 * The day's salt comes from the VisitorSalt object once per isolate and day; if it cannot be
 * had, the batch is still accepted, without a visitor (it counts pageviews and sessions, not
 * visitors).
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { cutUserAgent, dayOf } from "@sightline/core/aggregate";
import type { Logger } from "@sightline/http";
import { BoundedMap } from "@sightline/shared/cache";
import { LIMITS } from "@sightline/shared/limits";

type SaltNamespace = Env["VISITOR_SALT"];

/** The day's salt once known (null: asked and unavailable), or the promise of it meanwhile. */
let cached: { day: number; salt: Promise<string | null>; known?: string | null } | undefined;

function saltFor(ns: SaltNamespace, day: number, log?: Logger): string | null | Promise<string | null> {
  if (cached?.day !== day) {
    const entry: NonNullable<typeof cached> = {
      day,
      salt: ns
        .get(ns.idFromName("salt"))
        .forDay(day)
        .then((salt) => {
          entry.known = salt;
          return salt;
        })
        .catch((err: unknown) => {
          log?.error("visitor salt unavailable", { error: String(err) });
          // Asked again by the next request rather than remembered as missing.
          if (cached === entry) cached = undefined;
          return null;
        }),
    };
    cached = entry;
  }
  return cached.known !== undefined ? cached.known : cached.salt;
}

/**
 * A visitor's requests mostly reach the same isolate (a page's batches share a connection),
 * so the hash is remembered for the day, as the device class is per User-Agent. The key holds
 * the address only in this isolate's memory, as the request did, and is dropped with the salt.
 */
let memo: { salt: string; hashes: BoundedMap<string, string> } | undefined;

/**
 * The request's visitor hash: synchronous once this isolate has the day's salt, which is
 * every request but the first of a day, so the hot path awaits nothing for it.
 */
export function visitorOf(
  ns: SaltNamespace,
  now: number,
  siteId: string,
  address: string,
  userAgent: string,
  log?: Logger,
): string | undefined | Promise<string | undefined> {
  const salt = saltFor(ns, dayOf(now), log);
  if (salt instanceof Promise)
    return salt.then((s) => (s === null ? undefined : remembered(s, siteId, address, userAgent)));
  return salt === null ? undefined : remembered(salt, siteId, address, userAgent);
}

function remembered(salt: string, siteId: string, address: string, userAgent: string): string {
  if (memo?.salt !== salt) memo = { salt, hashes: new BoundedMap(LIMITS.isolate.visitorMemoEntries) };
  const key = `${siteId}\n${address}\n${cutUserAgent(userAgent)}`;
  let hash = memo.hashes.get(key);
  if (hash === undefined) {
    hash = visitorHash(salt, key);
    memo.hashes.set(key, hash);
  }
  return hash;
}

const encoder = new TextEncoder();

/**
 * 128 bits of SHA-256, hex: collisions are negligible for a site's daily visitors.
 * @noble/hashes (audited, pure JS) rather than crypto.subtle or node:crypto: synchronous, so
 * the handler awaits nothing for it; in the bench's handler loop the native calls and their
 * promise cost 15-25 µs a request, the JS hash of about 200 bytes a few.
 */
function visitorHash(salt: string, visitor: string): string {
  return bytesToHex(sha256(encoder.encode(`${salt}\n${visitor}`)).subarray(0, 16));
}
