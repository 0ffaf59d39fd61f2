import { HEATMAP_LIMITS } from "@sightline/shared/limits/heatmap";
import { expect, it } from "vitest";
import {
  HEATMAP_MAX_SELECTOR_LENGTH,
  MAX_PAGE_PX,
  MAX_VIEWPORT_PX,
  RAGE_CLICKS,
  RAGE_RADIUS_PX,
  RAGE_WINDOW_MS,
} from "./limits.ts";

it("uses the shared heatmap limits", () => {
  expect([
    HEATMAP_MAX_SELECTOR_LENGTH,
    RAGE_CLICKS,
    RAGE_WINDOW_MS,
    RAGE_RADIUS_PX,
    MAX_PAGE_PX,
    MAX_VIEWPORT_PX,
  ]).toEqual([
    HEATMAP_LIMITS.maxSelectorLength,
    HEATMAP_LIMITS.rageClicks,
    HEATMAP_LIMITS.rageWindowMs,
    HEATMAP_LIMITS.rageRadiusPx,
    HEATMAP_LIMITS.maxPagePx,
    HEATMAP_LIMITS.maxViewportPx,
  ]);
});
