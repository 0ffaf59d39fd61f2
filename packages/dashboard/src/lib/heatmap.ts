/**
 * Heatmap geometry for the Heatmaps page, apart from the DOM so it is unit-tested: where each
 * element's cells land on the rebuilt page, page-grid cells at a page width, and the scroll
 * map's bands. Cells are drawn back with the same functions the edge binned them with.
 */
import { elementCellCentre, pageCellCentre } from "@sightline/core/heatmap";
import { FLAG_VARIANT } from "@sightline/shared/limits/flags";
import { HEATMAP_LIMITS as H } from "@sightline/shared/limits/heatmap";
import type { FlagDefinition, HeatCell, HeatElement, UtcDays } from "../api/index.ts";
import { customRange } from "./range.ts";
import { addDays, dayOf } from "./zone.ts";

/** [x, y, weight] in page pixels: what the heat layer draws. */
export type HeatPoint = [number, number, number];

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Each element's cells at the centre of their part of its box on the rebuilt page, wherever the
 * page laid it out; elements the page does not have (`locate` gives null) are left out.
 */
export function elementPoints(items: HeatElement[], locate: (selector: string) => Box | null): HeatPoint[] {
  const out: HeatPoint[] = [];
  for (const item of items) {
    const box = locate(item.selector);
    if (!box) continue;
    item.cells.forEach((count, cell) => {
      if (count <= 0) return;
      const [fx, fy] = elementCellCentre(cell);
      out.push([box.left + fx * box.width, box.top + fy * box.height, count]);
    });
  }
  return out;
}

/** Page-grid cells (columns across the width, rows of pageGridRowPx) at a page width. */
export function gridPoints(grid: HeatCell[], pageWidth: number): HeatPoint[] {
  return grid.map(({ cell, count }) => [...pageCellCentre(cell, pageWidth), count]);
}

export interface ScrollBand {
  /** From this share of the page height down to the next band's. */
  from: number;
  to: number;
  /** Share of pageviews that reached this band's start. */
  share: number;
}

/** The scroll map: bands of 5% of the page, each with the share of pageviews that got there. */
export function scrollBands(reach: { depth: number; share: number }[]): ScrollBand[] {
  const step = 1 / H.scrollBuckets;
  return reach
    .filter((r) => r.depth < 1)
    .map((r) => ({ from: r.depth, to: Math.min(1, r.depth + step), share: r.share }));
}

/** The share at a depth, as the scroll map labels it: "50%". */
export const percent = (share: number) => `${Math.round(share * 100)}%`;

/** Days the Heatmaps page shows unless the address bar says otherwise: the last 30, today included. */
export const DEFAULT_HEAT_DAYS = 30;

/**
 * The UTC days a Heatmaps address asks for (`from`, `to`), checked as the API checks them;
 * the last DEFAULT_HEAT_DAYS days when absent or unreadable. Heatmaps are kept per UTC day.
 */
export function heatDays(search: string, now: number): UtcDays {
  const q = new URLSearchParams(search);
  const picked = customRange(q.get("from") ?? "", q.get("to") ?? "", "UTC");
  if (picked.ok) return picked.spec;
  const to = dayOf(now, "UTC");
  return { from: addDays(to, 1 - DEFAULT_HEAT_DAYS), to };
}

/** One choice of the Visitors picker: `<flag key>=<variant>`, or "" for all visitors. */
export interface VisitorChoice {
  value: string;
  label: string;
}

/**
 * The Visitors picker: all visitors, then each variant of the flags that split heatmaps
 * (`heatmaps: true`), by flag key. A variant the address asks for that is no longer among them
 * (its flag stopped splitting, or was deleted) stays listed: its heat is still stored.
 */
export function visitorChoices(flags: readonly FlagDefinition[], picked: string): VisitorChoice[] {
  const choices: VisitorChoice[] = [{ value: "", label: "All visitors" }];
  for (const f of [...flags].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    if (f.heatmaps !== true) continue;
    for (const name of Object.keys(f.variants)) choices.push({ value: `${f.key}=${name}`, label: `${f.key}: ${name}` });
  }
  if (picked && !choices.some((c) => c.value === picked)) {
    choices.push({ value: picked, label: picked.replace("=", ": ") });
  }
  return choices;
}

/** The variant a Heatmaps address asks for, checked as the API checks it; "" (all visitors) otherwise. */
export function heatVariant(search: string): string {
  const v = new URLSearchParams(search).get("variant") ?? "";
  return FLAG_VARIANT.test(v) ? v : "";
}
