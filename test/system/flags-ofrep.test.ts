/**
 * Feature flags at the edge, in real Chromium against the stack `scripts/start.ts` starts: a
 * site's flags are published to the ingest worker's local KV with wrangler (as the API will
 * publish them), a page on the demo origin loads the site's loader as a blocking script and
 * reads `sightline.flag()` before first paint, then evaluates the same flags with the real
 * OpenFeature web SDK and OFREP web provider against `/ofrep/v1`. Both must agree, with the
 * reason each flag is served for; the flag with private targeting is in neither, as a page
 * holds only the site's public key (servers evaluate it with an API token:
 * workers/ingest/test/ofrep.test.ts).
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { siteFlagsSchema } from "@sightline/shared/flags";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childEnv, INGEST_CONFIG, NODE_BIN, ROOT, WRANGLER_JS } from "../../scripts/lib/paths.ts";
import { launchChromium } from "./browser.ts";
import { type Stack, startStack } from "./stack.ts";

/** esbuild as the tracker's build has it: the root has no copy of its own. */
const { build } = createRequire(join(ROOT, "packages", "tracker", "package.json"))("esbuild") as {
  build(options: Record<string, unknown>): Promise<{ outputFiles: { text: string }[] }>;
};

const onOff = { enabled: true, variants: { on: true, off: false }, defaultVariant: "off", offVariant: "off" };
const FLAGS = siteFlagsSchema.parse({
  version: 1,
  flags: [
    { ...onOff, key: "banner", defaultVariant: "on" },
    {
      ...onOff,
      key: "pro-checkout",
      rules: [{ conditions: [{ attribute: "plan", op: "eq", value: "pro" }], variant: "on" }],
    },
    {
      ...onOff,
      key: "enterprise-sso",
      rules: [{ conditions: [{ attribute: "plan", op: "eq", value: "enterprise" }], variant: "on" }],
    },
    {
      ...onOff,
      key: "desktop-nav",
      rules: [{ conditions: [{ attribute: "device", op: "eq", value: "desktop" }], variant: "on" }],
    },
    {
      key: "headline",
      enabled: true,
      variants: { control: "Analytics", a: "Heatmaps at the edge", b: "See what visitors do" },
      defaultVariant: "control",
      offVariant: "control",
      rollout: { weights: { a: 5_000, b: 5_000 } },
    },
    { ...onOff, key: "killed", enabled: false },
    {
      ...onOff,
      key: "staff-preview",
      rules: [
        { conditions: [{ attribute: "email", op: "in", value: ["ada@shop.example"], private: true }], variant: "on" },
      ],
    },
  ],
});

/** The page's OpenFeature: the web SDK with the OFREP web provider, bundled for the browser. */
const OPENFEATURE_PAGE_SCRIPT = `
import { OpenFeature } from "@openfeature/web-sdk";
import { OFREPWebProvider } from "@openfeature/ofrep-web-provider";
window.evaluateWithOpenFeature = async (baseUrl, siteKey, context) => {
  await OpenFeature.setContext(context);
  await OpenFeature.setProviderAndWait(new OFREPWebProvider({ baseUrl, headers: [["X-API-Key", siteKey]] }));
  const client = OpenFeature.getClient();
  const pick = (d) => ({ value: d.value, variant: d.variant, reason: d.reason, errorCode: d.errorCode });
  return {
    banner: pick(client.getBooleanDetails("banner", false)),
    "pro-checkout": pick(client.getBooleanDetails("pro-checkout", false)),
    "enterprise-sso": pick(client.getBooleanDetails("enterprise-sso", true)),
    "desktop-nav": pick(client.getBooleanDetails("desktop-nav", false)),
    headline: pick(client.getStringDetails("headline", "fallback")),
    killed: pick(client.getBooleanDetails("killed", true)),
    "staff-preview": pick(client.getBooleanDetails("staff-preview", false)),
    missing: pick(client.getBooleanDetails("missing", false)),
  };
};`;

interface FirstPaint {
  banner: boolean;
  headline: string;
  flags: Record<string, string>;
  sessionId: string;
}

