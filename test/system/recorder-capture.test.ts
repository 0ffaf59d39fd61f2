/**
 * Session recording capture in real Chromium, against a small local server standing in for the
 * edge (grant, record and collect endpoints; the page on one origin, the "edge" on another, as
 * in production). The core and the recorder are the shipped bundles. A person types into a text
 * field and a password field, clicks, and goes to a second page; the uploads are read as the
 * edge reads them. Then consent is withdrawn, and a session the sampling leaves out loads no
 * recorder at all; on an opt-in site a sampled session records only after consent is given. Two tabs of one session: only the one in front records, and bringing the
 * other to the front moves the recording to it. Needs no stack: it runs in seconds.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { gunzipSync } from "node:zlib";
import { uuidv7 } from "@sightline/shared/ids";
import { type ChunkHeader, chunkHeader, type GrantResponse, sessionSampled } from "@sightline/shared/recording";
import type { TrackerConfig } from "@sightline/shared/site";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleCore, bundleRecorder } from "../../packages/tracker/scripts/bundle.ts";
import { launchChromium } from "./browser.ts";

const SITE_KEY = "site_key_capture";
const TYPED = "zqxjkvbw";
const PASSWORD = "Pw9-Kx7Zq";
const EMAIL = "ada.lovelace@example.com";
const CARD = "4242 4242 4242 4242";
const BLOCKED = "BLOCKED-CONTENT-7731";
const MASKED = "MASKED-NOTE-5520";
const UNMASKED = "UNMASKED-NOTE-4410";
const IDLE_CHANGE = "IDLE-TAB-CHANGE-9063";
/** Waits for something that must happen: bounded in turns, not a timing assertion. */
const WAIT_MS = 15_000;

interface Chunk {
  header: ChunkHeader;
  events: { type: number; timestamp: number; data?: { tag?: string } }[];
  /** The decoded payload, searched for what must not be there. */
  text: string;
  via: string;
}

/** The edge as far as the browser can tell: every request logged, uploads decoded. */
class FakeEdge {
  server: Server;
  requests: string[] = [];
  chunks: Chunk[] = [];
  grants = 0;
  recordingSampleRate = 1;
  maskAllText = false;
  /** The site's recordingConsent is "opt-in". */
  consentRequired = false;
  /** What each grant request said (an opt-in site's edge requires `consent: true`). */
  grantBodies: Record<string, unknown>[] = [];
  core = "";
  recorder = "";

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }
  /** The page's origin and the edge's differ, as on a real site. */
  get site(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get edge(): string {
    return `http://localhost:${this.port}`;
  }

  page(title: string, next: string): string {
    const cfg: TrackerConfig = {
      siteKey: SITE_KEY,
      endpoint: this.edge,
      flushIntervalMs: 5_000,
      maxQueuedEvents: 500,
      maxRetries: 3,
      retryBaseMs: 1_000,
      sessionIdleMs: 30 * 60 * 1000,
      respectDnt: true,
      hashRoutes: true,
      heatmaps: false,
      recordingSampleRate: this.recordingSampleRate,
      recorderUrl: `${this.edge}/t/recorder.test.js`,
      ...(this.consentRequired ? { consentRequired: true as const } : {}),
    };
    return `<!doctype html><html><head><title>${title}</title>
<script>window.__sl=${JSON.stringify(cfg)};</script>
<script async src="${this.edge}/t/core.test.js"></script></head>
<body><h1>${title}</h1>
<p>Write to ${EMAIL} or pay with ${CARD}.</p>
<p data-sl-mask>${MASKED}</p>
<p data-sl-unmask>${UNMASKED}, ${EMAIL}</p>
<div data-sl-block><p>${BLOCKED}</p><input id="blocked-input"></div>
<form onsubmit="return false"><input id="name" type="text"><input id="pw" type="password"></form>
<button id="go" style="margin:40px;width:120px;height:40px">Go</button>
<a id="next" href="${next}">Next</a>
</body></html>`;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.site);
    this.requests.push(`${req.method} ${url.pathname}`);
    const cors = { "Access-Control-Allow-Origin": "*" };
    const body = await new Promise<Buffer>((resolve) => {
      const parts: Buffer[] = [];
      req.on("data", (b: Buffer) => parts.push(b));
      req.on("end", () => resolve(Buffer.concat(parts)));
    });
    if (req.method === "GET" && url.pathname.endsWith(".html")) {
      const next = url.pathname === "/one.html" ? "/two.html" : "/one.html";
      res.writeHead(200, { "Content-Type": "text/html" }).end(this.page(url.pathname.slice(1, -5), next));
    } else if (req.method === "GET" && url.pathname === "/t/core.test.js") {
      res.writeHead(200, { "Content-Type": "application/javascript", ...cors }).end(this.core);
    } else if (req.method === "GET" && url.pathname === "/t/recorder.test.js") {
      res.writeHead(200, { "Content-Type": "application/javascript", ...cors }).end(this.recorder);
    } else if (req.method === "POST" && url.pathname === "/v1/record/grant") {
      this.grants++;
      this.grantBodies.push(JSON.parse(body.toString("utf8")) as Record<string, unknown>);
      const grant: GrantResponse = {
        grant: "test-grant",
        expiresAt: Date.now() + 60 * 60 * 1000,
        maxSessionBytes: 20 * 1024 * 1024,
        maxSessionDurationMs: 60 * 60 * 1000,
        maskAllText: this.maskAllText,
      };
      res.writeHead(200, { "Content-Type": "application/json", ...cors }).end(JSON.stringify(grant));
    } else if (req.method === "POST" && url.pathname === "/v1/record") {
      const nl = body.indexOf(10);
      const header = chunkHeader.parse(JSON.parse(body.subarray(0, nl).toString("utf8")));
      const payload = body.subarray(nl + 1);
      const text = (header.encoding === "gzip" ? gunzipSync(payload) : payload).toString("utf8");
      this.chunks.push({ header, events: JSON.parse(text), text, via: req.headers["content-type"] ?? "" });
      res.writeHead(202, cors).end();
    } else if (req.method === "POST" && url.pathname === "/v1/collect") {
      res.writeHead(202, cors).end();
    } else {
      res.writeHead(404).end();
    }
  }
}

