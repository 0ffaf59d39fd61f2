import { describe, expect, it } from "vitest";
import { fakeHost } from "./fakes.ts";
import { watchNavigation } from "./navigation.ts";

function setup(href = "https://site.test/a?x=1", hashRoutes = false) {
  const { host, emit, go } = fakeHost({ href });
  const seen: { url: string; prev: string }[] = [];
  watchNavigation(host, (prev) => seen.push({ url: host.location.href, prev }), hashRoutes);
  /** A fragment navigation as Chromium does it (link, back, forward): popstate, then hashchange. */
  const hop = (to: string) => {
    go(to);
    emit("popstate");
    emit("hashchange");
  };
  return { h: host.history, emit, go, hop, seen };
}

describe("watchNavigation", () => {
  it("reports pushState to a new path with the previous page as referrer", () => {
    const { h, seen } = setup();
    h.pushState({}, "", "/b");
    h.pushState({}, "", "/c");
    expect(seen).toEqual([
      { url: "https://site.test/b", prev: "https://site.test/a?x=1" },
      { url: "https://site.test/c", prev: "https://site.test/b" },
    ]);
  });

  it("counts a query change but not a hash change or a state-only update", () => {
    const { h, seen } = setup();
    h.replaceState({ scroll: 1 }, "");
    h.replaceState({}, "", "/a?x=1");
    h.pushState({}, "", "/a?x=1#section");
    expect(seen).toHaveLength(0);
    h.replaceState({}, "", "/a?x=2");
    expect(seen.map((s) => s.url)).toEqual(["https://site.test/a?x=2"]);
  });

  it("reports back/forward through popstate, once per page", () => {
    const { h, emit, go, seen } = setup();
    h.pushState({}, "", "/b");
    go("/a?x=1");
    emit("popstate");
    emit("popstate");
    expect(seen).toEqual([
      { url: "https://site.test/b", prev: "https://site.test/a?x=1" },
      { url: "https://site.test/a?x=1", prev: "https://site.test/b" },
    ]);
  });

  it("counts no fragment change at all without hashRoutes", () => {
    const { h, hop, seen } = setup("https://site.test/app", false);
    hop("#/active");
    h.pushState({}, "", "#!/completed");
    hop("#top");
    expect(seen).toHaveLength(0);
  });

  describe("with hashRoutes", () => {
    it("counts each route change once, though popstate and hashchange both fire", () => {
      const { h, hop, seen } = setup("https://site.test/app", true);
      hop("#/");
      hop("#/active");
      h.pushState({}, "", "#!/completed");
      hop("#/active");
      expect(seen).toEqual([
        { url: "https://site.test/app#/", prev: "https://site.test/app" },
        { url: "https://site.test/app#/active", prev: "https://site.test/app#/" },
        { url: "https://site.test/app#!/completed", prev: "https://site.test/app#/active" },
        { url: "https://site.test/app#/active", prev: "https://site.test/app#!/completed" },
      ]);
    });

    it("never counts a plain anchor, to it or back from it to the same route", () => {
      const { h, hop, seen } = setup("https://site.test/app#/a", true);
      hop("#section");
      hop("#top");
      h.replaceState({}, "", "#");
      h.pushState({}, "", "#/a");
      hop("#/a#x");
      hop("#section");
      hop("#/a");
      expect(seen).toEqual([
        // Dropping the fragment altogether leaves the route: the app's root.
        { url: "https://site.test/app#", prev: "https://site.test/app#/a" },
        { url: "https://site.test/app#/a", prev: "https://site.test/app#" },
      ]);
    });

    it("treats a plain anchor on another path as that path without a route", () => {
      const { h, hop, seen } = setup("https://site.test/app#/a", true);
      h.pushState({}, "", "/docs#intro");
      hop("#/guide");
      expect(seen.map((s) => s.url)).toEqual(["https://site.test/docs#intro", "https://site.test/docs#/guide"]);
    });
  });

  it("still performs the original history call", () => {
    const calls: unknown[][] = [];
    const { host } = fakeHost({});
    const original = host.history.pushState;
    host.history.pushState = (...args) => {
      calls.push(args);
      original(...args);
    };
    watchNavigation(host, () => {});
    host.history.pushState({ n: 1 }, "", "/next");
    expect(calls).toEqual([[{ n: 1 }, "", "/next"]]);
    expect(host.location.pathname).toBe("/next");
  });
});
