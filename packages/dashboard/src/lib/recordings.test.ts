import { describe, expect, it } from "vitest";
import {
  EMPTY_FILTERS,
  formatDuration,
  formFromQuery,
  formToFilters,
  formToQuery,
  inertEvents,
  pathOf,
  readRecordingSettings,
  timelineMarks,
} from "./recordings.ts";

describe("recording filters", () => {
  it("round-trips through the address bar and drops what is not valid", () => {
    const form = {
      ...EMPTY_FILTERS,
      sort: "duration" as const,
      from: "2026-11-01",
      to: "2026-11-30",
      minSeconds: "30",
      maxSeconds: "600",
      page: "/docs/*",
      device: "mobile",
      country: "DE",
      referrer: "https://news.example/*",
      rageClicks: true,
      errors: true,
      flag: "new-checkout=b",
    };
    const query = formToQuery(form);
    expect(formFromQuery(`?${query}`)).toEqual(form);
    expect(formToQuery(EMPTY_FILTERS)).toBe("");
    expect(formFromQuery("?sort=size&from=yesterday&min=-3&device=fridge&country=Germany&rage=yes")).toEqual(
      EMPTY_FILTERS,
    );
    expect(formFromQuery("?country=fr").country).toBe("FR");
    expect(formFromQuery("?country=t1").country).toBe("T1");
    // Only what the API takes: a flag key and a variant name.
    for (const flag of ["checkout", "new-checkout=", "=b", "New=b", "a=b=c", `${"k".repeat(65)}=b`]) {
      expect(formFromQuery(`?flag=${encodeURIComponent(flag)}`).flag, flag).toBe("");
    }
  });

  it("turns days into instants (the last day included) and seconds into milliseconds", () => {
    const f = formToFilters({ ...EMPTY_FILTERS, from: "2026-11-01", to: "2026-11-02", minSeconds: "5", page: " /a " });
    expect(f).toMatchObject({ sort: "start", minDurationMs: 5000, page: "/a" });
    expect(new Date(f.from as string).getTime()).toBe(new Date(2026, 10, 1).getTime());
    expect(new Date(f.to as string).getTime()).toBe(new Date(2026, 10, 3).getTime());
    expect(formToFilters(EMPTY_FILTERS)).toEqual({ sort: "start" });
    expect(formToFilters({ ...EMPTY_FILTERS, flag: " new-checkout=b " }).flag).toBe("new-checkout=b");
  });
});

describe("formatDuration", () => {
  it("reads as minutes and seconds, hours when there are some", () => {
    expect(formatDuration(0)).toBe("0:00");
    expect(formatDuration(65_400)).toBe("1:05");
    expect(formatDuration(3_723_000)).toBe("1:02:03");
    expect(formatDuration(-5)).toBe("0:00");
  });
});

describe("timelineMarks", () => {
  it("marks page changes and clicks relative to the first event, nothing else", () => {
    const t = 1_000_000;
    const marks = timelineMarks([
      { type: 4, timestamp: t, data: { href: "https://demo.example/", width: 1, height: 1 } },
      { type: 2, timestamp: t + 5, data: { node: {} } },
      { type: 3, timestamp: t + 900, data: { source: 2, type: 2, id: 9, x: 1, y: 1 } },
      { type: 3, timestamp: t + 950, data: { source: 2, type: 1, id: 9 } },
      { type: 3, timestamp: t + 990, data: { source: 1, positions: [] } },
      { type: 4, timestamp: t + 4000, data: { href: "https://demo.example/pricing.html" } },
    ]);
    expect(marks).toEqual([
      { at: 0, kind: "page", label: "https://demo.example/" },
      { at: 900, kind: "click", label: "" },
      { at: 4000, kind: "page", label: "https://demo.example/pricing.html" },
    ]);
    expect(timelineMarks([])).toEqual([]);
  });

  it("shows a page's path", () => {
    expect(pathOf("https://demo.example/pricing.html?plan=pro#top")).toBe("/pricing.html?plan=pro#top");
    expect(pathOf("not a url")).toBe("not a url");
  });
});