/**
 * Headless Chromium shows every page of a context as visible, whatever is in front:
 * bringToFront, a background Target.createTarget, minimizing the window, focus emulation and
 * Page.setWebLifecycleState leave document.visibilityState at "visible" (Chromium 156). So the
 * pages carry the state a tab strip would give them: "hidden" for a page opened with `?bg` (a
 * tab opened in the background), and `__visibility(state)` fires visibilitychange as the
 * browser does on a tab switch. Storage, the locks and everything else are Chromium's own.
 */
function emulateVisibility(): void {
  let state: DocumentVisibilityState = location.search.includes("bg") ? "hidden" : "visible";
  Object.defineProperty(Document.prototype, "visibilityState", { configurable: true, get: () => state });
  Object.defineProperty(Document.prototype, "hidden", { configurable: true, get: () => state === "hidden" });
  Object.assign(window, {
    __visibility(next: DocumentVisibilityState) {
      if (next === state) return;
      state = next;
      document.dispatchEvent(new Event("visibilitychange"));
    },
  });
}

/** A tab switch: the tab in front is hidden first, then the other is brought to the front and shown. */
async function switchTo(page: Page, from: Page): Promise<void> {
  const set = (p: Page, v: DocumentVisibilityState) =>
    p.evaluate((s) => (window as unknown as { __visibility(s: string): void }).__visibility(s), v);
  await set(from, "hidden");
  await page.bringToFront();
  await set(page, "visible");
}

