import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Campaign, campaignOf } from "./campaign.ts";

/** The rules in their plainest form: split the query, decode every pair. */
function model(url: string): Campaign | undefined {
  const q = url.indexOf("?");
  const hash = url.indexOf("#");
  if (q < 0 || (hash >= 0 && hash < q)) return undefined;
  let found: Campaign | undefined;
  for (const pair of url.slice(q + 1, hash < 0 ? undefined : hash).split("&")) {
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq);
    if (eq < 0 || !["utm_source", "utm_medium", "utm_campaign"].includes(name)) continue;
    const key = name as keyof Campaign;
    if (found?.[key] !== undefined) continue;
    let value: string;
    try {
      value = decodeURIComponent(pair.slice(eq + 1).replaceAll("+", " ")).trim();
    } catch {
      value = "";
    }
    if (value) {
      found ??= {};
      found[key] = value.slice(0, 100);
    }
  }
  return found;
}

describe("campaignOf", () => {
  it("keeps the three utm tags and nothing else", () => {
    expect(
      campaignOf(
        "https://a.example/p?utm_source=news&email=x%40y.z&utm_medium=email&utm_campaign=winter+sale&utm_term=t",
      ),
    ).toEqual({ utm_source: "news", utm_medium: "email", utm_campaign: "winter sale" });
  });

  it("answers undefined without tags, and ignores tags in the fragment", () => {
    expect(campaignOf("https://a.example/p?q=1")).toBeUndefined();
    expect(campaignOf("https://a.example/p")).toBeUndefined();
    expect(campaignOf("https://a.example/p#utm_source=x")).toBeUndefined();
    expect(campaignOf("https://a.example/p?a=1#/r?utm_source=x")).toBeUndefined();
    expect(campaignOf("https://a.example/p#/r?utm_source=x")).toBeUndefined();
    expect(campaignOf("https://a.example/p??utm_source=x")).toBeUndefined();
    expect(campaignOf("https://a.example/p?xutm_source=a&utm_sourcex=b&a=utm_source=c")).toBeUndefined();
  });

  it("skips empty and malformed values, takes the first of repeats, and cuts long ones", () => {
    expect(campaignOf("https://a.example/?utm_source=&utm_medium=%E0%A4%A&utm_campaign=a")).toEqual({
      utm_campaign: "a",
    });
    expect(campaignOf("https://a.example/?utm_source=one&utm_source=two")).toEqual({ utm_source: "one" });
    expect(campaignOf(`https://a.example/?utm_source=${"x".repeat(500)}`)?.utm_source).toHaveLength(100);
  });

  it("agrees with the plain split-and-decode rules on any query", () => {
    const piece = fc.constantFrom(
      "utm_source",
      "utm_medium",
      "utm_campaign",
      "utm_",
      "x",
      "=",
      "&",
      "?",
      "#",
      "%",
      "%2",
      "%41",
      "+",
      " ",
      "utm_term",
      "é",
    );
    const url = fc.array(piece, { maxLength: 16 }).map((parts) => `https://a.example/p${parts.join("")}`);
    fc.assert(
      fc.property(url, (u) => {
        expect(campaignOf(u)).toEqual(model(u));
      }),
      { numRuns: 2_000 },
    );
  });
});
