import { runInNewContext } from "node:vm";
import { gzipSync } from "node:zlib";
import { publicFlags } from "@sightline/shared/flags";
import { typicalFlags } from "@sightline/shared/flags/typical";
import type { CollectBatch } from "@sightline/shared/wire";
import { beforeAll, describe, expect, it } from "vitest";
import { config, fakeHost, settle } from "../src/fakes.ts";
import type { FlagsApi } from "../src/flags/start.ts";
import { loaderScript } from "../src/loader.ts";
import type { Api } from "../src/start.ts";
import { type Bundle, bundleCore, bundleFlags } from "./bundle.ts";

let core: Bundle;
let flags: Bundle;
beforeAll(async () => {
  [core, flags] = await Promise.all([bundleCore(), bundleFlags()]);
});

const SCRIPTS = ["https://ingest.test/t/core.abc.js"];

/** Runs a script in the fake window; returns the globals it added. */
function run(js: string, host: object): string[] {
  const global = Object.assign(host, { window: host, crypto, TextEncoder, Blob });
  const before = new Set(Object.keys(global));
  runInNewContext(js, global);
  return Object.keys(global).filter((k) => !before.has(k));
}

const gzipped = (js: string) => gzipSync(js).length;

describe("loader", () => {
  it("of a site without flags carries no flag code: the config and the scripts to inject", () => {
    const js = loaderScript(config(), SCRIPTS);
    expect(js).toBe(
      `window.__sl=${JSON.stringify(config())};(function(d){["https://ingest.test/t/core.abc.js"].forEach(function(u){var s=d.createElement("script");s.async=true;s.src=u;(d.head||d.documentElement).appendChild(s)})})(document);`,
    );
    const { host, scripts } = fakeHost({});
    // fakeHost has an (undefined) __sl already: the loader sets it and adds no global.
    expect(run(js, host)).toEqual([]);
    expect(host.__sl).toEqual(config());
    expect(host.sightline).toBeUndefined();
    expect(scripts).toEqual(SCRIPTS);
  });

  it("of a site with flags answers sightline.flag synchronously, before the core, and the core keeps it", async () => {
    const record = typicalFlags(10);
    const js = loaderScript(config(), SCRIPTS, {
      data: { record: publicFlags(record), ctx: { country: "FR", device: "mobile" } },
      js: flags.js,
    });
    expect(js.indexOf(flags.js.trim())).toBeGreaterThan(js.indexOf("appendChild"));
    const { host, scripts, net } = fakeHost({ href: "https://site.test/app/settings" });
    expect(run(js, host)).toEqual(["sightline"]);
    const early = host.sightline as unknown as FlagsApi;
    expect(early.flag("checkout-release-0", false)).toBe(true);
    expect(early.flag("onboarding-release-2", false)).toBe(true);
    expect(early.flag("reviews-settings-5", { pageSize: 0, theme: "" })).toEqual({ pageSize: 50, theme: "dark" });
    expect(Object.keys(early.flags())).toHaveLength(10);
    expect(scripts).toEqual(SCRIPTS);

    // The core arrives: one api with both, the flags' session id in its batches.
    expect(run(core.js, host)).toEqual([]);
    const both = host.sightline as unknown as Api & FlagsApi;
    expect(typeof both).toBe("function");
    expect(both.flags()).toEqual(early.flags());
    await both.flush();
    await settle();
    const sessionId = (JSON.parse(net.calls[0]?.body ?? "") as CollectBatch).sessionId;
    expect(host.localStorage.getItem("sl_s")?.startsWith(sessionId)).toBe(true);
  });

  it("has injected the tracker before the flags code runs, so an error there cannot stop it", () => {
    const js = loaderScript(config(), SCRIPTS, {
      data: { record: publicFlags(typicalFlags(1)), ctx: {} },
      js: 'throw new Error("an engine the flags code cannot run in");',
    });
    const { host, scripts } = fakeHost({});
    expect(() => run(js, host)).toThrow("an engine");
    expect(scripts).toEqual(SCRIPTS);
  });

  it("leaves zod out of the flags code and is measured for 0, 1 and 50 flags", () => {
    expect(flags.inputs.filter((p) => /zod|schema\.ts/.test(p))).toEqual([]);
    expect(/safeParse/.test(flags.js)).toBe(false);
    const withFlags = (n: number) =>
      loaderScript(config(), SCRIPTS, {
        data: { record: publicFlags(typicalFlags(n)), ctx: { country: "FR", device: "desktop" } },
        js: flags.js,
      });
    const none = gzipped(loaderScript(config(), SCRIPTS));
    console.log(
      `loader gzipped: ${none} B without flags, ${gzipped(withFlags(1))} B with 1, ${gzipped(withFlags(50))} B with 50; flags code ${gzipped(flags.js)} B`,
    );
    expect(gzipped(withFlags(1))).toBeGreaterThan(none);
  });
});
