import { type Browser, chromium, type Page } from "playwright-core";

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

/**
 * Collects into `problems` what must not happen on a dashboard page: page errors, console
 * errors (not the browser's own "Failed to load resource" line for an answered 4xx) and, with
 * `apiUrl`, 5xx answers from it unless `expected()` says one is.
 */
export function watchProblems(page: Page, problems: string[], apiUrl?: string, expected = () => false): void {
  page.on("pageerror", (err) => problems.push(`page error: ${err.stack ?? err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) {
      problems.push(`console: ${msg.text()}`);
    }
  });
  if (!apiUrl) return;
  page.on("response", (res) => {
    if (res.url().startsWith(apiUrl) && res.status() >= 500 && !expected()) {
      problems.push(`${res.status()} ${res.url()}`);
    }
  });
}

/** A same-origin API call from the signed-in page, with its cookie and Origin; body null on 204. */
export function apiFetch<T>(
  page: Page,
  path: string,
  init: { method?: string; json?: unknown } = {},
): Promise<{ status: number; body: T }> {
  return page.evaluate(
    async ({ path, init }) => {
      const res = await fetch(path, {
        method: init.method ?? "GET",
        headers: init.json === undefined ? {} : { "content-type": "application/json" },
        body: init.json === undefined ? undefined : JSON.stringify(init.json),
      });
      return { status: res.status, body: res.status === 204 ? null : await res.json() } as never;
    },
    { path, init },
  );
}
