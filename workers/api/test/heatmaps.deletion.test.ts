/**
 * Deleting a site deletes its heatmap rows with its statistics, and a flush that arrives after
 * (an aggregator that still held the site's deltas) writes none back. Rows are written by the
 * aggregators' own Postgres sink, as flushes write them.
 */
import type { FlushBatch, HeatDelta } from "@sightline/core/aggregate";
import { postgresStatsSink, schema } from "@sightline/db";
import { newId } from "@sightline/shared/ids";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { api, createSite, ownerCookie, withDb } from "./helpers.ts";

const today = () => new Date().toISOString().slice(0, 10);

function heat(): HeatDelta[] {
  const d = today();
  return [
    { day: d, path: "/pricing", device: "desktop", kind: "click", selector: "#buy", cell: 36, count: 2 },
    { day: d, path: "/pricing", device: "desktop", kind: "click", selector: "", cell: 160, count: 1 },
    { day: d, path: "/pricing", device: "mobile", kind: "scroll", selector: "", cell: 10, count: 1 },
    // The same heat again under a flag variant (a flag with `heatmaps` on).
    {
      day: d,
      path: "/pricing",
      device: "desktop",
      kind: "click",
      selector: "#buy",
      cell: 36,
      count: 1,
      variant: "x=a",
    },
    { day: d, path: "/pricing", device: "mobile", kind: "scroll", selector: "", cell: 10, count: 1, variant: "x=a" },
  ];
}

const apply = (siteId: string, flushId = newId("flush")) =>
  withDb((d) => {
    const batch: FlushBatch = { flushId, siteId, shard: 0, rows: [], site: [], dimensions: [], heat: heat() };
    return postgresStatsSink(d).apply(batch);
  });

const rowsOf = (siteId: string) =>
  withDb(async (d) => ({
    elements: (await d.select().from(schema.heatmapElements).where(eq(schema.heatmapElements.siteId, siteId))).length,
    cells: (await d.select().from(schema.heatmapCells).where(eq(schema.heatmapCells.siteId, siteId))).length,
  }));

describe("deleting a site and its heatmaps", () => {
  it("deletes the site's element and page rows (every variant's), leaves other sites' rows, and a later flush writes nothing", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Heat to delete");
    const kept = await createSite(cookie, "Heat to keep");
    expect(await apply(site.id)).toBe("applied");
    expect(await apply(kept.id)).toBe("applied");
    expect(await rowsOf(site.id)).toEqual({ elements: 2, cells: 3 });

    expect((await api(`/v1/sites/${site.id}`, { method: "DELETE", cookie })).status).toBe(204);
    expect(await rowsOf(site.id)).toEqual({ elements: 0, cells: 0 });
    expect(await rowsOf(kept.id)).toEqual({ elements: 2, cells: 3 });

    // An aggregator flushing what it still held of the deleted site: nothing lands.
    expect(await apply(site.id)).toBe("gone");
    expect(await rowsOf(site.id)).toEqual({ elements: 0, cells: 0 });
  });
});
