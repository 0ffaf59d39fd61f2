/**
 * What a recorded minute of the demo site costs. A visitor in real Chromium browses the demo
 * pages (scrolls, pointer moves, typing into the trial form, clicks, page loads and a client-side
 * navigation) for `seconds`, with the site's real snippet against the `edge` build: the loader,
 * the core, the recorder chunk, the grant, `POST /v1/record`, the RecordingBuffer Durable Object
 * and R2 (Miniflare's). When the page is gone, the buffer is flushed and the session's R2 objects
 * are summed. Reported per minute: bytes uploaded, bytes stored in R2, chunks, and R2 writes.
 */

import { newId } from "@sightline/shared/ids";
import { LIMITS } from "@sightline/shared/limits";
import { type SiteEdgeRecord, siteKvKey } from "@sightline/shared/site";
import type { Page } from "playwright-core";
import { snippetFor, startDemoServer } from "../scripts/lib/demo-server.ts";
import { launchChromium } from "../test/system/browser.ts";
import { benchSiteKey } from "./lib/batch.ts";
import { type Instance, startIngest } from "./lib/miniflare.ts";
import type { SectionHooks } from "./lib/section.ts";

const SECRET = "bench-recording-grant-secret-0123456789";

export interface RecordingMinuteResult {
  seconds: number;
  /** Per recorded minute. */
  uploadedBytesPerMin: number;
  storedBytesPerMin: number;
  chunksPerMin: number;
  r2WritesPerMin: number;
  /** What the session left in R2 in all, and in how many objects. */
  storedBytes: number;
  objects: number;
  chunks: number;
  events: number;
}

export interface RecordingMinuteOptions extends SectionHooks {
  /** The `edge` bundle. */
  scriptPath: string;
  /** Two ports from here: the edge, the demo site. */
  port: number;
  seconds: number;
}

/** One round of a visit: every kind of input rrweb records, on three pages. */
async function browse(page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/`);
  for (let i = 0; i < 20; i++) await page.mouse.move(100 + i * 30, 120 + (i % 5) * 40, { steps: 4 });
  await page.mouse.wheel(0, 600);
  await page.waitForTimeout(800);
  await page.mouse.wheel(0, -600);
  await page.click("#nav-pricing");
  await page.waitForLoadState("load");
  await page.click("#trial-email");
  await page.keyboard.type("visitor@example.com", { delay: 60 });
  await page.click("#trial-company");
  await page.keyboard.type("Acme Widgets", { delay: 60 });
  await page.click("#trial-submit");
  await page.waitForTimeout(1_000);
  await page.click("#open-settings");
  await page.waitForTimeout(600);
  await page.click("#settings-panel input[type=checkbox]");
  await page.click("#nav-docs");
  await page.waitForLoadState("load");
  for (let i = 0; i < 6; i++) {
    await page.mouse.wheel(0, 250);
    await page.waitForTimeout(300);
  }
  await page.waitForTimeout(1_500);
}

export async function benchRecordingMinute(opts: RecordingMinuteOptions): Promise<RecordingMinuteResult> {
  const demoOrigin = `http://127.0.0.1:${opts.port + 1}`;
  const site: SiteEdgeRecord = {
    siteId: newId("site"),
    siteKey: benchSiteKey("rm"),
    origins: [demoOrigin],
    shards: 1,
    respectDnt: true,
    hashRoutes: true,
    dailyEventQuota: 1_000_000,
    recordingSampleRate: 1,
    recordingDailyQuota: LIMITS.recording.maxDailyQuota,
    maskAllText: false,
    recordingConsent: "opt-out",
    heatmaps: false,
  };
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  };
  const untrack = opts.track(closeAll);
  try {
    const inst: Instance = await startIngest({
      name: "recording-minute",
      port: opts.port,
      scriptPath: opts.scriptPath,
      consumer: false,
      bindings: { RECORDING_GRANT_SECRET: SECRET },
    });
    closers.push(() => inst.dispose());
    await (await inst.mf.getKVNamespace("SITES")).put(siteKvKey(site.siteKey), JSON.stringify(site));
    const demo = await startDemoServer({ port: opts.port + 1, snippet: snippetFor(inst.url, site.siteKey) });
    closers.push(() => demo.close());
    const browser = await launchChromium();
    closers.push(() => browser.close());
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();

    let uploaded = 0;
    let chunks = 0;
    page.on("requestfinished", async (req) => {
      if (!req.url().endsWith("/v1/record")) return;
      const res = await req.response();
      if (res?.status() !== 202) return;
      uploaded += req.postDataBuffer()?.byteLength ?? 0;
      chunks++;
    });

    opts.log(`recording minute: a visitor browses the demo for ${opts.seconds} s`);
    const started = Date.now();
    while (Date.now() - started < opts.seconds * 1_000) await browse(page, demoOrigin);
    const seconds = (Date.now() - started) / 1_000;
    const sessionId = await page.evaluate(() => (localStorage.getItem("sl_s") ?? "").split(".")[0] ?? "");
    // pagehide: the recorder beacons what it holds.
    await page.close({ runBeforeUnload: true });
    await new Promise((r) => setTimeout(r, 1_500));

    // The buffer writes on its own a minute after its oldest unwritten chunk; the bench asks now.
    const ns = await inst.mf.getDurableObjectNamespace("RECORDING_BUFFER");
    const buffer = ns.get(ns.idFromName(`${site.siteId}:${sessionId}`)) as unknown as {
      flush(): Promise<number>;
      state(): Promise<{ parts?: number }>;
    };
    await buffer.flush();
    const bucket = await inst.mf.getR2Bucket("RECORDINGS");
    // A fresh site: every object under it is this session's (`recordingPrefix`).
    const listed = await bucket.list({ prefix: `recordings/${site.siteId}/` });
    const mine = listed.objects.filter((o) => o.key.includes(`/${sessionId}/`));
    const storedBytes = mine.reduce((n, o) => n + o.size, 0);
    let events = 0;
    for (const o of mine) {
      const body = await bucket.get(o.key);
      if (!body) throw new Error(`recording minute: ${o.key} listed but not readable`);
      const text = new TextDecoder().decode(
        await new Response(
          (body.body as unknown as ReadableStream<Uint8Array>).pipeThrough(new DecompressionStream("gzip")),
        ).arrayBuffer(),
      );
      events += (JSON.parse(text) as unknown[]).length;
    }
    if (mine.length === 0 || events === 0) throw new Error(`recording minute: nothing in R2 for ${sessionId}`);
    const perMin = (x: number) => Math.round((x * 60) / seconds);
    const result: RecordingMinuteResult = {
      seconds: Math.round(seconds),
      uploadedBytesPerMin: perMin(uploaded),
      storedBytesPerMin: perMin(storedBytes),
      chunksPerMin: perMin(chunks),
      r2WritesPerMin: Math.round(((mine.length * 60) / seconds) * 10) / 10,
      storedBytes,
      objects: mine.length,
      chunks,
      events,
    };
    opts.log(
      `recording minute: ${chunks} chunks, ${Math.round(uploaded / 1024)} KB uploaded, ${mine.length} R2 objects, ${Math.round(storedBytes / 1024)} KB stored, ${events} events`,
    );
    return result;
  } finally {
    untrack();
    await closeAll();
  }
}
