import { describe, expect, it } from "vitest";
import { countryOf } from "./country.ts";

describe("countryOf", () => {
  it("keeps Cloudflare's two-letter codes and calls anything else unknown", () => {
    expect(countryOf("DE")).toBe("DE");
    expect(countryOf("T1")).toBe("T1");
    expect(countryOf("XX")).toBe("XX");
    for (const v of [undefined, null, "", "de", "DEU", "unknown", 49]) expect(countryOf(v), String(v)).toBe("unknown");
  });
});
