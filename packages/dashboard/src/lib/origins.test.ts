import { describe, expect, it } from "vitest";
import { formatOrigins, parseOrigins } from "./origins.ts";

describe("parseOrigins", () => {
  it("takes one per line or comma-separated, normalised and deduplicated", () => {
    expect(parseOrigins("https://Example.com\nhttp://localhost:8789, https://example.com/\n\n")).toEqual({
      origins: ["https://example.com", "http://localhost:8789"],
      errors: [],
    });
  });

  it("drops default ports as browsers do", () => {
    expect(parseOrigins("https://example.com:443").origins).toEqual(["https://example.com"]);
  });

  it("explains each entry that is not an origin", () => {
    const { origins, errors } = parseOrigins("example.com\nhttps://example.com/shop\nftp://x.test\nhttps://");
    expect(origins).toEqual([]);
    expect(errors).toHaveLength(4);
    expect(errors[0]).toMatch(/^example\.com: start it with https:\/\//);
    expect(errors[1]).toMatch(/only the scheme, host and port, such as https:\/\/example\.com/);
  });

  it("is empty for an empty field", () => {
    expect(parseOrigins("  \n ")).toEqual({ origins: [], errors: [] });
  });

  it("formats one per line", () => {
    expect(formatOrigins(["https://a.test", "https://b.test"])).toBe("https://a.test\nhttps://b.test");
  });
});
