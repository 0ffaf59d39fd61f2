import { COLLECT_LIMITS as L } from "@sightline/shared/limits/collect";
import { HEATMAP_LIMITS as H } from "@sightline/shared/limits/heatmap";
import { type CollectBatch, type DeadClickEvent, type MoveEvent, wireEvent } from "@sightline/shared/wire";
import { describe, expect, it } from "vitest";
import { config, fakeFetch, memoryStore, settle } from "../fakes.ts";
import { type FakeElement, fakeElement } from "../heatmap/fake-dom.ts";
import { ASKED_KEY, type InteractionsHost, MAX_ASKED, type SnapshotJob, startInteractions } from "./start.ts";

type Fn = (e?: unknown) => void;

function fakePage(
  answers: Parameters<typeof fakeFetch>[0] = [],
  {
    store = memoryStore() as InteractionsHost["localStorage"],
    href: start = "https://site.test/pricing",
    gzip = true,
  } = {},
) {
  let href = start;
  const listeners = new Map<string, Fn[]>();
  const on = (type: string, fn: (e: never) => void) => listeners.set(type, [...(listeners.get(type) ?? []), fn as Fn]);
  const emit = (type: string, e?: unknown) => {
    for (const fn of listeners.get(type) ?? []) fn(e);
  };
  let t = 1_000_000;
  let nextId = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  /** Moves the clock on, firing the timers that come due. */
  const advance = (ms: number) => {
    t += ms;
    for (const [id, timer] of [...timers].sort((a, b) => a[1].at - b[1].at)) {
      if (timer.at <= t) {
        timers.delete(id);
        timer.fn();
      }
    }
  };
  let mutate: () => void = () => {};
  const scripts: string[] = [];
  const net = fakeFetch(answers);
  const w: InteractionsHost = {
    location: {
      get href() {
        return href;
      },
      get pathname() {
        return new URL(href).pathname;
      },
      get search() {
        return new URL(href).search;
      },
      get hash() {
        return new URL(href).hash;
      },
    },
    history: {
      pushState: (_s: unknown, _u: string, to?: string | URL | null) => {
        if (to) href = new URL(to, href).href;
      },
      replaceState: () => {},
    },
    scrollX: 0,
    scrollY: 500,
    innerWidth: 1280,
    innerHeight: 800,
    localStorage: store,
    navigator: {},
    CompressionStream: gzip ? class {} : undefined,
    fetch: net.fetch,
    setTimeout: (fn, ms) => {
      timers.set(++nextId, { at: t + ms, fn });
      return nextId;
    },
    clearTimeout: (id) => {
      timers.delete(id as number);
    },
    MutationObserver: class {
      constructor(fn: () => void) {
        mutate = fn;
      }
      observe() {}
    },
    document: {
      documentElement: {},
      visibilityState: "visible",
      createElement: () => ({ src: "" }),
      head: {
        appendChild: (node: { src: string }) => {
          scripts.push(node.src);
        },
      },
      addEventListener: on,
    },
    addEventListener: on,
  };
  const cfg = config({ heatmaps: true, snapshotUrl: "https://ingest.test/t/snapshot.abc.js" });
  startInteractions(w, cfg, () => t);
  const events = () =>
    net.calls.filter((c) => c.url.endsWith("/v1/collect")).flatMap((c) => (JSON.parse(c.body) as CollectBatch).events);
  const button = fakeElement("BODY").add(fakeElement("BUTTON", { left: 0, top: 0, width: 100, height: 40 }));
  return {
    w,
    emit,
    advance,
    mutate: () => mutate(),
    events,
    net,
    scripts,
    button,
    go: (to: string) => w.history.pushState({}, "", to),
    /** The visitor stays on the page long enough to be asked for its snapshot. */
    stay: () => advance(H.snapshotAskAfterMs),
    /** Goes to a page and stays there. */
    visit: (to: string) => {
      w.history.pushState({}, "", to);
      advance(H.snapshotAskAfterMs);
    },
    asks: () => net.calls.filter((c) => c.url.endsWith("/v1/snapshot/grant")).map((c) => JSON.parse(c.body)),
  };
}

const click = (target: unknown, more: object = {}) => ({ target, clientX: 50, clientY: 20, detail: 1, ...more });

