import { LIMITS } from "@sightline/shared/limits";
import { describe, expect, it } from "vitest";
import { mergePages } from "./recording.ts";

describe("mergePages", () => {
  it("keeps distinct pages in first-seen order", () => {
    expect(mergePages(["/", "/a", "/"], ["/b", "/a", "/c"])).toEqual(["/", "/a", "/b", "/c"]);
  });

  it("stops at maxPagesPerRecording", () => {
    const many = Array.from({ length: 80 }, (_, i) => `/p${i}`);
    const merged = mergePages(["/first"], many);
    expect(merged).toHaveLength(LIMITS.recording.maxPagesPerRecording);
    expect(merged[0]).toBe("/first");
  });
});
