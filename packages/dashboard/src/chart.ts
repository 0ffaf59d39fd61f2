/**
 * The overview's time chart. uPlot (1.6.32, MIT): about 50 KB unminified with no
 * dependencies, draws thousands of points on a canvas fast, and is actively maintained;
 * the big charting libraries would outweigh the rest of the dashboard many times over.
 */
import uPlot from "uplot";
import type { Interval } from "./api/index.ts";
import { formatCount } from "./lib/format.ts";
import type { Series } from "./lib/range.ts";

const PAGEVIEWS = "#4f46e5";
const SESSIONS = "#0f9f8f";

export interface Chart {
  readonly interval: Interval;
  update(series: Series): void;
  destroy(): void;
}

function heightFor(width: number): number {
  return width < 500 ? 200 : 280;
}

const DAY = 86_400;
// Day buckets are UTC days, as the API makes them, so they are labelled in UTC.
const dayLabel = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
const hourLabel = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "numeric" });

/** One chart per interval: the x axis differs, so a new interval means a new chart. */
export function timeChart(container: HTMLElement, series: Series, interval: Interval): Chart {
  const width = Math.max(container.clientWidth, 200);
  const count = (v: number | null) => (v === null ? "–" : formatCount(v));
  const xAxis: uPlot.Axis = { stroke: "#5b6478", grid: { stroke: "#eceef4" }, ticks: { stroke: "#d9dce6" } };
  if (interval === "day") {
    xAxis.incrs = [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY];
    xAxis.values = (_u, splits) => splits.map((s) => dayLabel.format(new Date(s * 1000)));
  }
  const opts: uPlot.Options = {
    width,
    height: heightFor(width),
    cursor: { drag: { x: false, y: false } },
    legend: { live: true },
    scales: {
      x: { time: true },
      y: { range: (_u, _min, max) => [0, max < 4 ? 4 : Math.ceil(max * 1.1)] },
    },
    axes: [
      xAxis,
      {
        stroke: "#5b6478",
        grid: { stroke: "#eceef4" },
        ticks: { stroke: "#d9dce6" },
        // Counts are whole: no tick at 0.5.
        values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? formatCount(v) : "")),
        size: 56,
      },
    ],
    series: [
      {
        label: interval === "day" ? "Day" : "Hour",
        value: (_u, v) => (v === null ? "–" : (interval === "day" ? dayLabel : hourLabel).format(new Date(v * 1000))),
      },
      {
        label: "Pageviews",
        stroke: PAGEVIEWS,
        width: 2,
        fill: "rgba(79, 70, 229, 0.10)",
        value: (_u, v) => count(v),
        points: { show: (u) => (u.data[0]?.length ?? 0) <= 48 },
      },
      {
        label: "Sessions",
        stroke: SESSIONS,
        width: 2,
        value: (_u, v) => count(v),
        points: { show: (u) => (u.data[0]?.length ?? 0) <= 48 },
      },
    ],
  };
  const plot = new uPlot(opts, [series.x, series.pageviews, series.sessions], container);
  const resize = new ResizeObserver(() => {
    const w = Math.max(container.clientWidth, 200);
    if (w !== plot.width) plot.setSize({ width: w, height: heightFor(w) });
  });
  resize.observe(container);
  return {
    interval,
    update(next) {
      plot.setData([next.x, next.pageviews, next.sessions]);
    },
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}
