import { describe, expect, it } from "vitest";
import { sessionSampled } from "./sample.ts";

const id = (tail: string) => `01938a7e-4f00-7abc-8def-0000${tail}`;

describe("sessionSampled", () => {
  it("reads the session id's last 32 random bits as a fraction of 2^32", () => {
    expect(sessionSampled(id("00000000"), 1 / 2 ** 32)).toBe(true);
    expect(sessionSampled(id("00000001"), 1 / 2 ** 32)).toBe(false);
    expect(sessionSampled(id("7fffffff"), 0.5)).toBe(true);
    expect(sessionSampled(id("80000000"), 0.5)).toBe(false);
    expect(sessionSampled(id("ffffffff"), 1)).toBe(true);
  });

  it("picks none at 0 and none for an id that is not hex", () => {
    expect(sessionSampled(id("00000000"), 0)).toBe(false);
    expect(sessionSampled("not-a-session-id", 1)).toBe(false);
  });
});
