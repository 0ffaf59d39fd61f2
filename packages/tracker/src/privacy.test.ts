import { describe, expect, it } from "vitest";
import { optedOut } from "./privacy.ts";

describe("optedOut", () => {
  it("honours Global Privacy Control whatever the site chose", () => {
    expect(optedOut({ navigator: { globalPrivacyControl: true } }, true)).toBe(true);
    expect(optedOut({ navigator: { globalPrivacyControl: true } }, false)).toBe(true);
  });

  it("honours Do-Not-Track from navigator or window when the site respects it", () => {
    expect(optedOut({ navigator: { doNotTrack: "1" } }, true)).toBe(true);
    expect(optedOut({ navigator: {}, doNotTrack: "1" }, true)).toBe(true);
    expect(optedOut({ navigator: { doNotTrack: "1" } }, false)).toBe(false);
  });

  it("tracks when no signal is set", () => {
    expect(optedOut({ navigator: {} }, true)).toBe(false);
    expect(optedOut({ navigator: { globalPrivacyControl: false, doNotTrack: "0" }, doNotTrack: null }, true)).toBe(
      false,
    );
    expect(optedOut({ navigator: { doNotTrack: "unspecified" } }, true)).toBe(false);
  });
});
