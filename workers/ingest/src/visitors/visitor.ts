/**
 * The visitor hash of a collect request. The day's salt comes from the VisitorSalt object
 * once per isolate and day; if it cannot be had, the batch is still accepted, without a
 * visitor (it counts pageviews and sessions, not visitors).
 */
import { dayOf, visitorHash } from "@sightline/core/aggregate";
import type { Logger } from "@sightline/http";

type SaltNamespace = Env["VISITOR_SALT"];

let cached: { day: number; salt: Promise<string | null> } | undefined;

function saltFor(ns: SaltNamespace, day: number, log?: Logger): Promise<string | null> {
  if (cached?.day !== day) {
    const salt = ns
      .get(ns.idFromName("salt"))
      .forDay(day)
      .catch((err: unknown) => {
        log?.error("visitor salt unavailable", { error: String(err) });
        // Asked again by the next request rather than remembered as missing.
        if (cached?.salt === salt) cached = undefined;
        return null;
      });
    cached = { day, salt };
  }
  return cached.salt;
}

export async function visitorOf(
  ns: SaltNamespace,
  now: number,
  siteId: string,
  address: string,
  userAgent: string,
  log?: Logger,
): Promise<string | undefined> {
  const salt = await saltFor(ns, dayOf(now), log);
  return salt === null ? undefined : visitorHash(salt, siteId, address, userAgent);
}