describe("flags: the loader on first paint and OFREP with the OpenFeature web SDK", () => {
  let stack: Stack | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    stack = await startStack("flags-ofrep");
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("serves the same variants both ways, each for its reason, and private targeting to neither", async () => {
    if (!stack || !browser) throw new Error("stack not started");
    const ingest = `http://localhost:${stack.ingestPort}`;
    await promisify(execFile)(
      NODE_BIN,
      [
        WRANGLER_JS,
        ...["kv", "key", "put", `flags:${stack.siteKey}`, JSON.stringify(FLAGS)],
        ...["--binding", "SITES", "--config", INGEST_CONFIG, "--local", "--persist-to", join(stack.stateDir, "ingest")],
      ],
      { cwd: ROOT, env: childEnv() },
    );
    // An isolate that looked before the put trusts what it read for FLAG_LIMITS.edgeCacheMs.
    await expect
      .poll(async () => (await fetch(`${ingest}/s/${stack?.siteKey}.js`)).text(), { timeout: 30_000, interval: 1_000 })
      .toContain('"headline"');

    const openFeature = await build({
      stdin: { contents: OPENFEATURE_PAGE_SCRIPT, resolveDir: ROOT, loader: "js" },
      bundle: true,
      format: "iife",
      platform: "browser",
      write: false,
    });
    const html = `<!doctype html><html><head><title>Flags</title>
<script src="${ingest}/s/${stack.siteKey}.js"></script>
<script>
window.firstPaint = {
  banner: sightline.flag("banner", false),
  headline: sightline.flag("headline", "fallback"),
  flags: sightline.flags(),
  sessionId: (localStorage.getItem("sl_s") || "").split(".")[0],
};
</script>
<script>${openFeature.outputFiles[0]?.text ?? ""}</script>
</head><body><h1 id="headline"></h1>
<script>document.getElementById("headline").textContent = sightline.flag("headline", "fallback");</script>
</body></html>`;
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("response", (r) => {
      if (r.url().startsWith(ingest) && r.status() >= 400) errors.push(`${r.status()} ${r.url()}`);
    });
    // The page lives at the demo origin, one of the site's: a real response from the demo server
    // (a 404 for a page it does not have), then this document written over it. A document that
    // Playwright fulfils itself has no address, and Chromium refuses its requests to localhost.
    await page.goto(`${stack.demoUrl}/flags.html`);
    await page.setContent(html);

    const first = (await page.evaluate("window.firstPaint")) as FirstPaint;
    expect(first.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.banner).toBe(true);
    expect(first.flags).toEqual({
      banner: "on",
      "pro-checkout": "off",
      "enterprise-sso": "off",
      "desktop-nav": "on",
      headline: first.flags.headline,
      killed: "off",
    });
    expect(["a", "b"]).toContain(first.flags.headline);
    expect(await page.textContent("#headline")).toBe(first.headline);

    // The core sends the variants the page was served with its events.
    const collected = page.waitForRequest((r) => r.url() === `${ingest}/v1/collect` && r.method() === "POST");
    await page.waitForFunction("typeof window.sightline === 'function'");
    await page.evaluate("window.sightline.flush()");
    const batch = JSON.parse((await collected).postData() ?? "{}") as { flags?: string[]; events?: unknown[] };
    expect(batch.events?.length).toBeGreaterThan(0);
    expect(batch.flags).toEqual(Object.entries(first.flags).map(([k, v]) => `${k}=${v}`));

    const viaOfrep = (await page.evaluate(
      ([baseUrl, siteKey, targetingKey]) =>
        (
          window as unknown as {
            evaluateWithOpenFeature(b: string, k: string, c: object): Promise<Record<string, unknown>>;
          }
        ).evaluateWithOpenFeature(baseUrl, siteKey, { targetingKey, plan: "pro", email: "ada@shop.example" }),
      [ingest, stack.siteKey, first.sessionId] as const,
    )) as Record<string, { value: unknown; variant?: string; reason?: string; errorCode?: string }>;
    expect(viaOfrep).toEqual({
      banner: { value: true, variant: "on", reason: "STATIC" },
      "pro-checkout": { value: true, variant: "on", reason: "TARGETING_MATCH" },
      // Rules, none matched, no rollout: OpenFeature's DEFAULT, passed through by the SDK.
      "enterprise-sso": { value: false, variant: "off", reason: "DEFAULT" },
      // The edge read the device from Chromium's (desktop) User-Agent.
      "desktop-nav": { value: true, variant: "on", reason: "TARGETING_MATCH" },
      // The same bucket in the browser and at the edge, for the same session.
      headline: { value: first.headline, variant: first.flags.headline, reason: "SPLIT" },
      killed: { value: false, variant: "off", reason: "DISABLED" },
      // Private targeting is answered only to a server with an API token, never to the public key.
      "staff-preview": { value: false, reason: "ERROR", errorCode: "FLAG_NOT_FOUND" },
      missing: { value: false, reason: "ERROR", errorCode: "FLAG_NOT_FOUND" },
    });
    expect(errors).toEqual([]);
    await context.close();
  });
});
