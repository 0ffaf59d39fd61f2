/**
 * Heatmap reads for the API (docs/HEATMAPS.md): one page and device class over a range of UTC
 * days, of all visitors or of those served one flag variant. Element counts and their 64 cell columns are summed across days in one aggregate;
 * page-grid cells and scroll buckets likewise.
 */
import { scrollReach } from "@sightline/core/heatmap";
import { LIMITS } from "@sightline/shared/limits";
import type { HeatDevice, HeatmapType } from "@sightline/shared/wire";
import { sql } from "drizzle-orm";
import type { Db } from "../index.ts";
import { ELEMENT_CELLS } from "../schema/heatmaps.ts";

export interface HeatmapQuery {
  path: string;
  device: HeatDevice;
  type: HeatmapType;
  /** UTC days, `YYYY-MM-DD`, both included. */
  from: string;
  to: string;
  /** `<flag key>=<variant>`: only visitors served it; "" or absent: all visitors. */
  variant?: string;
}

export interface ElementHeat {
  selector: string;
  count: number;
  /** HEATMAP_LIMITS.elementGrid squared counts, row by row. */
  cells: number[];
}

export interface GridCell {
  cell: number;
  count: number;
}

export type Heatmap =
  | { type: "click" | "rage" | "dead"; total: number; items: ElementHeat[]; grid: GridCell[] }
  | { type: "move"; total: number; grid: GridCell[] }
  | { type: "scroll"; pageviews: number; reach: { depth: number; pageviews: number; share: number }[] };

export interface FrustrationRow {
  path: string;
  selector: string;
  rage: number;
  dead: number;
}

/** `ARRAY[sum(c0), ...]`: the cells summed position by position. */
const SUMMED_CELLS = sql.raw(`ARRAY[${ELEMENT_CELLS.map((c) => `sum(${c})`).join(", ")}]::bigint[]`);

async function grid(db: Db, siteId: string, q: HeatmapQuery, kind: string): Promise<GridCell[]> {
  const rows = await db.execute<{ cell: number; count: string }>(sql`
    SELECT cell, sum(count) AS count FROM heatmap_cells
    WHERE site_id = ${siteId} AND path = ${q.path} AND device = ${q.device} AND kind = ${kind}
      AND variant = ${q.variant ?? ""} AND day BETWEEN ${q.from} AND ${q.to}
    GROUP BY cell ORDER BY cell`);
  return rows.rows.map((r) => ({ cell: r.cell, count: Number(r.count) }));
}

export async function heatmap(db: Db, siteId: string, q: HeatmapQuery): Promise<Heatmap> {
  if (q.type === "scroll") {
    const histogram = new Array<number>(LIMITS.heatmap.scrollBuckets + 1).fill(0);
    for (const c of await grid(db, siteId, q, "scroll")) {
      if (c.cell >= 0 && c.cell < histogram.length) histogram[c.cell] = c.count;
    }
    const reach = scrollReach(histogram);
    return { type: "scroll", pageviews: reach[0]?.pageviews ?? 0, reach };
  }
  if (q.type === "move") {
    const cells = await grid(db, siteId, q, "move");
    return { type: "move", total: cells.reduce((n, c) => n + c.count, 0), grid: cells };
  }
  // Two statements at once, on two of the pool's connections: the page grid and the elements.
  const [cells, rows] = await Promise.all([
    grid(db, siteId, q, q.type),
    db.execute<{ selector: string; count: string; total: string; cells: string[] }>(sql`
      SELECT selector, sum(count) AS count, sum(sum(count)) OVER () AS total, ${SUMMED_CELLS} AS cells
      FROM heatmap_elements
      WHERE site_id = ${siteId} AND path = ${q.path} AND device = ${q.device} AND kind = ${q.type}
        AND variant = ${q.variant ?? ""} AND day BETWEEN ${q.from} AND ${q.to}
      GROUP BY selector ORDER BY sum(count) DESC, selector
      LIMIT ${LIMITS.api.maxHeatmapElements}`),
  ]);
  const items = rows.rows.map((r) => ({ selector: r.selector, count: Number(r.count), cells: r.cells.map(Number) }));
  const total = Number(rows.rows[0]?.total ?? 0) + cells.reduce((n, c) => n + c.count, 0);
  return { type: q.type, total, items, grid: cells };
}

/**
 * Pages and elements ranked by rage and dead clicks over the range, every device; of the
 * visitors served `variant` (`<flag key>=<variant>`), or of all ("").
 */
export async function frustration(
  db: Db,
  siteId: string,
  from: string,
  to: string,
  variant = "",
): Promise<FrustrationRow[]> {
  const rows = await db.execute<{ path: string; selector: string; rage: string; dead: string }>(sql`
    SELECT path, selector,
      sum(count) FILTER (WHERE kind = 'rage') AS rage, sum(count) FILTER (WHERE kind = 'dead') AS dead
    FROM heatmap_elements
    WHERE site_id = ${siteId} AND kind IN ('rage', 'dead') AND day BETWEEN ${from} AND ${to}
      AND variant = ${variant}
    GROUP BY path, selector ORDER BY sum(count) DESC, path, selector
    LIMIT ${LIMITS.api.maxFrustrationRows}`);
  return rows.rows.map((r) => ({
    path: r.path,
    selector: r.selector,
    rage: Number(r.rage ?? 0),
    dead: Number(r.dead ?? 0),
  }));
}
