// @vitest-environment happy-dom
// @vitest-environment-options {"settings":{"enableIframePageLoading":true}}
/** The snapshot chunk against a real DOM (happy-dom): what it serialises, masks and uploads. */
import { gunzipSync } from "node:zlib";
import { snapshotHeader } from "@sightline/shared/heatmap";
import { LIMITS } from "@sightline/shared/limits";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { SnapshotJob } from "../interactions/start.ts";
import { browserRealm } from "./browser-realm.ts";
import { MAX_BYTES, SETTLE_MS, type SnapshotHost, snapshotBody, take, uploadBody } from "./take.ts";

beforeAll(browserRealm);

const URL_ = "https://site.test/pricing?plan=pro";

const job = (over: Partial<SnapshotJob> = {}): SnapshotJob => ({
  endpoint: "https://ingest.test",
  siteKey: "site_key_1",
  grant: "grant.abc",
  maskAllText: false,
  url: URL_,
  vw: 1280,
  page: "/pricing",
  hashRoutes: true,
  ...over,
});

/** Typed values are set as a visitor's typing sets them: on the element, not in the markup. */
function visit(): void {
  (window as unknown as { happyDOM: { setURL(u: string): void } }).happyDOM.setURL(URL_);
  document.head.innerHTML = "<title>Pricing</title><style>.cta { color: rgb(200, 0, 0) }</style>";
  document.body.innerHTML = `
    <h1>Plans and pricing</h1>
    <p>Questions? Write to jane.doe@example.com or call 030 1234 5678.</p>
    <form>
      <input id="email" type="email">
      <input id="password" type="password">
      <textarea id="note"></textarea>
      <div data-sl-unmask><input id="city"></div>
    </form>
    <p data-sl-mask>Private note for Jane</p>
    <div data-sl-block>Account balance 12,345</div>
    <button class="cta" id="buy">Buy now</button>`;
  const type = (id: string, value: string) => {
    (document.getElementById(id) as HTMLInputElement).value = value;
  };
  type("email", "typed-secret@example.com");
  type("password", "hunter2-password");
  type("note", "my typed note");
  type("city", "Berlin");
}

function host(over: Partial<SnapshotHost> = {}) {
  const posts: { url: string; init: RequestInit }[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const loads: (() => void)[] = [];
  const w: SnapshotHost = {
    document,
    location: window.location,
    CompressionStream,
    fetch: (async (url: string, init: RequestInit) => {
      posts.push({ url, init });
      return new Response(null, { status: 201 });
    }) as typeof fetch,
    setTimeout: (fn, ms) => timers.push({ fn, ms }),
    addEventListener: (_type, fn) => loads.push(fn),
    ...over,
  };
  return { w, posts, timers, loads };
}

/** The header line and the inflated payload of an upload body. */
async function open(body: Blob) {
  const bytes = new Uint8Array(await body.arrayBuffer());
  const nl = bytes.indexOf(0x0a);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(0, nl)));
  const text = gunzipSync(bytes.subarray(nl + 1)).toString("utf8");
  return { header, text, payload: JSON.parse(text) as { node: { type: number }; width: number; height: number } };
}

beforeEach(visit);

describe("page snapshot", () => {
  it("serialises the page with the header line the edge checks", async () => {
    const body = await snapshotBody(host().w, job());
    const { header, payload, text } = await open(body as Blob);
    expect(snapshotHeader.safeParse(header).success).toBe(true);
    expect(header).toEqual({ v: 1, siteKey: "site_key_1", grant: "grant.abc", url: URL_, vw: 1280 });
    // rrweb-snapshot's document node, with the inline stylesheet and the page's text.
    expect(payload.node.type).toBe(0);
    expect(typeof payload.width).toBe("number");
    expect(typeof payload.height).toBe("number");
    expect(text).toContain("Plans and pricing");
    expect(text).toContain("rgb(200, 0, 0)");
  });

  it("is masked as recordings are: no typed value, personal text, masked or blocked element", async () => {
    const { text } = await open((await snapshotBody(host().w, job())) as Blob);
    for (const secret of [
      "typed-secret",
      "hunter2",
      "my typed note",
      "jane.doe@example.com",
      "1234 5678",
      "Private note",
      "Account balance",
    ]) {
      expect(text, secret).not.toContain(secret);
    }
    // Under data-sl-unmask an input shows, as in a recording.
    expect(text).toContain("Berlin");
    expect(text).toContain("Buy now");
  });

  it("masks all text where the site says so", async () => {
    const { text } = await open((await snapshotBody(host().w, job({ maskAllText: true }))) as Blob);
    expect(text).not.toContain("Plans and pricing");
    expect(text).not.toContain("Buy now");
  });

  it("takes none without CompressionStream, or once the visitor is on another page", async () => {
    expect(await snapshotBody(host({ CompressionStream: undefined }).w, job())).toBeNull();
    expect(await snapshotBody(host().w, job({ page: "/docs" }))).toBeNull();
    // A query or an anchor is the same page.
    expect(await snapshotBody(host().w, job({ url: "https://site.test/pricing#faq" }))).not.toBeNull();
  });

  it(`sends nothing over LIMITS.snapshot.maxBytes (${MAX_BYTES} B), which the edge would refuse`, async () => {
    expect(MAX_BYTES).toBe(LIMITS.snapshot.maxBytes);
    const header = `${JSON.stringify({ v: 1, siteKey: "site_key_1", grant: "grant.abc", url: URL_, vw: 1280 })}\n`;
    const gzip = (n: number) => new Blob([new Uint8Array(n)]);
    const fits = MAX_BYTES - new TextEncoder().encode(header).length;
    expect(uploadBody(job(), gzip(fits))?.size).toBe(MAX_BYTES);
    expect(uploadBody(job(), gzip(fits + 1))).toBeNull();
  });

  it(`uploads ${SETTLE_MS} ms after load, to /v1/snapshot`, async () => {
    let loading = true;
    const h = host();
    Object.defineProperty(h.w, "document", { get: () => (loading ? { readyState: "loading" } : document) });
    take(h.w, job());
    expect(h.timers).toEqual([]);
    loading = false;
    for (const fn of h.loads) fn();
    expect(h.timers.map((t) => t.ms)).toEqual([SETTLE_MS]);
    expect(h.posts).toEqual([]);
    h.timers[0]?.fn();
    await vi.waitFor(() => expect(h.posts).toHaveLength(1));
    expect(h.posts.map((p) => [p.url, p.init.method, p.init.credentials])).toEqual([
      ["https://ingest.test/v1/snapshot", "POST", "omit"],
    ]);
    expect(h.posts[0]?.init.headers).toEqual({ "Content-Type": "application/octet-stream" });
    const { header } = await open(h.posts[0]?.init.body as Blob);
    expect(header.grant).toBe("grant.abc");
  });
});
