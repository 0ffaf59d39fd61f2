// @vitest-environment happy-dom
// @vitest-environment-options {"settings":{"enableIframePageLoading":true}}
/** The built snapshot chunk, postcss left out at build time, run in a DOM as a page loads it. */
import { runInThisContext } from "node:vm";
import { gunzipSync } from "node:zlib";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { SnapshotJob } from "../src/interactions/start.ts";
import { browserRealm } from "../src/snapshot/browser-realm.ts";
import { type Bundle, bundleSnapshot } from "./bundle.ts";

let chunk: Bundle;
beforeAll(async () => {
  browserRealm();
  chunk = await bundleSnapshot();
});

type Win = typeof window & { __sls?: unknown };
const original = { fetch: window.fetch, setTimeout: window.setTimeout };
afterEach(() => {
  Object.assign(window, original);
  delete (window as Win).__sls;
});

describe("snapshot bundle", () => {
  it("carries rrweb-snapshot's serialiser without postcss or rrweb's recorder", () => {
    expect(chunk.inputs.some((p) => p.includes("rrweb-snapshot"))).toBe(true);
    expect(chunk.inputs.filter((p) => p.includes("@rrweb/record") || p.includes("zod"))).toEqual([]);
    // Booleans, not matchers: a failure would print the whole bundle.
    expect(/CssSyntaxError|postcss|\bconsole\./.test(chunk.js)).toBe(false);
    console.log(`snapshot bundle: ${chunk.js.length} B`);
  });

  it("takes the jobs queued before it loaded and uploads the page masked", async () => {
    (window as unknown as { happyDOM: { setURL(u: string): void } }).happyDOM.setURL("https://site.test/pricing");
    document.body.innerHTML = '<h1>Plans</h1><input id="q"><p>mail jane.doe@example.com</p>';
    (document.getElementById("q") as HTMLInputElement).value = "typed secret";
    const posts: { url: string; body: Blob }[] = [];
    const w = window as Win;
    w.fetch = (async (url: string, init: RequestInit) => {
      posts.push({ url, body: init.body as Blob });
      return new Response(null, { status: 201 });
    }) as typeof fetch;
    // The settling wait runs at once here.
    w.setTimeout = ((fn: () => void) => {
      fn();
      return 0;
    }) as typeof setTimeout;
    const job: SnapshotJob = {
      endpoint: "https://ingest.test",
      siteKey: "site_key_1",
      grant: "g",
      maskAllText: false,
      url: "https://site.test/pricing",
      vw: 1280,
      page: "/pricing",
      hashRoutes: true,
    };
    w.__sls = [job];
    runInThisContext(chunk.js);
    if (document.readyState !== "complete") window.dispatchEvent(new Event("load"));
    await vi.waitFor(() => expect(posts).toHaveLength(1));
    const [post] = posts as [{ url: string; body: Blob }];
    expect(post.url).toBe("https://ingest.test/v1/snapshot");
    const bytes = new Uint8Array(await post.body.arrayBuffer());
    const nl = bytes.indexOf(0x0a);
    expect(JSON.parse(new TextDecoder().decode(bytes.subarray(0, nl)))).toMatchObject({ v: 1, grant: "g" });
    const text = gunzipSync(bytes.subarray(nl + 1)).toString("utf8");
    expect(text).toContain("Plans");
    expect(text).not.toContain("typed secret");
    expect(text).not.toContain("jane.doe@example.com");
    // Loaded, it takes later jobs through its own push.
    expect(typeof (w.__sls as { push?: unknown }).push).toBe("function");
    expect(Array.isArray(w.__sls)).toBe(false);
  });
});
