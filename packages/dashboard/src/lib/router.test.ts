import { FLAG_LIMITS } from "@sightline/shared/limits/flags";
import { describe, expect, it } from "vitest";
import { matchRoute, paths, safeNext, tokenFromHash } from "./router.ts";

describe("matchRoute", () => {
  it("names every view", () => {
    expect(matchRoute("/")).toEqual({ name: "home" });
    expect(matchRoute("/setup")).toEqual({ name: "setup" });
    expect(matchRoute("/sites/")).toEqual({ name: "sites" });
    expect(matchRoute("/sites/site_01abc")).toEqual({
      name: "overview",
      siteId: "site_01abc",
      range: { preset: "7d" },
    });
    expect(matchRoute("/sites/site_01abc", "?range=24h")).toEqual({
      name: "overview",
      siteId: "site_01abc",
      range: { preset: "24h" },
    });
    expect(matchRoute("/sites/site_01abc", "?range=1y")).toMatchObject({ range: { preset: "7d" } });
    expect(matchRoute("/sites/site_01abc", "?from=2026-11-01&to=2026-11-30")).toMatchObject({
      range: { from: "2026-11-01", to: "2026-11-30" },
    });
    expect(matchRoute("/sites/site_01abc/settings")).toEqual({ name: "settings", siteId: "site_01abc" });
    expect(matchRoute("/sites/site_01abc/recordings", "?device=mobile")).toEqual({
      name: "recordings",
      siteId: "site_01abc",
      search: "?device=mobile",
    });
    expect(matchRoute("/sites/site_01abc/recordings/01934f2a-7c1e-7b3d")).toEqual({
      name: "recording",
      siteId: "site_01abc",
      recordingId: "01934f2a-7c1e-7b3d",
    });
    expect(matchRoute("/sites/site_01abc/recordings/a%2Fb")).toEqual({ name: "not-found" });
    expect(paths.recordings("site_1", "page=%2Fa")).toBe("/sites/site_1/recordings?page=%2Fa");
    expect(paths.recording("site_1", "rec-1")).toBe("/sites/site_1/recordings/rec-1");
    expect(matchRoute("/sites/site_01abc/heatmaps", "?path=%2F&type=scroll")).toEqual({
      name: "heatmaps",
      siteId: "site_01abc",
      search: "?path=%2F&type=scroll",
    });
    expect(paths.heatmaps("site_1", "path=%2Fa&device=mobile")).toBe("/sites/site_1/heatmaps?path=%2Fa&device=mobile");
    expect(matchRoute("/sites/site_01abc/flags")).toEqual({ name: "flags", siteId: "site_01abc" });
    expect(matchRoute("/sites/site_01abc/flags/new-checkout.v2")).toEqual({
      name: "flag",
      siteId: "site_01abc",
      key: "new-checkout.v2",
    });
    expect(matchRoute("/sites/site_01abc/flags/_new")).toEqual({ name: "flag", siteId: "site_01abc", key: null });
    // "new" is a key like any other: the form for a new flag is at _new, which no key can be.
    expect(matchRoute("/sites/site_01abc/flags/new")).toEqual({ name: "flag", siteId: "site_01abc", key: "new" });
    expect(matchRoute(`/sites/s/flags/${"a".repeat(FLAG_LIMITS.maxKeyLength)}`)).toMatchObject({ name: "flag" });
    expect(matchRoute(`/sites/s/flags/${"a".repeat(FLAG_LIMITS.maxKeyLength + 1)}`)).toEqual({ name: "not-found" });
    expect(matchRoute("/sites/s/flags/Upper")).toEqual({ name: "not-found" });
    expect(paths.flags("site_1")).toBe("/sites/site_1/flags");
    expect(paths.flag("site_1", "new-checkout")).toBe("/sites/site_1/flags/new-checkout");
    expect(paths.flag("site_1", null)).toBe("/sites/site_1/flags/_new");
    expect(matchRoute("/pipeline")).toEqual({ name: "pipeline" });
    expect(matchRoute("/pipeline/")).toEqual({ name: "pipeline" });
    expect(matchRoute("/sites/a/b/c")).toEqual({ name: "not-found" });
    expect(matchRoute("/sites/%3Cscript%3E")).toEqual({ name: "not-found" });
  });

  it("carries a safe next path through login", () => {
    expect(matchRoute("/login", "?next=%2Fsites%2Fx")).toEqual({ name: "login", next: "/sites/x" });
    expect(matchRoute("/login", "?next=https://evil.test")).toEqual({ name: "login", next: null });
  });
});

describe("safeNext", () => {
  it("allows only paths on this origin", () => {
    expect(safeNext("/sites/x?range=24h")).toBe("/sites/x?range=24h");
    for (const bad of [
      "//evil.test",
      "/\\evil.test",
      "https://evil.test",
      "javascript:alert(1)",
      "",
      null,
      "/login",
      "/setup",
    ]) {
      expect(safeNext(bad), String(bad)).toBeNull();
    }
  });
});

describe("paths", () => {
  it("builds the UI's URLs", () => {
    expect(paths.overview("site_1")).toBe("/sites/site_1");
    expect(paths.overview("site_1", { preset: "30d" })).toBe("/sites/site_1?range=30d");
    expect(paths.overview("site_1", { preset: "7d" })).toBe("/sites/site_1");
    expect(paths.overview("site_1", { from: "2026-11-01", to: "2026-11-30" })).toBe(
      "/sites/site_1?from=2026-11-01&to=2026-11-30",
    );
    expect(paths.settings("site_1")).toBe("/sites/site_1/settings");
    expect(paths.pipeline()).toBe("/pipeline");
    expect(paths.login("/sites/site_1")).toBe("/login?next=%2Fsites%2Fsite_1");
  });
});

describe("tokenFromHash", () => {
  it("reads the setup token from the fragment", () => {
    expect(tokenFromHash("#token=abc-DEF_123")).toBe("abc-DEF_123");
    expect(tokenFromHash("#other=1&token=xyz")).toBe("xyz");
    expect(tokenFromHash("")).toBeNull();
    expect(tokenFromHash("#token=")).toBeNull();
  });
});
