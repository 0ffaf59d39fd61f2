import { uuidv7Time } from "@sightline/shared/ids";
import { LIMITS } from "@sightline/shared/limits";
import { pageviewEvent } from "@sightline/shared/wire";
import { describe, expect, it } from "vitest";
import { pageview } from "./pageview.ts";

const L = LIMITS.collect;
const T0 = 1_800_000_000_000;

describe("pageview", () => {
  it("builds a valid event with a UUIDv7 minted at its timestamp", () => {
    const e = pageview(T0, "https://site.test/a?b=1", "https://ref.test/", "A page");
    expect(pageviewEvent.parse(e)).toEqual(e);
    expect(e).toMatchObject({
      type: "pageview",
      ts: T0,
      url: "https://site.test/a?b=1",
      referrer: "https://ref.test/",
      title: "A page",
    });
    expect(uuidv7Time(e.id)).toBe(T0);
  });

  it("leaves out an empty referrer and title", () => {
    const e = pageview(T0, "https://site.test/", "", "");
    expect("referrer" in e || "title" in e).toBe(false);
    expect(pageviewEvent.safeParse(e).success).toBe(true);
  });

  it("cuts strings to the lengths the ingest worker accepts", () => {
    const long = `https://site.test/${"x".repeat(5000)}`;
    const e = pageview(T0, long, long, "t".repeat(2000));
    expect(e.url).toHaveLength(L.maxUrlLength);
    expect(e.referrer).toHaveLength(L.maxReferrerLength);
    expect(e.title).toHaveLength(L.maxTitleLength);
    expect(pageviewEvent.safeParse(e).success).toBe(true);
  });
});
