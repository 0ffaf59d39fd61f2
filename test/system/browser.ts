import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium, never a downloaded one; the flags keep it off the network. */
export const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-quic",
  "--no-first-run",
  "--disable-sync",
];

/**
 * A desktop Chrome User-Agent. Headless Chromium names itself in its own, and bots count only
 * in the device breakdown; a context's userAgent option does not reach the beacons a page
 * sends as it unloads, so the switch is set for the whole browser.
 */
export const DESKTOP_UA =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...FLAGS, `--user-agent=${DESKTOP_UA}`],
  });
}
