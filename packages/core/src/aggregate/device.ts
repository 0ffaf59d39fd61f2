/**
 * The device breakdown: a five-way class from the User-Agent, once per collect request.
 *
 * Bots come from `isbot`, the well-kept list of crawlers, previewers, headless and scripted
 * clients (one large regex, run once per distinct UA thanks to the memo below); the rest is a
 * handful of regexes rather than a parser library: only the class is kept, and parsers
 * (ua-parser-js, bowser) carry large tables of browser, OS and model names we would throw
 * away. Known blind spot: iPadOS 13+ Safari sends a Macintosh UA by default, so those iPads
 * count as desktop; no header tells them apart without client hints.
 */
import { BoundedMap } from "@sightline/shared/cache";
import { LIMITS } from "@sightline/shared/limits";
import type { DeviceClass } from "@sightline/shared/wire";
import { isbot } from "isbot";

/** iPad (before 13 and in-app webviews), Firefox tablets, Kindle, Silk, PlayBook. */
const TABLET = /ipad|tablet|kindle|\bsilk\b|playbook/i;
const ANDROID = /android/i;
const MOBI = /mobi/i;
const MOBILE = /mobi|iphone|ipod|windows phone|blackberry|bb10|opera mini|iemobile/i;
const DESKTOP = /windows nt|macintosh|mac os x|x11|linux|cros|freebsd|openbsd/i;
/**
 * Classes of the UAs this isolate saw last. Traffic comes mostly from a few hundred UA
 * strings, and the regexes cost about 2% of a collect request (a desktop Chrome UA runs all
 * five); a map lookup is a hash of the string. At most 1,000 UAs of 512 characters: 1 MB.
 */
const seen = new BoundedMap<string, DeviceClass>(LIMITS.isolate.userAgentMemoEntries);

/** A User-Agent cut to `LIMITS.isolate.maxUserAgentChars`: a hostile one costs no more than a real one. */
export function cutUserAgent(userAgent: string): string {
  const max = LIMITS.isolate.maxUserAgentChars;
  return userAgent.length > max ? userAgent.slice(0, max) : userAgent;
}

export function deviceClass(userAgent: string | null | undefined): DeviceClass {
  if (!userAgent) return "unknown";
  const ua = cutUserAgent(userAgent);
  let device = seen.get(ua);
  if (device === undefined) {
    device = classify(ua);
    seen.set(ua, device);
  }
  return device;
}

function classify(ua: string): DeviceClass {
  if (isbot(ua)) return "bot";
  if (TABLET.test(ua)) return "tablet";
  // Android phones say "Mobile" (Chrome: "Mobile Safari", Firefox: "Mobile;"); tablets do not.
  if (ANDROID.test(ua)) return MOBI.test(ua) ? "mobile" : "tablet";
  if (MOBILE.test(ua)) return "mobile";
  if (DESKTOP.test(ua)) return "desktop";
  return "unknown";
}
