import { COLLECT_LIMITS as L } from "@sightline/shared/limits/collect";
import { HEATMAP_LIMITS as H } from "@sightline/shared/limits/heatmap";
import { type ClickEvent, type CollectBatch, type ScrollEvent, wireEvent } from "@sightline/shared/wire";
import { describe, expect, it } from "vitest";
import { config, fakeHost } from "../fakes.ts";
import { start } from "../start.ts";
import { fakeElement } from "./fake-dom.ts";
import { type ClickLike, type HeatHost, heatmaps } from "./index.ts";

function host(scrollHeight = 4_000) {
  const listeners: Record<string, ((e: ClickLike) => void)[]> = {};
  const w: HeatHost & { location: { href: string } } = {
    location: { href: "https://site.test/pricing" },
    scrollX: 0,
    scrollY: 0,
    innerWidth: 1280,
    innerHeight: 800,
    document: {
      documentElement: { scrollHeight },
      addEventListener: (type, fn) => {
        listeners[type] = [...(listeners[type] ?? []), fn];
      },
    },
    addEventListener: (type, fn) => {
      listeners[type] = [...(listeners[type] ?? []), fn as () => void];
    },
  };
  let t = 1_000_000;
  const sent: (ClickEvent | ScrollEvent)[] = [];
  const capture = heatmaps(
    w,
    () => t,
    (e) => sent.push(e),
  );
  const fire = (type: string, e?: Partial<ClickLike>) => {
    for (const fn of listeners[type] ?? []) fn({ target: null, clientX: 0, clientY: 0, detail: 1, ...e });
  };
  const button = fakeElement("BODY").add(fakeElement("BUTTON", { left: 100, top: 200, width: 200, height: 50 }));
  button.id = "buy";
  const click = (x: number, y: number, afterMs = 100, detail = 1) => {
    t += afterMs;
    fire("click", { target: button, clientX: x, clientY: y, detail });
  };
  return {
    w,
    sent,
    capture,
    fire,
    click,
    button,
    clicks: () => sent.filter((e) => e.type === "click") as ClickEvent[],
  };
}

