import type { CollectBatch } from "@sightline/shared/wire";
import { describe, expect, it } from "vitest";
import { config, fakeBeacon, fakeHost, settle } from "./fakes.ts";
import { SESSION_KEY } from "./session.ts";
import { start } from "./start.ts";

const parse = (body: string) => JSON.parse(body) as CollectBatch;

describe("start", () => {
  it("does nothing without a config from the loader", async () => {
    const { host, emit, net, timers } = fakeHost({});
    start(host);
    emit("pagehide");
    await settle();
    expect(host.sightline).toBeUndefined();
    expect(timers.pending).toHaveLength(0);
    expect(net.calls).toHaveLength(0);
  });

  it("sends the first pageview, with the document referrer, to <endpoint>/v1/collect", async () => {
    const { host, net, store } = fakeHost({
      cfg: config(),
      href: "https://site.test/landing?utm=x",
    });
    start(host);
    await host.sightline?.flush();
    expect(net.calls.map((c) => c.url)).toEqual(["https://ingest.test/v1/collect"]);
    const batch = parse(net.calls[0]?.body ?? "");
    expect(batch).toMatchObject({ v: 1, siteKey: "site_key_1" });
    expect(batch.events).toEqual([
      expect.objectContaining({
        type: "pageview",
        url: "https://site.test/landing?utm=x",
        referrer: "https://search.test/?q=sightline",
        title: "Home",
      }),
    ]);
    expect(store.data.get(SESSION_KEY)?.startsWith(`${batch.sessionId}.`)).toBe(true);
  });

  it("counts SPA navigations in one session, each referred by the page before", async () => {
    const { host, net } = fakeHost({ cfg: config() });
    start(host);
    host.history.pushState({}, "", "/pricing");
    host.history.replaceState({}, "", "/pricing#plans");
    await host.sightline?.flush();
    const [batch] = net.calls.map((c) => parse(c.body));
    expect(batch?.events.map((e) => [e.url, "referrer" in e ? e.referrer : undefined])).toEqual([
      ["https://site.test/home", "https://search.test/?q=sightline"],
      ["https://site.test/pricing", "https://site.test/home"],
    ]);
  });

  it("counts hash-route changes, not plain anchors, when the site has hashRoutes on", async () => {
    const { host, emit, go, net } = fakeHost({ cfg: config(), href: "https://site.test/app#/active" });
    start(host);
    go("#/completed");
    emit("popstate");
    emit("hashchange");
    go("#footer");
    emit("popstate");
    emit("hashchange");
    await host.sightline?.flush();
    expect(
      net.calls.flatMap((c) => parse(c.body).events.map((e) => [e.url, "referrer" in e ? e.referrer : undefined])),
    ).toEqual([
      ["https://site.test/app#/active", "https://search.test/?q=sightline"],
      ["https://site.test/app#/completed", "https://site.test/app#/active"],
    ]);
  });

  it("counts only path and query changes when the site has hashRoutes off", async () => {
    const { host, emit, go, net } = fakeHost({ cfg: config({ hashRoutes: false }), href: "https://site.test/app#/" });
    start(host);
    go("#/completed");
    emit("hashchange");
    host.history.pushState({}, "", "#!/active");
    await host.sightline?.flush();
    expect(net.calls.flatMap((c) => parse(c.body).events.map((e) => e.url))).toEqual(["https://site.test/app#/"]);
  });

  it("loads once even if the core is injected twice", async () => {
    const { host, emit, net } = fakeHost({ cfg: config() });
    start(host);
    start(host);
    host.history.pushState({}, "", "/next");
    // pagehide reaches every copy that might be running, not just the one behind window.sightline.
    emit("pagehide");
    await settle();
    expect(net.calls.flatMap((c) => parse(c.body).events.map((e) => e.url))).toEqual([
      "https://site.test/home",
      "https://site.test/next",
    ]);
  });

  it("beacons the queue on pagehide and when the tab is hidden", async () => {
    const b = fakeBeacon(true);
    const { host, emit, net } = fakeHost({ cfg: config(), beacon: b.beacon });
    start(host);
    emit("pagehide");
    host.history.pushState({}, "", "/later");
    emit("visibilitychange");
    expect(b.calls).toHaveLength(1);
    host.document.visibilityState = "hidden";
    emit("visibilitychange");
    expect(b.calls.map((c) => c.url)).toEqual(["https://ingest.test/v1/collect", "https://ingest.test/v1/collect"]);
    const events = await Promise.all(b.calls.map(async (c) => parse(await c.data.text()).events[0]?.url));
    expect(events).toEqual(["https://site.test/home", "https://site.test/later"]);
    expect(net.calls).toHaveLength(0);
  });

  it.each([
    ["Global Privacy Control", { gpc: true }, true],
    ["Do-Not-Track on a site that respects it", { dnt: "1" }, true],
  ])("sends nothing at all under %s", async (_name, signal, respectDnt) => {
    const b = fakeBeacon(true);
    const { host, emit, net, timers, store } = fakeHost({
      cfg: config({ respectDnt }),
      beacon: b.beacon,
      ...signal,
    });
    start(host);
    host.history.pushState({}, "", "/b");
    emit("pagehide");
    await settle();
    expect(host.sightline).toBeUndefined();
    expect([net.calls.length, b.calls.length, timers.pending.length, store.data.size]).toEqual([0, 0, 0, 0]);
  });

  it("still tracks under Do-Not-Track when the site does not respect it", async () => {
    const { host, net } = fakeHost({ cfg: config({ respectDnt: false }), dnt: "1" });
    start(host);
    await host.sightline?.flush();
    expect(net.calls).toHaveLength(1);
  });
});
