/**
 * The heatmap stage: the page snapshot rebuilt by rrweb-snapshot in a sandboxed iframe (no
 * scripts run; the recorded site's styles and images load as in the player) at the width it
 * was taken, and simpleheat's canvas layer over it. simpleheat (0.4.0, by the author of
 * Leaflet) is 2 KB of canvas drawing with no dependencies: the heat layer the field uses when
 * it does not need heatmap.js's plugins. Loaded with a dynamic import from the Heatmaps page
 * only, so it is a chunk of its own.
 */
import { createCache, createMirror, rebuildIntoSandboxedIframe } from "rrweb-snapshot";
import simpleheat from "simpleheat";
import type { PageSnapshot } from "../api/types.ts";
import { h } from "../lib/dom.ts";
import { type Box, type HeatPoint, percent, type ScrollBand } from "../lib/heatmap.ts";

/** A canvas taller than this is cut (the heat below it is not drawn): 1440 x 8000 is 46 MB of pixels. */
const MAX_CANVAS_PX = 8_000;

export interface Stage {
  /** Where an element is on the rebuilt page, or null when the page has no such element. */
  locate(selector: string): Box | null;
  /** Draws these points, hottest at `max`; an empty list clears the layer. */
  heat(points: HeatPoint[]): void;
  /** Shows the scroll map's bands, or hides it (null). */
  scroll(bands: ScrollBand[] | null): void;
  readonly width: number;
}

export function mountStage(host: HTMLElement, snapshot: PageSnapshot): Stage {
  const width = snapshot.width;
  const height = Math.min(snapshot.height, MAX_CANVAS_PX);
  const stage = h("div", { class: "heat-stage", id: "heat-stage", style: `width:${width}px;height:${height}px` });
  const frame = h("div", { class: "heat-frame" });
  const canvas = h("canvas", { class: "heat-canvas", id: "heat-canvas", width, height, "aria-hidden": "true" });
  const bands = h("div", { class: "heat-bands", id: "heat-bands", hidden: true });
  stage.append(frame, canvas, bands);
  host.append(stage);
  const { iframe } = rebuildIntoSandboxedIframe(
    snapshot.node as never,
    {
      root: frame,
      cache: createCache(),
      mirror: createMirror(),
      iframeAttributes: { width: String(width), height: String(height), title: "The page, as a visitor saw it" },
    } as never,
  );
  iframe.style.width = `${width}px`;
  iframe.style.height = `${height}px`;
  const layer = simpleheat(canvas);
  // The stage keeps the page's own width; narrower screens see it scaled down.
  const fit = () => {
    const scale = Math.min(1, host.clientWidth / width);
    stage.style.transform = `scale(${scale})`;
    host.style.height = `${height * scale}px`;
  };
  fit();
  new ResizeObserver(fit).observe(host);

  return {
    width,
    locate(selector) {
      let el: Element | null = null;
      try {
        el = iframe.contentDocument?.querySelector(selector) ?? null;
      } catch {
        return null;
      }
      if (!el) return null;
      const r = el.getBoundingClientRect();
      return r.width > 0 || r.height > 0 ? { left: r.left, top: r.top, width: r.width, height: r.height } : null;
    },
    heat(points) {
      const max = points.reduce((m, p) => Math.max(m, p[2]), 0);
      layer
        .data(points)
        .max(max || 1)
        .radius(18, 14)
        .draw(0.05);
    },
    scroll(list) {
      bands.hidden = list === null;
      bands.replaceChildren(
        ...(list ?? []).map((b) =>
          h(
            "div",
            {
              class: "heat-band",
              "data-depth": String(b.from),
              // In page pixels: the bands follow the page, not the (possibly cut) stage.
              style: `top:${b.from * snapshot.height}px;height:${(b.to - b.from) * snapshot.height}px;background:rgba(220,38,38,${(0.6 * b.share).toFixed(3)})`,
            },
            // Every 10% is labelled; the bands between are drawn only.
            Math.round(b.from * 100) % 10 === 0
              ? h("span", { class: "heat-band-label" }, `${percent(b.share)} reached ${percent(b.from)}`)
              : null,
          ),
        ),
      );
    },
  };
}
