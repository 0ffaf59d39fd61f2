import { describe, expect, it } from "vitest";
import { fillSeries, isRangeKey, rangeFor } from "./range.ts";

const NOW = new Date("2026-03-10T14:25:31.123Z");

describe("rangeFor", () => {
  it("24 hours: hourly buckets ending after the current hour", () => {
    const r = rangeFor("24h", NOW);
    expect(r.interval).toBe("hour");
    expect(r.to.toISOString()).toBe("2026-03-10T15:00:00.000Z");
    expect(r.from.toISOString()).toBe("2026-03-09T15:00:00.000Z");
  });

  it("7 and 30 days: UTC days including today", () => {
    const week = rangeFor("7d", NOW);
    expect(week.interval).toBe("day");
    expect(week.to.toISOString()).toBe("2026-03-11T00:00:00.000Z");
    expect(week.from.toISOString()).toBe("2026-03-04T00:00:00.000Z");
    const month = rangeFor("30d", NOW);
    expect(month.from.toISOString()).toBe("2026-02-09T00:00:00.000Z");
  });

  it("an instant on the hour still includes that hour", () => {
    const r = rangeFor("24h", new Date("2026-03-10T14:00:00.000Z"));
    expect(r.to.toISOString()).toBe("2026-03-10T15:00:00.000Z");
  });

  it("knows its keys", () => {
    expect(isRangeKey("7d")).toBe(true);
    expect(isRangeKey("1y")).toBe(false);
    expect(isRangeKey(null)).toBe(false);
  });
});

describe("fillSeries", () => {
  const r = rangeFor("24h", NOW);

  it("one value per bucket, zeros where the API sent none", () => {
    const s = fillSeries(
      [
        { t: "2026-03-10T14:00:00.000Z", pageviews: 5, sessions: 2 },
        { t: "2026-03-09T15:00:00Z", pageviews: 1, sessions: 1 },
      ],
      r.from,
      r.to,
      r.interval,
    );
    expect(s.x).toHaveLength(24);
    expect(s.x[0]).toBe(r.from.getTime() / 1000);
    expect(s.pageviews[0]).toBe(1);
    expect(s.pageviews[23]).toBe(5);
    expect(s.sessions[23]).toBe(2);
    expect(s.pageviews.slice(1, 23).every((v) => v === 0)).toBe(true);
  });

  it("an empty answer is a flat line, not a gap", () => {
    const week = rangeFor("7d", NOW);
    const s = fillSeries([], week.from, week.to, week.interval);
    expect(s.x).toHaveLength(7);
    expect(s.pageviews).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it("keeps every point, sorted, when the API buckets differently", () => {
    const s = fillSeries(
      [
        { t: "2026-03-10T14:30:00.000Z", pageviews: 3, sessions: 1 },
        { t: "2026-03-10T13:30:00.000Z", pageviews: 2, sessions: 1 },
        { t: "garbage", pageviews: 9, sessions: 9 },
      ],
      r.from,
      r.to,
      r.interval,
    );
    expect(s.pageviews).toEqual([2, 3]);
  });
});