describe("readRecordingSettings", () => {
  const bounds = { maxDailyQuota: 10_000_000, maxRetentionDays: 365 };
  const ok = {
    samplePercent: "12.5",
    dailyQuota: "500",
    retentionDays: "30",
    maskAllText: true,
    consentRequired: false,
  };

  it("reads each control into the API's body", () => {
    expect(readRecordingSettings(ok, bounds)).toEqual({
      ok: true,
      body: {
        recordingSampleRate: 0.125,
        recordingDailyQuota: 500,
        recordingRetentionDays: 30,
        maskAllText: true,
        recordingConsent: "opt-out",
      },
    });
    expect(readRecordingSettings({ ...ok, consentRequired: true }, bounds)).toMatchObject({
      ok: true,
      body: { recordingConsent: "opt-in" },
    });
    const off = readRecordingSettings({ ...ok, samplePercent: "0", dailyQuota: "0", maskAllText: false }, bounds);
    expect(off).toMatchObject({
      ok: true,
      body: { recordingSampleRate: 0, recordingDailyQuota: 0, maskAllText: false },
    });
    expect(readRecordingSettings({ ...ok, samplePercent: "100" }, bounds)).toMatchObject({
      body: { recordingSampleRate: 1 },
    });
  });

  it("names the field that is out of bounds", () => {
    for (const [change, field] of [
      [{ samplePercent: "101" }, "samplePercent"],
      [{ samplePercent: "-1" }, "samplePercent"],
      [{ samplePercent: "" }, "samplePercent"],
      [{ dailyQuota: "1.5" }, "dailyQuota"],
      [{ dailyQuota: "10000001" }, "dailyQuota"],
      [{ retentionDays: "0" }, "retentionDays"],
      [{ retentionDays: "366" }, "retentionDays"],
    ] as const) {
      expect(readRecordingSettings({ ...ok, ...change }, bounds), JSON.stringify(change)).toMatchObject({
        ok: false,
        field,
      });
    }
  });
});

describe("inertEvents", () => {
  it("turns scripts into inert elements and drops inline handlers and javascript: URLs", () => {
    const script = {
      type: 2,
      id: 5,
      tagName: "script",
      attributes: { src: "/t.js" },
      childNodes: [{ type: 3, id: 6 }],
    };
    const form = {
      type: 2,
      id: 7,
      tagName: "form",
      attributes: { onsubmit: "go()", action: "/ok", class: "x" },
      childNodes: [
        { type: 2, id: 8, tagName: "a", attributes: { href: " JavaScript:alert(1)", title: "t" }, childNodes: [] },
      ],
    };
    const events = inertEvents([
      { type: 2, timestamp: 1, data: { node: { type: 0, id: 1, childNodes: [script, form] } } },
      {
        type: 3,
        timestamp: 2,
        data: {
          source: 0,
          adds: [{ parentId: 1, node: { type: 2, id: 9, tagName: "script", attributes: {}, childNodes: [] } }],
          attributes: [{ id: 7, attributes: { onclick: "x()", class: "y" } }],
          texts: [],
          removes: [],
        },
      },
      { type: 3, timestamp: 3, data: { source: 1, positions: [] } },
    ]);
    expect(script).toEqual({ type: 2, id: 5, tagName: "noscript", attributes: {}, childNodes: [] });
    expect(form.attributes).toEqual({ action: "/ok", class: "x" });
    expect(form.childNodes[0]?.attributes).toEqual({ title: "t" });
    const mutation = events[1]?.data as { adds: { node: { tagName: string } }[]; attributes: { attributes: object }[] };
    expect(mutation.adds[0]?.node.tagName).toBe("noscript");
    expect(mutation.attributes[0]?.attributes).toEqual({ class: "y" });
  });
});
