import { HEATMAP_LIMITS } from "@sightline/shared/limits/heatmap";
import { HEAT_DEVICES, HEATMAP_TYPES } from "@sightline/shared/wire";
import { bigint, date, index, integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";

/** The cells inside an element, `c0` to `c63`, row by row. */
export const ELEMENT_CELLS = Array.from({ length: HEATMAP_LIMITS.elementGrid ** 2 }, (_, i) => `c${i}` as const);
type CellColumn = (typeof ELEMENT_CELLS)[number];
const cellColumns = () =>
  Object.fromEntries(ELEMENT_CELLS.map((c) => [c, integer().notNull().default(0)])) as Record<
    CellColumn,
    ReturnType<typeof integer>
  >;

/**
 * Clicks, rage clicks and dead clicks per element (its stable CSS selector) per page, device
 * class, variant and UTC day, with where inside the element's box they landed: the
 * HEATMAP_LIMITS.elementGrid squared grid, row by row, as the columns `c0`..`c63`. Columns,
 * not an array: a month of a busy page sums them over some 16,000 rows per heatmap, and 64
 * column sums take half the time of 64 array subscripts (bench/heatmaps.ts). Merged from
 * aggregator flushes (idempotent through flush_log, like the statistics); no foreign key to
 * sites, as for them. Both heatmap tables are read without parallel workers
 * (`parallel_workers = 0`, migration 0013, which Drizzle cannot declare): starting them cost
 * more than the reads they would share.
 */
export const heatmapElements = pgTable(
  "heatmap_elements",
  {
    siteId: text().notNull(),
    path: text().notNull(),
    device: text({ enum: HEAT_DEVICES }).notNull(),
    kind: text({ enum: HEATMAP_TYPES }).notNull(),
    /** "" all visitors, or `<flag key>=<variant>`: those a flag with `heatmaps` on served it. */
    variant: text().notNull().default(""),
    day: date({ mode: "string" }).notNull(),
    selector: text().notNull(),
    count: bigint({ mode: "number" }).notNull().default(0),
    ...cellColumns(),
  },
  (t) => [
    // The key's prefix (site, page, device, kind, variant, day) serves the heatmap query: the
    // variant before the days, so a read of all visitors ("") skips every variant's rows.
    // Named: the generated name runs past Postgres' 63 characters.
    primaryKey({
      name: "heatmap_elements_pk",
      columns: [t.siteId, t.path, t.device, t.kind, t.variant, t.day, t.selector],
    }),
    // The frustration ranking reads rage and dead clicks of a site over days, every page, of one
    // variant; retention a site's old days per kind, which the variant after the day leaves a probe.
    index("heatmap_elements_site_kind_day_variant").on(t.siteId, t.kind, t.day, t.variant),
  ],
);

/**
 * Page-grid counts per page, device class, variant and UTC day: resting-pointer moves, clicks (and rage
 * and dead clicks) that found no stable selector, in cells of HEATMAP_LIMITS.pageGridColumns
 * across the viewport by pageGridRowPx down; and for `scroll`, pageviews per deepest 5% step
 * (cell 0..scrollBuckets).
 */
export const heatmapCells = pgTable(
  "heatmap_cells",
  {
    siteId: text().notNull(),
    path: text().notNull(),
    device: text({ enum: HEAT_DEVICES }).notNull(),
    kind: text({ enum: HEATMAP_TYPES }).notNull(),
    /** As heatmap_elements.variant. */
    variant: text().notNull().default(""),
    day: date({ mode: "string" }).notNull(),
    cell: integer().notNull(),
    count: bigint({ mode: "number" }).notNull().default(0),
  },
  (t) => [
    primaryKey({ name: "heatmap_cells_pk", columns: [t.siteId, t.path, t.device, t.kind, t.variant, t.day, t.cell] }),
    // Retention finds a site's old days per kind.
    index("heatmap_cells_site_kind_day").on(t.siteId, t.kind, t.day),
  ],
);