describe("interactions chunk", () => {
  it("samples the pointer where it rests, at most maxMovesPerPage a page, maxMovePointsPerEvent to an event", async () => {
    const p = fakePage();
    for (let i = 0; i < H.maxMovesPerPage + 10; i++) {
      p.emit("pointermove", { clientX: i, clientY: 10 });
      p.advance(H.moveRestMs);
    }
    // Moving on before it rests takes no point.
    p.emit("pointermove", { clientX: 1, clientY: 1 });
    p.advance(H.moveRestMs - 1);
    p.emit("pagehide");
    await settle();
    const moves = p.events().filter((e) => e.type === "move") as MoveEvent[];
    expect(moves.flatMap((m) => m.pts)).toHaveLength(H.maxMovesPerPage);
    expect(Math.max(...moves.map((m) => m.pts.length))).toBe(H.maxMovePointsPerEvent);
    expect(moves[0]?.pts[0]).toEqual([0, 510]);
    expect(moves[0]).toMatchObject({ url: "https://site.test/pricing", vw: 1280 });
  });

  it("sends the moves of a page under its URL when the next page starts, and counts each page afresh", async () => {
    const p = fakePage();
    for (let i = 0; i < H.maxMovesPerPage; i++) {
      p.emit("pointermove", { clientX: i, clientY: 10 });
      p.advance(H.moveRestMs);
    }
    // Moved just before the link: that rest is the page left's, and it is over.
    p.emit("pointermove", { clientX: 3, clientY: 3 });
    p.go("/docs");
    p.advance(H.moveRestMs);
    p.emit("pointermove", { clientX: 7, clientY: 7 });
    p.advance(H.moveRestMs);
    p.emit("pagehide");
    await settle();
    const moves = p.events().filter((e) => e.type === "move") as MoveEvent[];
    const on = (url: string) => moves.filter((m) => m.url === url).flatMap((m) => m.pts);
    expect(on("https://site.test/pricing")).toHaveLength(H.maxMovesPerPage);
    expect(on("https://site.test/docs")).toEqual([[7, 507]]);
    expect(moves.every((m) => m.pts.length <= H.maxMovePointsPerEvent)).toBe(true);
  });

  it("keeps moves and the snapshot question inside the wire's bounds", async () => {
    const long = `https://site.test/search?q=${"x".repeat(L.maxUrlLength)}`;
    const p = fakePage([], { href: long });
    p.w.scrollX = -300;
    p.w.innerWidth = H.maxViewportPx + 1;
    p.emit("pointermove", { clientX: 10, clientY: 10 });
    p.advance(H.moveRestMs);
    p.stay();
    p.emit("pagehide");
    await settle();
    const [move] = p.events();
    expect(move).toMatchObject({ type: "move", vw: H.maxViewportPx, pts: [[0, 510]] });
    expect(move?.url).toHaveLength(L.maxUrlLength);
    expect(wireEvent.safeParse(move).success).toBe(true);
    expect(p.asks().map((a) => [a.url.length, a.vw])).toEqual([[L.maxUrlLength, H.maxViewportPx]]);
  });

  it("sends a dead click when nothing changes within the window, and none when the page reacts", async () => {
    const p = fakePage();
    p.emit("click", click(p.button));
    p.advance(H.deadClickWindowMs);
    // A mutation on the window's last millisecond still counts as a reaction.
    p.emit("click", click(p.button));
    p.advance(H.deadClickWindowMs - 1);
    p.mutate();
    p.advance(1);
    p.emit("click", click(p.button));
    p.emit("scroll");
    p.advance(H.deadClickWindowMs);
    p.emit("click", click(p.button));
    p.emit("selectionchange");
    p.advance(H.deadClickWindowMs);
    p.emit("click", click(p.button));
    p.go("/next");
    p.advance(H.deadClickWindowMs);
    // A keyboard activation: at the element's centre.
    p.emit("click", click(p.button, { detail: 0, clientX: 0, clientY: 0 }));
    p.advance(H.deadClickWindowMs);
    p.emit("pagehide");
    await settle();
    const dead = p.events().filter((e) => e.type === "deadclick") as DeadClickEvent[];
    expect(dead).toHaveLength(2);
    expect(dead[0]).toMatchObject({ url: "https://site.test/pricing", sel: "body>button:nth-of-type(1)" });
    expect(dead[0]).toMatchObject({ ex: 0.5, ey: 0.5, x: 50, y: 520, vw: 1280 });
    expect(dead[1]).toMatchObject({ url: "https://site.test/next", ex: 0.5, ey: 0.5, x: 50, y: 520 });
    expect(dead.every((d) => !("rage" in d))).toBe(true);
  });

  it("does not watch links, form controls or modified clicks", async () => {
    const p = fakePage();
    const body = fakeElement("BODY");
    const link = body.add(fakeElement("A"));
    link.attrs.href = "/pricing";
    const inLink = link.add(fakeElement("SPAN"));
    const controls = ["INPUT", "SELECT", "TEXTAREA", "LABEL", "OPTION"].map((t) => body.add(fakeElement(t)));
    const labelled = (controls[3] as FakeElement).add(fakeElement("SPAN"));
    for (const target of [link, inLink, labelled, ...controls]) p.emit("click", click(target));
    for (const mod of ["ctrlKey", "metaKey", "shiftKey", "altKey"]) p.emit("click", click(p.button, { [mod]: true }));
    // An anchor without href is no link: its click can be dead.
    const anchor = body.add(fakeElement("A"));
    p.emit("click", click(anchor));
    p.advance(H.deadClickWindowMs);
    p.emit("pagehide");
    await settle();
    const dead = p.events().filter((e) => e.type === "deadclick") as DeadClickEvent[];
    expect(dead.map((d) => d.sel)).toEqual(["body>a:nth-of-type(2)"]);
  });

  it("asks the edge for a snapshot of each page and loads the snapshot chunk only when asked to", async () => {
    const p = fakePage([
      { status: 200, json: { snapshot: false } },
      { status: 200, json: { snapshot: true, grant: "g", maskAllText: true } },
    ]);
    p.stay();
    await settle();
    expect(p.scripts).toEqual([]);
    p.visit("/docs");
    await settle();
    expect(p.asks()).toEqual([
      { siteKey: "site_key_1", url: "https://site.test/pricing", vw: 1280 },
      { siteKey: "site_key_1", url: "https://site.test/docs", vw: 1280 },
    ]);
    expect(p.scripts).toEqual(["https://ingest.test/t/snapshot.abc.js"]);
    expect(p.w.__sls as SnapshotJob[]).toEqual([
      {
        endpoint: "https://ingest.test",
        siteKey: "site_key_1",
        grant: "g",
        maskAllText: true,
        url: "https://site.test/docs",
        vw: 1280,
        page: "/docs",
        hashRoutes: true,
      },
    ]);
  });

  it("asks once per page and device class a session sees, across page loads", async () => {
    const store = memoryStore();
    const first = fakePage([], { store });
    first.stay();
    first.visit("/docs?tab=2");
    first.visit("/pricing#plans");
    first.visit("/#/settings");
    first.visit("/#/settings?x=1");
    first.w.innerWidth = 700;
    first.visit("/docs");
    await settle();
    expect(first.asks().map((a) => [a.url, a.vw])).toEqual([
      ["https://site.test/pricing", 1280],
      ["https://site.test/docs?tab=2", 1280],
      ["https://site.test/#/settings", 1280],
      ["https://site.test/docs", 700],
    ]);
    // The next page load of the session remembers; a new session asks again.
    const again = fakePage([], { store, href: "https://site.test/docs" });
    again.stay();
    await settle();
    expect(again.asks()).toEqual([]);
    store.data.set("sl_s", `${"0".repeat(8)}-0000-7000-8000-${"0".repeat(12)}.0`);
    const next = fakePage([], { store, href: "https://site.test/docs" });
    next.stay();
    await settle();
    expect(next.asks()).toHaveLength(1);
  });

  it(`remembers the last ${MAX_ASKED} pages of a session`, async () => {
    const store = memoryStore();
    const p = fakePage([], { store, href: "https://site.test/0" });
    p.stay();
    for (let i = 1; i <= MAX_ASKED; i++) p.visit(`/${i}`);
    await settle();
    expect(p.asks()).toHaveLength(MAX_ASKED + 1);
    expect(store.data.get(ASKED_KEY)?.split(" ")).toHaveLength(MAX_ASKED + 1);
    // /0 was the oldest, so it is asked about again; /1 is still remembered.
    const later = fakePage([], { store, href: "https://site.test/1" });
    later.visit("/0");
    await settle();
    expect(later.asks().map((a) => a.url)).toEqual(["https://site.test/0"]);
  });

  it("asks only once the page has been shown snapshotAskAfterMs: a visitor who moves on sooner is not asked", async () => {
    const p = fakePage();
    p.advance(H.snapshotAskAfterMs - 1);
    p.go("/docs");
    p.advance(H.snapshotAskAfterMs - 1);
    await settle();
    expect(p.asks()).toEqual([]);
    p.advance(1);
    await settle();
    expect(p.asks().map((a) => a.url)).toEqual(["https://site.test/docs"]);
  });

  it("asks once per page load where storage throws, and never without CompressionStream", async () => {
    const blocked = {
      getItem: () => {
        throw new Error("SecurityError");
      },
      setItem: () => {
        throw new Error("SecurityError");
      },
    };
    const p = fakePage([], { store: blocked });
    p.stay();
    p.visit("/docs");
    p.visit("/pricing");
    await settle();
    expect(p.asks().map((a) => a.url)).toEqual(["https://site.test/pricing", "https://site.test/docs"]);

    const old = fakePage([], { gzip: false });
    old.stay();
    old.visit("/docs");
    await settle();
    expect(old.asks()).toEqual([]);
  });
});
