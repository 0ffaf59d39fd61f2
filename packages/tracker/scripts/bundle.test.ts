import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { runInNewContext } from "node:vm";
import { gzipSync } from "node:zlib";
import { LIMITS } from "@sightline/shared/limits";
import { HEATMAP_LIMITS } from "@sightline/shared/limits/heatmap";
import type { CollectBatch } from "@sightline/shared/wire";
import { beforeAll, describe, expect, it } from "vitest";
import { config, fakeBeacon, fakeHost, settle } from "../src/fakes.ts";
import { type Bundle, bundleCore, bundleInteractions, bundleRecorder, limitKeysUsed } from "./bundle.ts";

let core: Bundle;
let recorder: Bundle;
let interactions: Bundle;
beforeAll(async () => {
  [core, recorder, interactions] = await Promise.all([bundleCore(), bundleRecorder(), bundleInteractions()]);
});

/** Runs a bundle as a classic script in the fake window; returns the globals it added. */
function run(js: string, host: object): string[] {
  const global = Object.assign(host, { window: host, crypto, TextEncoder, Blob });
  const before = new Set(Object.keys(global));
  runInNewContext(js, global);
  return Object.keys(global).filter((k) => !before.has(k));
}

describe("core bundle", () => {
  it("leaves zod and the wire schemas out", () => {
    expect(core.inputs.filter((p) => p.includes("zod"))).toEqual([]);
    expect(core.js).not.toMatch(/safeParse|discriminatedUnion/);
  });

  it("carries the sampling rule but not rrweb", () => {
    expect(core.inputs.some((p) => p.endsWith("recording/sample.ts"))).toBe(true);
    expect(core.inputs.filter((p) => p.includes("rrweb") || p.endsWith("recording/index.ts"))).toEqual([]);
  });

  it("fits the gzip budget", () => {
    expect(gzipSync(core.js).length).toBeLessThanOrEqual(LIMITS.tracker.maxCoreGzipBytes);
  });

  it("runs as a classic script, adds only window.sightline, and sends on pagehide", async () => {
    const b = fakeBeacon(true);
    const { host, emit } = fakeHost({ cfg: config(), beacon: b.beacon });
    const global = Object.assign(host, { window: host, crypto, TextEncoder, Blob });
    const before = new Set(Object.keys(global));
    runInNewContext(core.js, global);
    expect(Object.keys(global).filter((k) => !before.has(k))).toEqual(["sightline"]);

    host.history.pushState({}, "", "/two");
    emit("pagehide");
    await settle();
    const bodies = await Promise.all(b.calls.map(async (c) => JSON.parse(await c.data.text())));
    expect(b.calls.map((c) => c.url)).toEqual(["https://ingest.test/v1/collect"]);
    expect((bodies[0] as CollectBatch).events.map((e) => e.url)).toEqual([
      "https://site.test/home",
      "https://site.test/two",
    ]);
  });

  it("with heatmaps on, sends the page's clicks and scroll depth beside its pageview", async () => {
    const b = fakeBeacon(true);
    const { host, emit } = fakeHost({ cfg: config({ heatmaps: true }), beacon: b.beacon });
    expect(run(core.js, host)).toEqual(["sightline"]);
    const button = { tagName: "BUTTON", id: "buy", parentElement: null, previousElementSibling: null };
    const target = {
      ...button,
      getAttribute: () => null,
      getBoundingClientRect: () => ({ left: 0, top: 0, width: 10, height: 10 }),
    };
    emit("click", { target, clientX: 5, clientY: 5, detail: 1 });
    emit("pagehide");
    await settle();
    const events = (
      await Promise.all(b.calls.map(async (c) => JSON.parse(await c.data.text()) as CollectBatch))
    ).flatMap((batch) => batch.events);
    expect(events.map((e) => e.type)).toEqual(["pageview", "click", "scroll"]);
    expect(events[1]).toMatchObject({ sel: "#buy", ex: 0.5, ey: 0.5, x: 5, y: 5 });
  });

  it("on a recording site, loads the recorder named by the loader, which asks for the grant", async () => {
    const cfg = config({ recordingSampleRate: 1, recorderUrl: "https://ingest.test/t/recorder.abc.js" });
    const { host, net, scripts } = fakeHost({ cfg });
    runInNewContext(core.js, Object.assign(host, { window: host, crypto, TextEncoder, Blob }));
    await settle();
    expect(net.calls).toEqual([]);
    expect(scripts).toEqual(["https://ingest.test/t/recorder.abc.js"]);
    expect(typeof host.__slr).toBe("function");
  });

  it("on an opt-in site, loads the recorder only after sightline('consent', true)", async () => {
    const url = "https://ingest.test/t/recorder.abc.js";
    const cfg = config({ recordingSampleRate: 1, recorderUrl: url, consentRequired: true });
    const { host, scripts, store } = fakeHost({ cfg });
    runInNewContext(core.js, Object.assign(host, { window: host, crypto, TextEncoder, Blob }));
    await settle();
    expect([scripts, host.__slr]).toEqual([[], undefined]);
    host.sightline?.("consent", true);
    expect([scripts, store.data.get("sl_c")]).toEqual([[url], "1"]);
  });
});

