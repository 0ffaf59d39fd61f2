import { describe, expect, it } from "vitest";
import { campaignOf } from "./campaign.ts";

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
  });

  it("skips empty and malformed values, takes the first of repeats, and cuts long ones", () => {
    expect(campaignOf("https://a.example/?utm_source=&utm_medium=%E0%A4%A&utm_campaign=a")).toEqual({
      utm_campaign: "a",
    });
    expect(campaignOf("https://a.example/?utm_source=one&utm_source=two")).toEqual({ utm_source: "one" });
    expect(campaignOf(`https://a.example/?utm_source=${"x".repeat(500)}`)?.utm_source).toHaveLength(100);
  });
});
