import { evaluateFlag, type Flag, siteFlagsSchema } from "@sightline/shared/flags";
import type { CollectBatch } from "@sightline/shared/wire";
import { describe, expect, it } from "vitest";
import { config, fakeHost } from "../fakes.ts";
import { SESSION_KEY } from "../session.ts";
import { type Api, start } from "../start.ts";
import { type FlagsApi, type LoaderFlags, startFlags } from "./start.ts";

const onOff = { enabled: true, variants: { on: true, off: false }, defaultVariant: "off", offVariant: "off" };

const record = siteFlagsSchema.parse({
  version: 4,
  flags: [
    { ...onOff, key: "banner", defaultVariant: "on" },
    {
      ...onOff,
      key: "fr-only",
      rules: [{ conditions: [{ attribute: "country", op: "eq", value: "FR" }], variant: "on" }],
    },
    {
      key: "cta",
      enabled: true,
      variants: { small: "Buy", big: "Buy now" },
      defaultVariant: "small",
      offVariant: "small",
      rules: [{ conditions: [{ attribute: "device", op: "eq", value: "mobile" }], variant: "big" }],
    },
    {
      ...onOff,
      key: "pricing-page",
      rules: [{ conditions: [{ attribute: "path", op: "startsWith", value: "/pricing" }], variant: "on" }],
    },
    {
      key: "experiment",
      enabled: true,
      variants: { a: "A", b: "B", control: "-" },
      defaultVariant: "control",
      offVariant: "control",
      rollout: { weights: { a: 5_000, b: 5_000 } },
    },
    { ...onOff, key: "killed", enabled: false, offVariant: "on" },
  ],
});

const flagged = (flags: LoaderFlags = { record, ctx: { country: "FR", device: "desktop" } }) =>
  Object.assign(config(), { flags });

const api = (host: { sightline?: unknown }) => host.sightline as FlagsApi;

describe("startFlags", () => {
  it("evaluates every flag for the visitor before anything else runs, and lists their variants", () => {
    const { host, store } = fakeHost({ cfg: flagged(), href: "https://site.test/pricing/teams" });
    startFlags(host);
    const sid = store.data.get(SESSION_KEY)?.split(".")[0] ?? "";
    const experiment = evaluateFlag(record.flags[4] as Flag, { targetingKey: sid });
    expect(api(host).flags()).toEqual({
      banner: "on",
      "fr-only": "on",
      cta: "small",
      "pricing-page": "on",
      experiment: "variant" in experiment ? experiment.variant : "none",
      killed: "on",
    });
    expect(api(host).flag("banner", false)).toBe(true);
    expect(api(host).flag("cta", "?")).toBe("Buy");
    expect(api(host).flag("experiment", "?")).toBe("value" in experiment ? experiment.value : "none");
  });

  it("answers the fallback for an unknown flag or a value of another type, and hands out copies", () => {
    const { host } = fakeHost({ cfg: flagged() });
    startFlags(host);
    expect(api(host).flag("nope", "fallback")).toBe("fallback");
    expect(api(host).flag("banner", "a string")).toBe("a string");
    api(host).flags().banner = "off";
    expect(api(host).flags().banner).toBe("on");
  });

  it("targets on the edge's country and device and on the page's path", () => {
    const { host } = fakeHost({ cfg: flagged({ record, ctx: { country: "DE", device: "mobile" } }) });
    startFlags(host);
    expect(api(host).flags()).toMatchObject({ "fr-only": "off", cta: "big", "pricing-page": "off" });
  });

  it("splits on the session id, minted and stored for the core to adopt, or the one already running", async () => {
    const { host, store, net } = fakeHost({ cfg: flagged() });
    startFlags(host);
    const stored = store.data.get(SESSION_KEY)?.split(".")[0];
    start(host);
    await (host.sightline as Api).flush();
    expect((JSON.parse(net.calls[0]?.body ?? "") as CollectBatch).sessionId).toBe(stored);

    const running = fakeHost({ cfg: flagged() });
    running.store.data.set(SESSION_KEY, `${stored}.${Date.now() - 60_000}`);
    startFlags(running.host);
    expect(api(running.host).flags().experiment).toBe(api(host).flags().experiment);
    expect(running.store.data.get(SESSION_KEY)?.split(".")[0]).toBe(stored);
  });

  it("stores nothing for a visitor who opted out: splits answer the fallback, targeting still works", () => {
    const { host, store } = fakeHost({ cfg: flagged(), gpc: true });
    startFlags(host);
    expect(store.data.size).toBe(0);
    expect(api(host).flag("experiment", "fallback")).toBe("fallback");
    expect(api(host).flags()).not.toHaveProperty("experiment");
    expect(api(host).flag("fr-only", false)).toBe(true);
  });

  it("keeps its functions on window.sightline once the core sets its api there, and the core runs once", async () => {
    const { host, net } = fakeHost({ cfg: flagged() });
    startFlags(host);
    start(host);
    start(host);
    const both = host.sightline as Api & FlagsApi;
    expect(typeof both).toBe("function");
    expect(both.flag("banner", false)).toBe(true);
    await both.flush();
    expect(net.calls).toHaveLength(1);
    const sent = JSON.parse(net.calls[0]?.body ?? "") as CollectBatch;
    expect(sent.events).toHaveLength(1);
    // The batch carries the variant of every flag the page was served, as the page saw them.
    expect(sent.flags).toEqual(Object.entries(both.flags()).map(([k, v]) => `${k}=${v}`));
    expect(sent.flags).toContain("banner=on");
  });

  it("sends no variants where the site's flags served none", async () => {
    const { host, net } = fakeHost({ cfg: flagged({ record: { version: 1, flags: [] }, ctx: {} }) });
    startFlags(host);
    start(host);
    await (host.sightline as Api).flush();
    expect(JSON.parse(net.calls[0]?.body ?? "")).not.toHaveProperty("flags");
  });

  it("does nothing a second time (the snippet twice), nor without flags", () => {
    const { host } = fakeHost({ cfg: flagged() });
    startFlags(host);
    const first = host.sightline;
    startFlags(host);
    expect(host.sightline).toBe(first);
    const plain = fakeHost({ cfg: config() });
    startFlags(plain.host);
    expect(plain.host.sightline).toBeUndefined();
    expect(plain.store.data.size).toBe(0);
  });

  it("answers every fallback in a browser the evaluator cannot run in", () => {
    const hasOwn = Object.hasOwn;
    const { host } = fakeHost({ cfg: flagged() });
    try {
      Object.assign(Object, { hasOwn: undefined });
      startFlags(host);
    } finally {
      Object.assign(Object, { hasOwn });
    }
    expect(api(host).flag("banner", false)).toBe(false);
    expect(api(host).flags()).toEqual({});
  });

  it("reads an attribute named like an Object method as absent", () => {
    const odd = siteFlagsSchema.parse({
      version: 1,
      flags: [
        {
          ...onOff,
          key: "odd",
          rules: [{ conditions: [{ attribute: "toString", op: "neq", value: "x" }], variant: "on" }],
        },
      ],
    });
    const { host } = fakeHost({ cfg: flagged({ record: odd, ctx: {} }) });
    startFlags(host);
    expect(api(host).flags()).toEqual({ odd: "off" });
  });
});
