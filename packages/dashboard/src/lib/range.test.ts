import { describe, expect, it } from "vitest";
import { LIMITS } from "../../../shared/src/limits/index.ts";
import {
  bucketStarts,
  customRange,
  fillSeries,
  isPreset,
  MAX_RANGE_DAYS,
  rangeDays,
  rangeFor,
  specFromQuery,
  specQuery,
} from "./range.ts";

// A fixed clock: nothing here reads today's date.
const NOW = new Date("2026-03-10T14:25:31.123Z");
const iso = (d: Date) => d.toISOString();

describe("rangeFor: presets", () => {
  it("24 hours: UTC hours ending after the current hour, whatever the zone", () => {
    for (const tz of ["UTC", "Asia/Kolkata"]) {
      const r = rangeFor({ preset: "24h" }, NOW, tz);
      expect(r.interval).toBe("hour");
      expect(iso(r.to)).toBe("2026-03-10T15:00:00.000Z");
      expect(iso(r.from)).toBe("2026-03-09T15:00:00.000Z");
    }
  });

  it("an instant on the hour still includes that hour", () => {
    const r = rangeFor({ preset: "24h" }, new Date("2026-03-10T14:00:00.000Z"), "UTC");
    expect(iso(r.to)).toBe("2026-03-10T15:00:00.000Z");
  });

  it("7 and 30 days: UTC days including today", () => {
    const week = rangeFor({ preset: "7d" }, NOW, "UTC");
    expect(week.interval).toBe("day");
    expect(iso(week.to)).toBe("2026-03-11T00:00:00.000Z");
    expect(iso(week.from)).toBe("2026-03-04T00:00:00.000Z");
    expect(iso(rangeFor({ preset: "30d" }, NOW, "UTC").from)).toBe("2026-02-09T00:00:00.000Z");
  });

  it("days are the site's: local midnights, and today is the zone's today", () => {
    // 14:25 UTC is 23:25 on 10 March in Tokyo (UTC+9); an hour later it is 11 March there.
    const tokyo = rangeFor({ preset: "7d" }, NOW, "Asia/Tokyo");
    expect([iso(tokyo.from), iso(tokyo.to)]).toEqual(["2026-03-03T15:00:00.000Z", "2026-03-10T15:00:00.000Z"]);
    const today = rangeFor({ preset: "today" }, NOW, "Asia/Tokyo");
    expect(today.interval).toBe("hour");
    expect([iso(today.from), iso(today.to)]).toEqual(["2026-03-09T15:00:00.000Z", "2026-03-10T15:00:00.000Z"]);
    const later = rangeFor({ preset: "today" }, new Date("2026-03-10T15:25:00Z"), "Asia/Tokyo");
    expect([iso(later.from), iso(later.to)]).toEqual(["2026-03-10T15:00:00.000Z", "2026-03-11T15:00:00.000Z"]);
    // New York moves its clocks on 8 March 2026: that week holds a 23-hour day.
    const ny = rangeFor({ preset: "7d" }, NOW, "America/New_York");
    expect([iso(ny.from), iso(ny.to)]).toEqual(["2026-03-04T05:00:00.000Z", "2026-03-11T04:00:00.000Z"]);
  });

  it("knows its presets", () => {
    expect(isPreset("today")).toBe(true);
    expect(isPreset("1y")).toBe(false);
    expect(isPreset(null)).toBe(false);
  });
});

describe("rangeFor: days picked by hand", () => {
  it("runs from local midnight of the first day to local midnight after the last", () => {
    const r = rangeFor({ from: "2026-11-20", to: "2026-11-21" }, NOW, "Europe/Berlin");
    expect([iso(r.from), iso(r.to), r.interval]).toEqual([
      "2026-11-19T23:00:00.000Z",
      "2026-11-21T23:00:00.000Z",
      "day",
    ]);
    expect(rangeDays(r)).toEqual({ from: "2026-11-20", to: "2026-11-21" });
  });

  it("one day is shown by the hour", () => {
    const r = rangeFor({ from: "2026-11-20", to: "2026-11-20" }, NOW, "UTC");
    expect(r.interval).toBe("hour");
    expect(iso(r.to)).toBe("2026-11-21T00:00:00.000Z");
  });

  it("does not depend on the clock", () => {
    const spec = { from: "2026-01-01", to: "2026-01-31" };
    expect(rangeFor(spec, new Date(0), "UTC")).toEqual(rangeFor(spec, NOW, "UTC"));
  });
});

