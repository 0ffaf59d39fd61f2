/**
 * The referrer breakdown: which outside host sent a pageview. Same-site referrers (SPA
 * navigations and internal links carry the previous page) say nothing about acquisition and
 * are left out; a page load with no referrer is "(direct)".
 *
 * Hosts are read with one regex, not `new URL`: this runs per event on the collect path, and
 * the common same-origin referrer is recognised by a prefix comparison before that.
 * They are lowercased, lose a trailing dot, a port, credentials and one leading "www." (so
 * www.google.com and google.com are one row, and www.shop.example links to shop.example are
 * internal). A host longer than a DNS name can be (253) or with characters no host has is
 * not reported.
 */
import { DIRECT_REFERRER, MAX_REFERRER_HOST_LENGTH } from "@sightline/shared/wire";

/** `scheme://authority`: the authority ends at a path, query or fragment (`\\` as URL does). */
const AUTHORITY = /^[a-z][a-z0-9+.-]*:\/\/([^/?#\\]*)/i;
/** What a host may hold once lowercased; anything else is not a referrer we report. */
const HOST_CHARS = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$|^\[[0-9a-f:.]+\]$/;

/** The host of an authority, normalised as the module header says, or null. */
function hostOfAuthority(authority: string): string | null {
  let host = authority.slice(authority.lastIndexOf("@") + 1);
  const end = host.startsWith("[") ? host.indexOf("]") + 1 : host.indexOf(":");
  if (end > 0) host = host.slice(0, end);
  host = host.toLowerCase();
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (host.startsWith("www.")) host = host.slice(4);
  if (host.length === 0 || host.length > MAX_REFERRER_HOST_LENGTH) return null;
  return HOST_CHARS.test(host) ? host : null;
}

/** The normalised host of an absolute URL (any scheme, e.g. android-app://), or null. */
export function hostOf(url: string): string | null {
  const authority = AUTHORITY.exec(url)?.[1];
  return authority === undefined ? null : hostOfAuthority(authority);
}

/**
 * The referrer value a pageview counts under: the referrer's host when it is another site,
 * "(direct)" when there is no referrer, undefined when the referrer is this site or cannot
 * be read. The tracker always sends the previous URL on SPA navigations, so an empty
 * referrer only happens on a page load.
 */
export function referrerValue(referrer: string | undefined, pageUrl: string): string | undefined {
  return valueFor(referrer, pageUrl, originOf(pageUrl));
}

/** referrerValue, with the page's `scheme://authority` already read. */
function valueFor(referrer: string | undefined, pageUrl: string, pageOrigin: string): string | undefined {
  if (!referrer) return DIRECT_REFERRER;
  // The common case, an SPA navigation or internal link, needs no regex.
  if (hasOrigin(referrer, pageOrigin)) return undefined;
  const host = hostOf(referrer);
  if (host === null || host === hostOf(pageUrl)) return undefined;
  return host;
}

/**
 * referrerValue for the events of one batch. A batch is one browser on one site, so the page
 * origin and the referrer mostly repeat from one event to the next; a repeat costs a prefix
 * comparison instead of two host parses. The answer depends only on the referrer and the
 * page's `scheme://authority`, which is what the memo compares.
 */
export function batchReferrerValue(): (referrer: string | undefined, pageUrl: string) => string | undefined {
  let lastRef: string | undefined;
  let lastOrigin = "";
  let lastValue: string | undefined;
  return (referrer, pageUrl) => {
    if (referrer && referrer === lastRef && hasOrigin(pageUrl, lastOrigin)) return lastValue;
    lastRef = referrer;
    lastOrigin = originOf(pageUrl);
    lastValue = valueFor(referrer, pageUrl, lastOrigin);
    return lastValue;
  };
}

/** `scheme://authority` of a URL, or "" when it has none. */
function originOf(url: string): string {
  const start = url.indexOf("://");
  if (start <= 0) return "";
  let end = start + 3;
  while (end < url.length && !isAuthorityEnd(url.charCodeAt(end))) end++;
  return url.slice(0, end);
}

/** Whether `url` begins with exactly `origin` as its `scheme://authority` (never for ""). */
function hasOrigin(url: string, origin: string): boolean {
  return (
    origin !== "" &&
    url.startsWith(origin) &&
    (url.length === origin.length || isAuthorityEnd(url.charCodeAt(origin.length)))
  );
}

/** `/ ? # \`: where an authority ends, as in AUTHORITY. */
function isAuthorityEnd(c: number): boolean {
  return c === 47 || c === 63 || c === 35 || c === 92;
}
