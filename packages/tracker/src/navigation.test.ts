import { describe, expect, it } from "vitest";
import { fakeHost } from "./fakes.ts";
import { watchNavigation } from "./navigation.ts";

function setup(href = "https://site.test/a?x=1") {
  const { host, emit, go } = fakeHost({ href });
  const seen: { url: string; prev: string }[] = [];
  watchNavigation(host, (prev) => seen.push({ url: host.location.href, prev }));
  return { h: host.history, emit, go, seen };
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