describe("customRange", () => {
  it("accepts up to the API's limit, in order", () => {
    expect(MAX_RANGE_DAYS).toBe(LIMITS.api.maxRangeDays);
    expect(customRange("2026-01-01", "2026-01-01", "UTC")).toEqual({
      ok: true,
      spec: { from: "2026-01-01", to: "2026-01-01" },
    });
    // 2028 is a leap year: 1 Jan to 31 Dec is 366 days.
    expect(customRange("2028-01-01", "2028-12-31", "Europe/Berlin").ok).toBe(true);
    expect(customRange("2028-01-01", "2029-01-01", "UTC")).toEqual({
      ok: false,
      error: "Pick at most 366 days (this is 367).",
    });
    expect(customRange("2026-02-02", "2026-02-01", "UTC")).toEqual({
      ok: false,
      error: "The start date is after the end date.",
    });
    for (const [a, b] of [
      ["", "2026-01-01"],
      ["2026-02-30", "2026-03-01"],
      ["yesterday", "today"],
    ]) {
      expect(customRange(a ?? "", b ?? "", "UTC").ok, `${a} ${b}`).toBe(false);
    }
  });

  it("refuses 366 days that a clock change makes an hour longer than the API allows", () => {
    // From after New York's spring change to before the next: the autumn's extra hour only.
    expect(customRange("2026-03-09", "2027-03-09", "America/New_York")).toEqual({
      ok: false,
      error: "Pick one day fewer: a clock change makes these 366 days an hour too long.",
    });
    expect(customRange("2026-03-09", "2027-03-09", "UTC").ok).toBe(true);
    // Across both changes the hours even out.
    expect(customRange("2026-01-01", "2027-01-01", "America/New_York").ok).toBe(true);
  });
});

describe("the range in the URL", () => {
  it("round-trips presets and picked days, and reads anything else as the default", () => {
    expect(specFromQuery("")).toEqual({ preset: "7d" });
    expect(specFromQuery("?range=today")).toEqual({ preset: "today" });
    expect(specFromQuery("?range=1y")).toEqual({ preset: "7d" });
    expect(specFromQuery("?from=2026-11-01&to=2026-11-30")).toEqual({ from: "2026-11-01", to: "2026-11-30" });
    expect(specFromQuery("?from=2026-11-30&to=2026-11-01")).toEqual({ preset: "7d" });
    expect(specFromQuery("?from=2026-11-01&to=2027-11-30")).toEqual({ preset: "7d" });
    expect(specFromQuery("?from=2026-11-01&to=2026-11-31&range=24h")).toEqual({ preset: "24h" });
    expect(specQuery({ preset: "7d" })).toBe("");
    expect(specQuery({ preset: "30d" })).toBe("range=30d");
    for (const spec of [{ preset: "today" as const }, { from: "2026-11-01", to: "2026-11-30" }]) {
      expect(specFromQuery(`?${specQuery(spec)}`)).toEqual(spec);
    }
  });
});

describe("bucketStarts", () => {
  it("UTC hours from the first whole hour", () => {
    const r = rangeFor({ from: "2026-11-20", to: "2026-11-20" }, NOW, "Asia/Kolkata");
    // Midnight in Kolkata is 18:30 UTC; the API's hours are UTC hours.
    const b = bucketStarts(r);
    expect(b).toHaveLength(24);
    expect(new Date(b[0] ?? 0).toISOString()).toBe("2026-11-19T19:00:00.000Z");
  });

  it("local midnights, 23 or 25 hours apart across a clock change", () => {
    const r = rangeFor({ from: "2026-03-28", to: "2026-03-30" }, NOW, "Europe/Berlin");
    expect(bucketStarts(r).map((t) => new Date(t).toISOString())).toEqual([
      "2026-03-27T23:00:00.000Z",
      "2026-03-28T23:00:00.000Z",
      "2026-03-29T22:00:00.000Z",
    ]);
  });
});

describe("fillSeries", () => {
  const r = rangeFor({ preset: "24h" }, NOW, "UTC");
  const point = (t: string, pageviews: number, sessions: number) => ({ t, pageviews, sessions, visitors: 0 });

  it("one value per bucket, zeros where the API sent none", () => {
    const s = fillSeries(
      [point("2026-03-10T14:00:00.000Z", 5, 2), point("2026-03-09T15:00:00Z", 1, 1)],
      bucketStarts(r),
    );
    expect(s.x).toHaveLength(24);
    expect(s.x[0]).toBe(r.from.getTime() / 1000);
    expect(s.pageviews[0]).toBe(1);
    expect(s.pageviews[23]).toBe(5);
    expect(s.sessions[23]).toBe(2);
    expect(s.pageviews.slice(1, 23).every((v) => v === 0)).toBe(true);
  });

  it("an empty answer is a flat line, not a gap", () => {
    const week = rangeFor({ preset: "7d" }, NOW, "UTC");
    const s = fillSeries([], bucketStarts(week));
    expect(s.x).toHaveLength(7);
    expect(s.pageviews).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it("fills the local days of a zone, as the API sends them", () => {
    const days = rangeFor({ from: "2026-03-28", to: "2026-03-30" }, NOW, "Europe/Berlin");
    const s = fillSeries([point("2026-03-29T22:00:00.000Z", 4, 1)], bucketStarts(days));
    expect(s.pageviews).toEqual([0, 0, 4]);
  });

  it("keeps every point, sorted, when the API buckets differently", () => {
    const s = fillSeries(
      [point("2026-03-10T14:30:00.000Z", 3, 1), point("2026-03-10T13:30:00.000Z", 2, 1), point("garbage", 9, 9)],
      bucketStarts(r),
    );
    expect(s.pageviews).toEqual([2, 3]);
  });
});
