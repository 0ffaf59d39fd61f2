import { runInNewContext } from "node:vm";
import { gzipSync } from "node:zlib";
import { LIMITS } from "@sightline/shared/limits";
import type { CollectBatch } from "@sightline/shared/wire";
import { beforeAll, describe, expect, it } from "vitest";
import { config, fakeBeacon, fakeHost, settle } from "../src/fakes.ts";
import { type Bundle, bundleCore, bundleRecorder } from "./bundle.ts";

let core: Bundle;
let recorder: Bundle;
beforeAll(async () => {
  [core, recorder] = await Promise.all([bundleCore(), bundleRecorder()]);
});

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

  it("on a recording site, loads the recorder named by the loader, which asks for the grant", async () => {
    const cfg = config({ recordingSampleRate: 1, recorderUrl: "https://ingest.test/t/recorder.abc.js" });
    const { host, net, scripts } = fakeHost({ cfg });
    runInNewContext(core.js, Object.assign(host, { window: host, crypto, TextEncoder, Blob }));
    await settle();
    expect(net.calls).toEqual([]);
    expect(scripts).toEqual(["https://ingest.test/t/recorder.abc.js"]);
    expect(typeof host.__slr).toBe("function");
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
