import { describe, expect, it } from "vitest";
import { bucketOf, fnv1a32 } from "../hash/index.ts";
import { newId, uuidv7, uuidv7Floor, uuidv7Time } from "./index.ts";

describe("uuidv7", () => {
  it("is an RFC 9562 version 7 id carrying its time", () => {
    const t = Date.UTC(2026, 10, 30, 12, 0, 0, 123);
    const id = uuidv7(t);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidv7Time(id)).toBe(t);
  });

  it("reads the time in either case, and NaN when a time digit is not hex", () => {
    const t = Date.UTC(2026, 10, 30, 23, 59, 59, 999);
    const id = uuidv7(t);
    expect(uuidv7Time(id.toUpperCase())).toBe(t);
    expect(uuidv7Time("00000000-0000-7000-8000-000000000000")).toBe(0);
    expect(uuidv7Time("ffffffff-ffff-7fff-bfff-ffffffffffff")).toBe(2 ** 48 - 1);
    for (const bad of [`g${id.slice(1)}`, `${id.slice(0, 12)}:${id.slice(13)}`, id.slice(0, 12), ""]) {
      expect(uuidv7Time(bad), bad).toBeNaN();
    }
  });

  it("sorts by time and does not repeat", () => {
    const ids = Array.from({ length: 1000 }, (_, i) => uuidv7(1_700_000_000_000 + i));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("is the same format without randomUUID (plain-http pages)", () => {
    const original = crypto.randomUUID;
    Object.defineProperty(crypto, "randomUUID", { value: undefined, configurable: true });
    try {
      const t = Date.UTC(2026, 0, 1);
      const id = uuidv7(t);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(uuidv7Time(id)).toBe(t);
    } finally {
      Object.defineProperty(crypto, "randomUUID", { value: original, configurable: true });
    }
  });

  it("has a floor that only ids minted earlier sort below", () => {
    const t = Date.UTC(2026, 10, 30, 12);
    const floor = uuidv7Floor(t);
    for (const d of [-86_400_000, -1]) expect(uuidv7(t + d) < floor).toBe(true);
    for (const d of [0, 1, 86_400_000]) expect(uuidv7(t + d) < floor).toBe(false);
    // Including the lowest and highest ids of the millisecond itself.
    const lowest = `${floor}-7000-8000-000000000000`;
    expect(lowest >= floor && `${uuidv7Floor(t - 1)}-7fff-bfff-ffffffffffff` < floor).toBe(true);
  });

  it("makes prefixed ids", () => {
    expect(newId("site")).toMatch(/^site_[0-9a-f]{32}$/);
  });
});

describe("fnv1a32", () => {
  it("matches the reference vectors", () => {
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
  });

  it("buckets stably within range", () => {
    for (const k of ["a", "b", "session-1"]) {
      expect(bucketOf(k, 8)).toBe(bucketOf(k, 8));
      expect(bucketOf(k, 8)).toBeGreaterThanOrEqual(0);
      expect(bucketOf(k, 8)).toBeLessThan(8);
      expect(bucketOf(k, 1)).toBe(0);
    }
  });
});
