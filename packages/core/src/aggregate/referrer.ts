/**
 * The referrer breakdown: which outside host sent a pageview. Same-site referrers (SPA
 * navigations and internal links carry the previous page) say nothing about acquisition and
 * are left out; a page load with no referrer is "(direct)".
 *
 * Hosts are read with one regex, not `new URL`: this runs per event on the collect path.
 * They are lowercased, lose a trailing dot, a port, credentials and one leading "www." (so
 * www.google.com and google.com are one row, and www.shop.example links to shop.example are
 * internal). A host longer than a DNS name can be (253) or with characters no host has is
 * not reported.
 */
import { DIRECT_REFERRER, MAX_REFERRER_HOST_LENGTH } from "@sightline/shared/wire";

/** `scheme://[userinfo@]host`: the host ends at a port, path, query or fragment. */
const AUTHORITY = /^[a-z][a-z0-9+.-]*:\/\/(?:[^/?#\\@]*@)?(\[[0-9a-f:.]+\]|[^:/?#\\@]+)/i;
/** What a host may hold once lowercased; anything else is not a referrer we report. */
const HOST_CHARS = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$|^\[[0-9a-f:.]+\]$/;

/** The normalised host of an absolute URL (any scheme, e.g. android-app://), or null. */
export function hostOf(url: string): string | null {
  const m = AUTHORITY.exec(url);
  if (!m?.[1]) return null;
  let host = m[1].toLowerCase();
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (host.startsWith("www.")) host = host.slice(4);
  if (host.length === 0 || host.length > MAX_REFERRER_HOST_LENGTH) return null;
  return HOST_CHARS.test(host) ? host : null;
}

/**
 * The referrer value a pageview counts under: the referrer's host when it is another site,
 * "(direct)" when there is no referrer, undefined when the referrer is this site or cannot
 * be read. The tracker always sends the previous URL on SPA navigations, so an empty
 * referrer only happens on a page load.
 */
export function referrerValue(referrer: string | undefined, pageUrl: string): string | undefined {
  if (!referrer) return DIRECT_REFERRER;
  const host = hostOf(referrer);
  if (host === null || host === hostOf(pageUrl)) return undefined;
  return host;
}