describe("interactions bundle", () => {
  const cfg = config({ heatmaps: true, snapshotUrl: "https://ingest.test/t/snapshot.abc.js" });

  it("leaves zod, rrweb and the rest of the limits table out, and is measured", () => {
    expect(interactions.inputs.filter((p) => /zod|rrweb|limits\/index\.ts/.test(p))).toEqual([]);
    expect(/safeParse|\bconsole\./.test(interactions.js)).toBe(false);
    console.log(`interactions bundle: ${interactions.js.length} B, ${gzipSync(interactions.js).length} B gzipped`);
  });

  it("runs as a classic script once a page, however often it is loaded, and asks about the page's snapshot", async () => {
    const { host, net, timers } = fakeHost({ cfg });
    Object.assign(host, { CompressionStream: class {} });
    expect(run(interactions.js, host)).toEqual(["__sli"]);
    expect(run(interactions.js, host)).toEqual([]);
    // The page is shown snapshotAskAfterMs before the question.
    expect(await timers.runAll()).toContain(HEATMAP_LIMITS.snapshotAskAfterMs);
    expect(net.calls.map((c) => [c.url, JSON.parse(c.body)])).toEqual([
      ["https://ingest.test/v1/snapshot/grant", { siteKey: "site_key_1", url: "https://site.test/home", vw: 1280 }],
    ]);
  });

  it("does nothing for a site with heatmaps off, or a visitor who opted out", async () => {
    for (const opts of [{ cfg: config({ heatmaps: false }) }, { cfg, gpc: true }]) {
      const { host, net, emit } = fakeHost(opts);
      expect(run(interactions.js, host)).toEqual([]);
      emit("pagehide");
      await settle();
      expect(net.calls).toEqual([]);
    }
  });
});

describe("picked limits", () => {
  it("carry only the keys of COLLECT_LIMITS and HEATMAP_LIMITS that the core and the chunk read", () => {
    expect(/maxClockSkewMs|maxCampaignValueLength/.test(core.js)).toBe(false);
    expect(/[{,]maxUrlLength:2048[,}]/.test(core.js)).toBe(true);
    expect(/pageGridColumns|scrollBuckets|maxClockSkewMs/.test(interactions.js)).toBe(false);
    // terser inlines a key read once: the value is in, as the key's or in place.
    expect(/[{,]deadClickWindowMs:2500[,}]|[(,]2500\)/.test(interactions.js)).toBe(true);
  });

  it("finds keys read through an alias, and refuses a table read any other way", () => {
    const dir = mkdtempSync(join(tmpdir(), "limits-"));
    const table = { a: 1, b: 2, c: 3 };
    writeFileSync(join(dir, "x.ts"), 'import { T } from "t";\n// T is read by key\nconst L = T;\nf(L.a, T.c);\n');
    expect(limitKeysUsed("T", table, pathToFileURL(`${dir}/`))).toEqual(["a", "c"]);
    writeFileSync(join(dir, "y.ts"), 'import { T } from "t";\nconst { b } = T;\n');
    expect(() => limitKeysUsed("T", table, pathToFileURL(`${dir}/`))).toThrow(/y\.ts: reads T other than by key/);
    writeFileSync(join(dir, "y.ts"), "T.d;\n");
    expect(() => limitKeysUsed("T", table, pathToFileURL(`${dir}/`))).toThrow(/T has no d/);
  });
});

describe("recorder bundle", () => {
  it("leaves zod and the rest of the limits table out", () => {
    expect(recorder.inputs.filter((p) => p.includes("zod"))).toEqual([]);
    // Booleans, not matchers: a failure would print the whole 80 KB bundle.
    expect(/maxPasswordLength|safeParse/.test(recorder.js)).toBe(false);
    // The recording limits the recorder names are in; the edge's are not.
    expect(/[{,]chunkIntervalMs:/.test(recorder.js) && /[{,]rageRadiusPx:/.test(recorder.js)).toBe(true);
    expect(/flushAgeMs|grantTtlMs|maxRetentionDays/.test(recorder.js)).toBe(false);
    // Silent on the customer's page: rrweb's console calls are dropped.
    expect(/\bconsole\./.test(recorder.js)).toBe(false);
  });

  it("is measured (the target is 25 KB gzipped; not held here)", () => {
    console.log(`recorder bundle: ${recorder.js.length} B, ${gzipSync(recorder.js).length} B gzipped`);
    expect(recorder.inputs.some((p) => p.includes("@rrweb/record"))).toBe(true);
  });
});
