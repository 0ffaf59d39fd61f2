/**
 * Heatmap binning, shared by the edge (which bins each event before it is queued), the
 * aggregator and the dashboard (which draws the cells back): device classes from the viewport
 * width, the grid inside an element, the page grid, and scroll-depth buckets.
 */
import { HEATMAP_LIMITS } from "@sightline/shared/limits/heatmap";
import type { HeatDevice } from "@sightline/shared/wire";

const H = HEATMAP_LIMITS;
const clamp = (n: number, max: number) => Math.max(0, Math.min(n, max));

/** Mobile below 768 px of viewport width, tablet below 1,280, desktop from there. */
export function heatDevice(viewportWidth: number): HeatDevice {
  if (viewportWidth < H.tabletMinPx) return "mobile";
  return viewportWidth < H.desktopMinPx ? "tablet" : "desktop";
}

/** The cell of a position inside an element's box (x and y in 0..1): column + row * elementGrid. */
export function elementCell(ex: number, ey: number): number {
  const n = H.elementGrid;
  return clamp(Math.floor(ex * n), n - 1) + n * clamp(Math.floor(ey * n), n - 1);
}

/** The centre of an element cell, as fractions of the element's box. */
export function elementCellCentre(cell: number): [number, number] {
  const n = H.elementGrid;
  return [((cell % n) + 0.5) / n, (Math.floor(cell / n) + 0.5) / n];
}

/**
 * The page-grid cell of a page position: columns across the viewport width (layouts follow
 * it), rows of pageGridRowPx down the page, the last row taking everything below.
 */
export function pageCell(x: number, y: number, viewportWidth: number): number {
  const cols = H.pageGridColumns;
  const col = clamp(Math.floor((x / viewportWidth) * cols), cols - 1);
  const row = clamp(Math.floor(y / H.pageGridRowPx), H.maxPageGridRows - 1);
  return col + row * cols;
}

/** The centre of a page cell, at a page width: [x, y] in CSS pixels. */
export function pageCellCentre(cell: number, pageWidth: number): [number, number] {
  const cols = H.pageGridColumns;
  return [(((cell % cols) + 0.5) / cols) * pageWidth, (Math.floor(cell / cols) + 0.5) * H.pageGridRowPx];
}

/** A pageview's deepest point (0..1 of the page height) in 5% steps, rounded down: 0..scrollBuckets. */
export function scrollBucket(depth: number): number {
  // The epsilon keeps 0.55 (0.55 * 20 = 10.999...) in bucket 11.
  return clamp(Math.floor(depth * H.scrollBuckets + 1e-9), H.scrollBuckets);
}

/**
 * The share of pageviews that reached each depth, from a histogram of deepest points per
 * bucket: reached[b] = pageviews whose deepest bucket is b or more, over all pageviews.
 */
export function scrollReach(histogram: readonly number[]): { depth: number; pageviews: number; share: number }[] {
  const total = histogram.reduce((a, b) => a + b, 0);
  const out: { depth: number; pageviews: number; share: number }[] = [];
  let atLeast = total;
  for (let b = 0; b <= H.scrollBuckets; b++) {
    out.push({ depth: b / H.scrollBuckets, pageviews: atLeast, share: total === 0 ? 0 : atLeast / total });
    atLeast -= histogram[b] ?? 0;
  }
  return out;
}
