import { runInNewContext } from "node:vm";
import { gzipSync } from "node:zlib";
import { LIMITS } from "@sightline/shared/limits";
import type { CollectBatch } from "@sightline/shared/wire";
import { beforeAll, describe, expect, it } from "vitest";
import { config, fakeBeacon, fakeHost, settle } from "../src/fakes.ts";
import { bundleCore, type CoreBundle } from "./bundle.ts";

let core: CoreBundle;
beforeAll(async () => {
  core = await bundleCore();
});

describe("core bundle", () => {
  it("leaves zod and the wire schemas out", () => {
    expect(core.inputs.filter((p) => p.includes("zod"))).toEqual([]);
    expect(core.js).not.toMatch(/safeParse|discriminatedUnion/);
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
});
