import { describe, expect, it } from "vitest";
import {
  countryName,
  deviceLabel,
  formatCount,
  formatRate,
  formatRelative,
  formatUtcDay,
  parseWholeNumber,
  percentToRate,
  quotaNotice,
  rateToPercent,
  referrerLabel,
} from "./format.ts";

describe("numbers", () => {
  it("groups counts and never shows NaN", () => {
    expect(formatCount(0, "en")).toBe("0");
    expect(formatCount(1234567, "en")).toBe("1,234,567");
    expect(formatCount(1234567, "de")).toBe("1.234.567");
    expect(formatCount(Number.NaN, "en")).toBe("–");
  });

  it("shows rates as percentages", () => {
    expect(formatRate(0.25, "en")).toBe("25%");
    expect(formatRate(0.125, "en")).toBe("12.5%");
  });

  it("round-trips the sample rate between the form's percent and the API's 0-1", () => {
    expect(rateToPercent(0.125)).toBe(12.5);
    expect(rateToPercent(0.1 + 0.2)).toBe(30);
    expect(percentToRate("12.5")).toBe(0.125);
    expect(percentToRate("100")).toBe(1);
    expect(percentToRate("0")).toBe(0);
    for (const bad of ["", " ", "-1", "101", "abc", "NaN"]) expect(percentToRate(bad), bad).toBeNull();
  });

  it("parses whole numbers with separators, refuses the rest", () => {
    expect(parseWholeNumber("1000000")).toBe(1_000_000);
    expect(parseWholeNumber("1,000,000")).toBe(1_000_000);
    expect(parseWholeNumber(" 1 000 ")).toBe(1000);
    for (const bad of ["", "1.5", "-3", "1e6", "ten", "99999999999999999999"])
      expect(parseWholeNumber(bad), bad).toBeNull();
  });
});

describe("breakdown labels", () => {
  it("names countries and keeps unknown codes readable", () => {
    expect(countryName("DE")).toBe("Germany");
    expect(countryName("us")).toBe("United States");
    expect(countryName("")).toBe("Unknown");
    expect(countryName("XX")).toBe("Unknown");
    expect(countryName("not a code")).toBe("Unknown");
  });

  it("labels direct traffic and devices", () => {
    expect(referrerLabel("")).toBe("Direct / none");
    expect(referrerLabel("news.ycombinator.com")).toBe("news.ycombinator.com");
    expect(deviceLabel("mobile")).toBe("Mobile");
    expect(deviceLabel("")).toBe("Unknown");
  });
});

describe("quota days", () => {
  it("names the UTC days, or sums them up when there are many", () => {
    expect(formatUtcDay("2026-12-05", "en-GB")).toBe("5 Dec");
    expect(quotaNotice([], "en-GB")).toBeNull();
    expect(quotaNotice(["2026-12-05", "2026-12-06"], "en-GB")).toBe(
      "Daily event quota reached on 5 Dec, 6 Dec (UTC) — events past it were not counted.",
    );
    const many = Array.from({ length: 9 }, (_, i) => `2026-12-${String(i + 10).padStart(2, "0")}`);
    expect(quotaNotice(many, "en-GB")).toBe(
      "Daily event quota reached on 9 days between 10 Dec and 18 Dec (UTC) — events past it were not counted.",
    );
  });
});

describe("relative times", () => {
  const now = Date.parse("2026-12-05T10:00:00.000Z");
  it("reads an instant against now, in the past and the future", () => {
    expect(formatRelative("2026-12-05T09:59:48.000Z", now, "en")).toBe("12 seconds ago");
    expect(formatRelative("2026-12-05T10:00:30.000Z", now, "en")).toBe("in 30 seconds");
    expect(formatRelative("2026-12-05T10:00:00.400Z", now, "en")).toBe("now");
    expect(formatRelative("2026-12-05T09:55:00.000Z", now, "en")).toBe("5 minutes ago");
    expect(formatRelative("2026-12-05T07:00:00.000Z", now, "en")).toBe("3 hours ago");
    expect(formatRelative("2026-12-03T10:00:00.000Z", now, "en")).toBe("2 days ago");
  });

  it("leaves text it cannot read as it is", () => {
    expect(formatRelative("not a date", now, "en")).toBe("not a date");
  });
});
