import { describe, expect, it } from "vitest";
import { elementPoints, gridPoints, scrollBands } from "./heatmap.ts";

describe("heatmap geometry", () => {
  it("places an element's cells inside its box on the rebuilt page, wherever the page put it", () => {
    const cells = new Array(64).fill(0);
    cells[0] = 2; // top-left eighth
    cells[63] = 1; // bottom-right
    const item = { selector: "#buy", count: 3, cells };
    const at = (left: number, width: number) =>
      elementPoints([item, { selector: "#gone", count: 9, cells: new Array(64).fill(1) }], (s) =>
        s === "#buy" ? { left, top: 100, width, height: 80 } : null,
      );
    expect(at(0, 160)).toEqual([
      [10, 105, 2],
      [150, 175, 1],
    ]);
    // The same clicks on a narrower layout land on the same parts of the button.
    expect(at(40, 80)).toEqual([
      [45, 105, 2],
      [115, 175, 1],
    ]);
  });

  it("puts page-grid cells across the page width and 16 px rows down it", () => {
    expect(gridPoints([{ cell: 32 + 2 * 64, count: 4 }], 1280)).toEqual([[650, 40, 4]]);
  });

  it("turns the reach into 5% bands with the share that got to each", () => {
    const reach = Array.from({ length: 21 }, (_, b) => ({ depth: b / 20, share: b <= 10 ? 1 : 0.5 }));
    const bands = scrollBands(reach);
    expect(bands).toHaveLength(20);
    expect(bands[10]).toEqual({ from: 0.5, to: 0.55, share: 1 });
    expect(bands[11]?.share).toBe(0.5);
    expect(bands.at(-1)?.to).toBe(1);
  });
});
