import { HEATMAP_LIMITS as H } from "@sightline/shared/limits/heatmap";
import type { CollectBatch, DeadClickEvent, MoveEvent } from "@sightline/shared/wire";
import { describe, expect, it } from "vitest";
import { config, fakeFetch, memoryStore, settle } from "../fakes.ts";
import { fakeElement } from "../heatmap/fake-dom.ts";
import { type InteractionsHost, type SnapshotJob, startInteractions } from "./start.ts";

type Fn = (e?: unknown) => void;

function fakePage(answers: Parameters<typeof fakeFetch>[0] = []) {
  let href = "https://site.test/pricing";
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
      search: "",
      hash: "",
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
    localStorage: memoryStore(),
    navigator: {},
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
  };
}

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

  it("sends a dead click when nothing changes within the window, and none when the page reacts", async () => {
    const p = fakePage();
    p.emit("click", { target: p.button, clientX: 50, clientY: 20, detail: 1 });
    p.advance(H.deadClickWindowMs);
    p.emit("click", { target: p.button, clientX: 50, clientY: 20, detail: 1 });
    p.advance(H.deadClickWindowMs - 1);
    p.mutate();
    p.advance(1);
    p.emit("click", { target: p.button, clientX: 50, clientY: 20, detail: 1 });
    p.emit("scroll");
    p.advance(H.deadClickWindowMs);
    p.emit("click", { target: p.button, clientX: 50, clientY: 20, detail: 1 });
    p.go("/next");
    p.advance(H.deadClickWindowMs);
    p.emit("click", { target: p.button, clientX: 50, clientY: 20, detail: 1, ctrlKey: true });
    p.advance(H.deadClickWindowMs);
    const link = fakeElement("BODY").add(fakeElement("A"));
    (link as unknown as { closest: (s: string) => unknown }).closest = (s) => (s.includes("a[href]") ? link : null);
    p.emit("click", { target: link, clientX: 1, clientY: 1, detail: 1 });
    p.advance(H.deadClickWindowMs);
    p.emit("pagehide");
    await settle();
    const dead = p.events().filter((e) => e.type === "deadclick") as DeadClickEvent[];
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ sel: "body>button:nth-of-type(1)", ex: 0.5, ey: 0.5, x: 50, y: 520 });
  });

  it("asks the edge for a snapshot of each page and loads the snapshot chunk only when asked to", async () => {
    const p = fakePage([
      { status: 200, json: { snapshot: false } },
      { status: 200, json: { snapshot: true, grant: "g", maskAllText: true } },
    ]);
    await settle();
    expect(p.scripts).toEqual([]);
    p.go("/docs");
    await settle();
    const asks = p.net.calls.filter((c) => c.url.endsWith("/v1/snapshot/grant")).map((c) => JSON.parse(c.body));
    expect(asks).toEqual([
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
      },
    ]);
  });
});
