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

/** Room a day label needs on the x axis. */
const DAY_LABEL_PX = 72;

/**
 * One chart per interval: the x axis differs, so a new interval means a new chart. Times are
 * shown in the site's time zone, whose local midnights the day buckets start at.
 */
export function timeChart(container: HTMLElement, series: Series, interval: Interval, timeZone: string): Chart {
  const width = Math.max(container.clientWidth, 200);
  const count = (v: number | null) => (v === null ? "–" : formatCount(v));
  const dayLabel = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", timeZone });
  const hourLabel = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "numeric", timeZone });
  const xAxis: uPlot.Axis = { stroke: "#5b6478", grid: { stroke: "#eceef4" }, ticks: { stroke: "#d9dce6" } };
  if (interval === "day") {
    // Ticks on the buckets themselves: local midnights are not evenly spaced across a clock change.
    xAxis.splits = (u) => {
      const xs = (u.data[0] ?? []) as number[];
      // u.width is the whole chart in CSS pixels; the y axis takes about 80 of them.
      const every = Math.max(1, Math.ceil((xs.length * DAY_LABEL_PX) / Math.max(u.width - 80, 1)));
      return xs.filter((_x, i) => i % every === 0);
    };
    xAxis.values = (_u, splits) => splits.map((s) => dayLabel.format(new Date(s * 1000)));
  }
  const opts: uPlot.Options = {
    width,
    height: heightFor(width),
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timeZone),
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
