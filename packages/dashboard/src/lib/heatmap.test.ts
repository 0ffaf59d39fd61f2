import { describe, expect, it } from "vitest";
import type { FlagDefinition } from "../api/index.ts";
import {
  DEFAULT_HEAT_DAYS,
  elementPoints,
  gridPoints,
  heatDays,
  heatVariant,
  scrollBands,
  visitorChoices,
} from "./heatmap.ts";
import { MAX_RANGE_DAYS } from "./range.ts";

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

  it("reads the days from the address, as the API checks them, else the last 30 UTC days", () => {
    // 23:30 UTC: still this UTC day whatever the browser's zone.
    const now = Date.UTC(2031, 2, 10, 23, 30);
    const last30 = { from: "2031-02-09", to: "2031-03-10" };
    expect(DEFAULT_HEAT_DAYS).toBe(30);
    expect(heatDays("", now)).toEqual(last30);
    expect(heatDays("from=2031-01-01&to=2031-01-31", now)).toEqual({ from: "2031-01-01", to: "2031-01-31" });
    expect(heatDays("from=2031-01-05&to=2031-01-05", now)).toEqual({ from: "2031-01-05", to: "2031-01-05" });
    // Backwards, unreadable, half given or too long: the default, never a range the API refuses.
    expect(heatDays("from=2031-02-01&to=2031-01-01", now)).toEqual(last30);
    expect(heatDays("from=2031-02-30&to=2031-03-01", now)).toEqual(last30);
    expect(heatDays("from=2031-01-01", now)).toEqual(last30);
    const tooLong = `from=2030-01-01&to=${new Date(Date.UTC(2030, 0, 1 + MAX_RANGE_DAYS)).toISOString().slice(0, 10)}`;
    expect(heatDays(tooLong, now)).toEqual(last30);
  });
});

describe("the Visitors picker", () => {
  const flag = (key: string, variants: string[], heatmaps?: boolean): FlagDefinition => ({
    key,
    enabled: true,
    variants: Object.fromEntries(variants.map((v) => [v, v])),
    defaultVariant: variants[0] ?? "",
    offVariant: variants[0] ?? "",
    rules: [],
    ...(heatmaps === undefined ? {} : { heatmaps }),
  });

  it("offers all visitors, then each variant of the flags that split heatmaps, by key", () => {
    const flags = [flag("zeta", ["on", "off"], true), flag("alpha", ["a", "b"], true), flag("quiet", ["x"], false)];
    expect(visitorChoices([...flags, flag("plain", ["y"])], "").map((c) => c.value)).toEqual([
      "",
      "alpha=a",
      "alpha=b",
      "zeta=on",
      "zeta=off",
    ]);
    expect(visitorChoices(flags, "")[1]).toEqual({ value: "alpha=a", label: "alpha: a" });
  });

  it("keeps a picked variant whose flag no longer splits heatmaps", () => {
    expect(visitorChoices([], "gone=b")).toEqual([
      { value: "", label: "All visitors" },
      { value: "gone=b", label: "gone: b" },
    ]);
  });

  it("reads the address's variant as the API checks it, all visitors otherwise", () => {
    expect(heatVariant("?path=/&variant=checkout%3Db")).toBe("checkout=b");
    for (const bad of ["", "?variant=checkout", "?variant=Checkout=B", "?variant=a=b=c"])
      expect(heatVariant(bad)).toBe("");
  });
});
