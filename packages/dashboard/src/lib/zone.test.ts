import { describe, expect, it } from "vitest";
import { addDays, dayOf, daysBetween, isTimeZone, offsetMs, parseDay, startOfDay } from "./zone.ts";

const HOUR = 3_600_000;
const iso = (d: Date) => d.toISOString();

describe("days", () => {
  it("reads only real ISO dates", () => {
    expect(parseDay("2028-02-29")).toBe("2028-02-29");
    for (const bad of ["2026-02-29", "2026-13-01", "2026-1-01", "20260101", "", null, undefined, "2026-01-01T00:00"]) {
      expect(parseDay(bad), String(bad)).toBeNull();
    }
  });

  it("counts calendar days", () => {
    expect(addDays("2026-02-28", 1)).toBe("2026-03-01");
    expect(addDays("2026-01-01", -1)).toBe("2025-12-31");
    expect(daysBetween("2026-01-01", "2026-12-31")).toBe(364);
    expect(daysBetween("2026-01-02", "2026-01-01")).toBe(-1);
  });

  it("knows zones Intl knows", () => {
    expect(isTimeZone("Europe/Berlin")).toBe(true);
    expect(isTimeZone("Mars/Olympus_Mons")).toBe(false);
  });
});

describe("an instant's day and a day's midnight, in a zone", () => {
  it("puts 23:30 UTC on the next day east of UTC", () => {
    const t = Date.parse("2026-11-20T23:30:00Z");
    expect(dayOf(t, "UTC")).toBe("2026-11-20");
    expect(dayOf(t, "Europe/Berlin")).toBe("2026-11-21");
    expect(dayOf(t, "America/Los_Angeles")).toBe("2026-11-20");
    expect(offsetMs(t, "Europe/Berlin")).toBe(HOUR);
    expect(offsetMs(t, "Asia/Kolkata")).toBe(5.5 * HOUR);
  });

  it("gives local midnight as a UTC instant, across clock changes", () => {
    expect(iso(startOfDay("2026-11-21", "Europe/Berlin"))).toBe("2026-11-20T23:00:00.000Z");
    expect(iso(startOfDay("2026-07-01", "Europe/Berlin"))).toBe("2026-06-30T22:00:00.000Z");
    expect(iso(startOfDay("2026-03-29", "Europe/Berlin"))).toBe("2026-03-28T23:00:00.000Z");
    expect(iso(startOfDay("2026-03-30", "Europe/Berlin"))).toBe("2026-03-29T22:00:00.000Z");
    expect(iso(startOfDay("2026-11-20", "Asia/Kolkata"))).toBe("2026-11-19T18:30:00.000Z");
    expect(iso(startOfDay("2026-11-20", "UTC"))).toBe("2026-11-20T00:00:00.000Z");
  });

  it("agrees with Postgres' date_trunc where midnight is skipped or repeated", () => {
    // Santiago skips 00:00-01:00 on 6 September 2026: the day starts at 01:00 (04:00 UTC).
    expect(iso(startOfDay("2026-09-06", "America/Santiago"))).toBe("2026-09-06T04:00:00.000Z");
    // Havana repeats 00:00-01:00 on 1 November 2026: the later midnight, as Postgres has it.
    expect(iso(startOfDay("2026-11-01", "America/Havana"))).toBe("2026-11-01T05:00:00.000Z");
  });
});
