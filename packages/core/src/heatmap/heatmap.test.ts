import { HEATMAP_LIMITS as H } from "@sightline/shared/limits/heatmap";
import { describe, expect, it } from "vitest";
import {
  elementCell,
  elementCellCentre,
  heatDevice,
  pageCell,
  pageCellCentre,
  scrollBucket,
  scrollReach,
} from "./index.ts";

describe("heatmap binning", () => {
  it("classes devices by viewport width at 768 and 1,280 px", () => {
    expect([375, 767, 768, 1279, 1280, 2560].map(heatDevice)).toEqual([
      "mobile",
      "mobile",
      "tablet",
      "tablet",
      "desktop",
      "desktop",
    ]);
  });

  it("puts a position inside an element in an 8 x 8 grid, edges included", () => {
    expect(elementCell(0, 0)).toBe(0);
    expect(elementCell(1, 1)).toBe(63);
    expect(elementCell(0.5, 0.5)).toBe(4 + 4 * 8);
    expect(elementCell(-1, 2)).toBe(56);
    expect(elementCellCentre(elementCell(0.5, 0.5))).toEqual([0.5625, 0.5625]);
  });

  it("bins page positions across the viewport width and down in 16 px rows, the last row taking the rest", () => {
    expect(pageCell(0, 0, 1000)).toBe(0);
    expect(pageCell(999, 15, 1000)).toBe(63);
    expect(pageCell(500, 16, 1000)).toBe(32 + 64);
    expect(pageCell(5000, 10_000_000, 1000)).toBe(H.pageGridColumns * H.maxPageGridRows - 1);
    const [x, y] = pageCellCentre(pageCell(500, 40, 1000), 1000);
    expect(Math.abs(x - 500)).toBeLessThan(1000 / 64);
    expect(Math.abs(y - 40)).toBeLessThan(16);
  });

  it("keeps scroll depth in 5% steps, 100% its own bucket", () => {
    expect([0, 0.049, 0.05, 0.5, 0.55, 0.999, 1].map(scrollBucket)).toEqual([0, 0, 1, 10, 11, 19, 20]);
  });

  it("turns a histogram of deepest points into the share that reached each depth", () => {
    const h = new Array(21).fill(0);
    h[10] = 1; // one pageview stopped at 50%
    h[20] = 1; // one read to the end
    const reach = scrollReach(h);
    expect(reach[0]).toEqual({ depth: 0, pageviews: 2, share: 1 });
    expect(reach[10]?.share).toBe(1);
    expect(reach[11]?.share).toBe(0.5);
    expect(reach[20]).toEqual({ depth: 1, pageviews: 1, share: 0.5 });
  });
});
