import { expect, it } from "vitest";
import { pageKey } from "./page.ts";

it("keys a location by its path, and its hash route only where the site counts them", () => {
  const at = (href: string) => new URL(href);
  expect(pageKey(at("https://site.test/docs?tab=2#intro"), true)).toBe("/docs");
  expect(pageKey(at("https://site.test/#/settings?x=1"), true)).toBe("/#/settings");
  expect(pageKey(at("https://site.test/#!/settings#top"), true)).toBe("/#!/settings");
  expect(pageKey(at("https://site.test/#/settings"), false)).toBe("/");
});