describe("heatmap capture", () => {
  it("sends the selector, the position inside the element, the page position and the viewport width", () => {
    const { w, click, clicks } = host();
    w.scrollY = 1_000;
    click(150, 225);
    expect(clicks()[0]).toMatchObject({
      type: "click",
      url: "https://site.test/pricing",
      sel: "#buy",
      ex: 0.25,
      ey: 0.5,
      x: 150,
      y: 1_225,
      vw: 1280,
    });
    expect(clicks()[0]?.rage).toBeUndefined();
  });

  it("counts a keyboard activation, or a script's plain click Event, at the element's centre", () => {
    const { click, clicks, fire, button } = host();
    click(0, 0, 100, 0);
    expect(clicks()[0]).toMatchObject({ ex: 0.5, ey: 0.5, x: 200, y: 225 });
    // `dispatchEvent(new Event("click"))`: no detail, no clientX / clientY.
    fire("click", { target: button, clientX: undefined, clientY: undefined, detail: undefined } as never);
    expect(clicks()[1]).toMatchObject({ ex: 0.5, ey: 0.5, x: 200, y: 225 });
  });

  it("marks one rage click for five clicks of which three are fast, and none for slow or far ones", () => {
    const fast = host();
    fast.click(150, 225, 2_000);
    fast.click(150, 225, 1_500);
    fast.click(151, 226, 200);
    fast.click(152, 225, 200);
    fast.click(150, 224, 2_000);
    expect(fast.clicks().map((c) => c.rage ?? false)).toEqual([false, false, false, true, false]);

    const slow = host();
    for (let i = 0; i < 5; i++) slow.click(150, 225, 1_001);
    expect(slow.clicks().some((c) => c.rage)).toBe(false);

    const far = host();
    for (let i = 0; i < 5; i++) far.click(150 + i * 31, 225, 100);
    expect(far.clicks().some((c) => c.rage)).toBe(false);

    // Exactly at the limits (1 s, 30 px) still counts.
    const edge = host();
    edge.click(100, 225, 100);
    edge.click(130, 225, 1_000);
    edge.click(130, 255, 1_000);
    expect(edge.clicks().map((c) => c.rage ?? false)).toEqual([false, false, true]);
  });

  it("sends the deepest scroll depth of a pageview once, at its first leave or at navigation", () => {
    const { w, sent, capture, fire } = host();
    w.scrollY = 1_200;
    fire("scroll");
    w.scrollY = 400;
    fire("scroll");
    capture.leave();
    capture.leave();
    const scrolls = () => sent.filter((e) => e.type === "scroll") as ScrollEvent[];
    expect(scrolls()).toEqual([expect.objectContaining({ url: "https://site.test/pricing", depth: 0.5, vw: 1280 })]);
    // The next pageview of the SPA: it starts at its own depth.
    w.location.href = "https://site.test/docs";
    w.scrollY = 0;
    capture.page();
    w.location.href = "https://site.test/faq";
    capture.page();
    expect(scrolls().map((s) => [s.url, s.depth])).toEqual([
      ["https://site.test/pricing", 0.5],
      ["https://site.test/docs", 0.2],
    ]);
  });

  it("measures the first view at leave: a page rendered after the core ran, the next page of an SPA", () => {
    // The core ran on an empty client-rendered root; the page then rendered 4,000 px high.
    const { w, sent, capture, fire } = host(800);
    const root = w.document.documentElement;
    root.scrollHeight = 4_000;
    // Scrolled to the bottom, then a link: the next page does not inherit the position it
    // still reads right after pushState; its first view is measured at its own leave.
    w.scrollY = 3_200;
    fire("scroll");
    w.location.href = "https://site.test/next";
    capture.page();
    w.scrollY = 0;
    root.scrollHeight = 1_600;
    capture.leave();
    expect(sent.map((e) => e.type === "scroll" && [e.url, e.depth])).toEqual([
      ["https://site.test/pricing", 1],
      ["https://site.test/next", 0.5],
    ]);
    // Never scrolled: the depth is the first view over the rendered height, not 1.
    const still = host(800);
    still.w.document.documentElement.scrollHeight = 4_000;
    still.capture.leave();
    expect(still.sent).toEqual([expect.objectContaining({ type: "scroll", depth: 0.2 })]);
  });

  it("caps the depth at 1 where the page scrolls past its end (overscroll, a shrinking page)", () => {
    const { w, sent, capture, fire } = host();
    w.scrollY = 3_200;
    fire("scroll");
    expect(sent).toEqual([]);
    w.scrollY = 3_500;
    fire("scroll");
    capture.leave();
    expect(sent).toEqual([expect.objectContaining({ type: "scroll", depth: 1 })]);
  });

  it("keeps every value inside the wire's bounds, so that no event fails its batch at the edge", () => {
    const { w, sent, capture, click, clicks } = host();
    // A right-to-left page scrolled sideways, iOS's overscroll bounce, a browser zoomed far out.
    w.scrollX = -300;
    w.scrollY = -40;
    w.innerWidth = H.maxViewportPx + 1;
    w.location.href = `https://site.test/search?q=${"x".repeat(L.maxUrlLength)}`;
    click(150, 20);
    w.innerWidth = 0;
    // The pricing page's depth goes; the next page's URL is the long one.
    capture.page();
    capture.leave();
    expect(clicks()[0]).toMatchObject({ x: 0, y: 0, vw: H.maxViewportPx });
    expect(clicks()[0]?.url).toHaveLength(L.maxUrlLength);
    w.scrollX = 0;
    w.scrollY = H.maxPagePx;
    click(150, 225);
    expect(clicks()[1]).toMatchObject({ x: 150, y: H.maxPagePx });
    const scroll = sent.filter((e) => e.type === "scroll")[1];
    expect(scroll).toMatchObject({ vw: 1 });
    expect(scroll?.url).toHaveLength(L.maxUrlLength);
    for (const e of sent) expect(wireEvent.safeParse(e).success).toBe(true);
  });

  it("ignores a click without an element", () => {
    const { fire, clicks } = host();
    fire("click", { target: null });
    fire("click", { target: { tagName: "X" } });
    expect(clicks()).toEqual([]);
  });
});

describe("heatmap capture in the tracker", () => {
  const parse = (body: string) => JSON.parse(body) as CollectBatch;

  it("sends clicks and each page's scroll depth beside the pageviews, when the site has heatmaps on", async () => {
    const { host, emit, net } = fakeHost({ cfg: config({ heatmaps: true }) });
    start(host);
    const button = fakeElement("BODY").add(fakeElement("BUTTON"));
    emit("click", { target: button, clientX: 10, clientY: 10, detail: 1 });
    host.history.pushState({}, "", "/pricing");
    emit("pagehide");
    await host.sightline?.flush();
    const events = net.calls.flatMap((c) => parse(c.body).events);
    expect(events.map((e) => [e.type, e.url])).toEqual([
      ["pageview", "https://site.test/home"],
      ["click", "https://site.test/home"],
      ["scroll", "https://site.test/home"],
      ["pageview", "https://site.test/pricing"],
      ["scroll", "https://site.test/pricing"],
    ]);
  });

  it("sends no click or scroll depth when the site has heatmaps off", async () => {
    const { host, emit, net } = fakeHost({ cfg: config({ heatmaps: false }) });
    start(host);
    emit("click", { target: fakeElement("BODY").add(fakeElement("A")), clientX: 1, clientY: 1, detail: 1 });
    emit("pagehide");
    await host.sightline?.flush();
    expect(net.calls.flatMap((c) => parse(c.body).events).map((e) => e.type)).toEqual(["pageview"]);
  });
});