async function waitFor(what: string, done: () => boolean): Promise<void> {
  for (let waited = 0; !done(); waited += 50) {
    if (waited > WAIT_MS) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe("recorder capture in Chromium", () => {
  const edge = new FakeEdge();
  let browser: Browser | undefined;

  beforeAll(async () => {
    const [core, recorder] = await Promise.all([bundleCore(), bundleRecorder()]);
    edge.core = core.js;
    edge.recorder = recorder.js;
    await new Promise<void>((r) => edge.server.listen(0, "127.0.0.1", r));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => edge.server.close(() => r()));
  });

  it("uploads masked rrweb chunks across two pages, and stops at sightline('consent', false)", async () => {
    if (!browser) throw new Error("no browser");
    edge.recordingSampleRate = 1;
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    const page: Page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));

    await page.goto(`${edge.site}/one.html`);
    await waitFor("the first chunk", () => edge.chunks.length > 0);

    await page.click("#name");
    await page.keyboard.type(TYPED, { delay: 20 });
    await page.click("#pw");
    await page.keyboard.type(PASSWORD, { delay: 20 });
    await page.click("#blocked-input").catch(() => {});
    const box = await page.locator("#go").boundingBox();
    if (!box) throw new Error("no button");
    for (let i = 0; i < 3; i++) await page.mouse.click(box.x + 20, box.y + 20);
    await waitFor("the clicks uploaded", () => edge.chunks.some((c) => c.header.summary.clicks > 0));

    // A full navigation: what is left goes at pagehide, the next page continues the recording.
    await page.click("#next");
    await page.waitForURL("**/two.html");
    await page.click("#name");
    await page.keyboard.type(TYPED, { delay: 20 });
    await waitFor("the second page's chunks", () =>
      edge.chunks.some((c) => c.header.summary.pages.includes("/two.html")),
    );

    const chunks = edge.chunks;
    const seqs = chunks.map((c) => c.header.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(seqs.map((_, i) => i));
    expect(new Set(chunks.map((c) => c.header.sessionId)).size).toBe(1);
    expect(chunks.every((c) => c.header.grant === "test-grant" && c.header.siteKey === SITE_KEY)).toBe(true);
    expect(chunks.every((c) => c.via.startsWith("text/plain"))).toBe(true);
    expect(chunks.some((c) => c.header.encoding === "gzip")).toBe(true);
    // The grant was asked once; the second page used the cached one.
    expect(edge.grants).toBe(1);

    const events = chunks.flatMap((c) => c.events);
    const fullSnapshots = events.filter((e) => e.type === 2);
    expect(fullSnapshots.length).toBeGreaterThanOrEqual(2);
    const summaries = chunks.map((c) => c.header.summary);
    expect(summaries.reduce((n, s) => n + s.clicks, 0)).toBeGreaterThanOrEqual(3);
    expect(summaries.reduce((n, s) => n + s.rageClicks, 0)).toBe(1);
    expect(new Set(summaries.flatMap((s) => s.pages))).toEqual(new Set(["/one.html", "/two.html"]));
    expect(summaries.reduce((n, s) => n + s.events, 0)).toBe(events.length);

    // Nothing typed, no password, no email, no card number, nothing masked or blocked.
    const all = chunks.map((c) => c.text).join("\n");
    for (const secret of [TYPED, PASSWORD, EMAIL, CARD, "4242", BLOCKED, MASKED]) expect(all).not.toContain(secret);
    for (const s of [TYPED, PASSWORD]) {
      for (let i = 0; i + 4 <= s.length; i++) expect(all).not.toContain(s.slice(i, i + 4));
    }
    // The masked input events are there, as stars.
    expect(all).toContain("********");
    const gz = chunks.filter((c) => c.header.encoding === "gzip").length;
    console.log(
      `recorder capture: ${chunks.length} chunks (${gz} gzip, ${chunks.length - gz} identity), ${events.length} events, ${all.length} B of event JSON`,
    );

    // Consent withdrawn: nothing more goes, not even at pagehide.
    await sleep(2_500);
    const before = edge.chunks.length;
    await page.evaluate(() =>
      (window as unknown as { sightline(c: string, v: boolean): void }).sightline("consent", false),
    );
    await page.click("#name");
    await page.keyboard.type("more typing", { delay: 10 });
    for (let i = 0; i < 3; i++) await page.mouse.click(box.x + 20, box.y + 20);
    await sleep(2_500);
    await page.goto("about:blank");
    await sleep(500);
    expect(edge.chunks.length).toBe(before);
    // And a later page of the session records nothing either.
    await page.goto(`${edge.site}/one.html`);
    await page.click("#name");
    await sleep(2_500);
    expect(edge.chunks.length).toBe(before);
    expect(edge.requests.filter((r) => r === "GET /t/recorder.test.js").length).toBe(2);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("masks every text but data-sl-unmask's when the site masks all text", async () => {
    if (!browser) throw new Error("no browser");
    edge.recordingSampleRate = 1;
    edge.maskAllText = true;
    const from = edge.chunks.length;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${edge.site}/one.html`);
    await waitFor("the first chunk", () => edge.chunks.length > from);
    await context.close();
    edge.maskAllText = false;
    const text = edge.chunks
      .slice(from)
      .map((c) => c.text)
      .join("\n");
    expect(text).toContain(UNMASKED);
    for (const hidden of ["Write to", "pay with", "Next", MASKED, BLOCKED, EMAIL]) expect(text).not.toContain(hidden);
  });

  it("records only the tab in front of two tabs of one session, and moves to the other when it comes to the front", async () => {
    if (!browser) throw new Error("no browser");
    edge.recordingSampleRate = 1;
    const from = edge.chunks.length;
    const context = await browser.newContext();
    await context.addInitScript(emulateVisibility);
    const mine = () => edge.chunks.slice(from);
    /** Which tab sent a chunk: each tab's summaries name its own page. */
    const tabOf = (c: Chunk) => c.header.summary.pages[0];
    const errors: string[] = [];
    const one = await context.newPage();
    one.on("pageerror", (e) => errors.push(e.message));
    await one.goto(`${edge.site}/one.html`);
    await one.click("#name");
    await waitFor("the first tab's chunks", () => mine().some((c) => c.header.summary.clicks > 0));

    // A second tab of the session, opened in the background: it loads the recorder and waits.
    const loads = () => edge.requests.filter((r) => r === "GET /t/recorder.test.js").length;
    const loaded = loads();
    const two = await context.newPage();
    two.on("pageerror", (e) => errors.push(e.message));
    await two.goto(`${edge.site}/two.html?bg`);
    await waitFor("the second tab's recorder", () => loads() === loaded + 1);
    expect(await two.evaluate(() => document.visibilityState)).toBe("hidden");
    await one.bringToFront();
    await one.click("#go");
    await waitFor("the click in the first tab", () => mine().filter((c) => c.header.summary.clicks > 0).length > 1);
    await sleep(2_500);
    expect(new Set(mine().map(tabOf))).toEqual(new Set(["/one.html"]));

    // The second tab comes to the front: the recording moves to it.
    await switchTo(two, one);
    await two.click("#go");
    await waitFor("the second tab's click", () =>
      mine().some((c) => tabOf(c) === "/two.html" && c.header.summary.clicks > 0),
    );
    // The first tab, now behind, changes its page: nothing of it is sent.
    await one.evaluate((t) => document.body.append(t), IDLE_CHANGE);
    await two.click("#name");
    await sleep(2_500);
    expect(mine().some((c) => c.text.includes(IDLE_CHANGE))).toBe(false);

    // And back: the first tab records again, from a full snapshot of its page as it is now.
    await switchTo(one, two);
    await one.click("#go");
    await waitFor("the first tab's page again", () => mine().some((c) => c.text.includes(IDLE_CHANGE)));
    await waitFor("the first tab's click again", () => {
      const last = mine().findLast((c) => tabOf(c) === "/two.html");
      return mine().some((c) => c.header.seq > (last?.header.seq ?? 0) && c.header.summary.clicks > 0);
    });

    const chunks = mine();
    // Each seq once, none missing: the tabs took them from one counter, one at a time.
    const seqs = chunks.map((c) => c.header.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] ?? 0) + i));
    // As a player reads it (events by timestamp), the recording is one tab at a time, and each
    // turn of a tab starts with a Meta and a full snapshot of its page.
    const timeline = chunks
      .flatMap((c) => c.events.map((e) => ({ tab: tabOf(c), type: e.type, ts: e.timestamp })))
      .sort((a, b) => a.ts - b.ts);
    const turns: string[] = [];
    timeline.forEach((e, i) => {
      if (i > 0 && timeline[i - 1]?.tab === e.tab) return;
      turns.push(`${e.tab}`);
      expect([e.type, timeline[i + 1]?.type]).toEqual([4, 2]);
    });
    expect(turns).toEqual(["/one.html", "/two.html", "/one.html"]);
    const clicks = (tab: string) =>
      chunks.filter((c) => tabOf(c) === tab).reduce((n, c) => n + c.header.summary.clicks, 0);
    expect([clicks("/one.html") >= 3, clicks("/two.html") >= 2]).toEqual([true, true]);
    console.log(
      `two tabs: ${chunks.length} chunks, turns ${turns.join(" → ")}, ${timeline.length} events, seqs ${seqs[0]}..${seqs.at(-1)}`,
    );
    expect(errors).toEqual([]);
    await context.close();
  });

  it("on an opt-in site records a sampled session only after sightline('consent', true), then on its later pages too", async () => {
    if (!browser) throw new Error("no browser");
    edge.recordingSampleRate = 1;
    edge.consentRequired = true;
    const from = edge.chunks.length;
    const grants = edge.grants;
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const seen: string[] = [];
    page.on("request", (r) => seen.push(`${r.method()} ${new URL(r.url()).pathname}`));
    const recorderAsked = () => seen.filter((r) => r.includes("/v1/record") || r.includes("recorder"));

    await page.goto(`${edge.site}/one.html`);
    await page.waitForFunction(() => "sightline" in window);
    await page.click("#name");
    await page.keyboard.type(TYPED);
    await page.click("#go");
    await page.evaluate(() => (window as unknown as { sightline: { flush(): Promise<void> } }).sightline.flush());
    // The statistics go as ever; the recorder is neither loaded nor granted.
    await waitFor("the pageview", () => seen.includes("POST /v1/collect"));
    await sleep(1_500);
    expect(recorderAsked()).toEqual([]);
    expect([edge.grants, edge.chunks.length]).toEqual([grants, from]);

    await page.evaluate(() =>
      (window as unknown as { sightline(c: string, v: boolean): void }).sightline("consent", true),
    );
    await waitFor("the first chunk after consent", () => edge.chunks.length > from);
    await page.click("#go");
    await waitFor("the click after consent", () => edge.chunks.slice(from).some((c) => c.header.summary.clicks > 0));
    expect(await page.evaluate(() => localStorage.getItem("sl_c"))).toBe("1");
    // The recording starts with a Meta and a full snapshot of the page as it is at consent.
    expect(edge.chunks[from]?.events.slice(0, 2).map((e) => e.type)).toEqual([4, 2]);

    // A later page of the session: the consent stored, it records from its first event.
    await page.click("#next");
    await page.waitForURL("**/two.html");
    await page.click("#name");
    await waitFor("the second page's chunks", () =>
      edge.chunks.slice(from).some((c) => c.header.summary.pages.includes("/two.html")),
    );
    expect(new Set(edge.chunks.slice(from).map((c) => c.header.sessionId)).size).toBe(1);
    expect(edge.grants).toBe(grants + 1);
    expect(edge.grantBodies.at(-1)).toMatchObject({ consent: true });
    expect(errors).toEqual([]);
    await context.close();
    edge.consentRequired = false;
  });

  it("a session the sampling leaves out asks for no grant and loads no recorder", async () => {
    if (!browser) throw new Error("no browser");
    edge.recordingSampleRate = 0.5;
    let sid = uuidv7();
    while (sessionSampled(sid, 0.5)) sid = uuidv7();
    const context = await browser.newContext();
    // The session the tracker will find in storage, chosen so the rule leaves it out.
    await context.addInitScript(`localStorage.setItem("sl_s", "${sid}." + Date.now())`);
    const page = await context.newPage();
    const seen: string[] = [];
    page.on("request", (r) => seen.push(`${r.method()} ${new URL(r.url()).pathname}`));
    const grants = edge.grants;
    await page.goto(`${edge.site}/one.html`);
    await page.waitForFunction(() => "sightline" in window);
    await page.click("#name");
    await page.keyboard.type(TYPED);
    await page.evaluate(() => (window as unknown as { sightline: { flush(): Promise<void> } }).sightline.flush());
    await waitFor("the pageview", () => seen.includes("POST /v1/collect"));
    expect(seen.filter((r) => r.includes("/v1/record") || r.includes("recorder"))).toEqual([]);
    expect(edge.grants).toBe(grants);
    await context.close();
  });
});
