import { describe, expect, it } from "vitest";
import { BoundedMap } from "./index.ts";

describe("BoundedMap", () => {
  it("never holds more than its limit, and starts over when a new key finds it full", () => {
    const m = new BoundedMap<string, number>(3);
    for (const k of ["a", "b", "c"]) m.set(k, 1);
    m.set("a", 2);
    expect([...m.entries()]).toEqual([
      ["a", 2],
      ["b", 1],
      ["c", 1],
    ]);
    m.set("d", 1);
    expect([...m.keys()]).toEqual(["d"]);
    for (let i = 0; i < 100; i++) {
      m.set(`k${i}`, i);
      expect(m.size).toBeLessThanOrEqual(3);
    }
  });
});
