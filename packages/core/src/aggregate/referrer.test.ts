import { DIRECT_REFERRER, MAX_REFERRER_HOST_LENGTH } from "@sightline/shared/wire";
import { describe, expect, it } from "vitest";
import { batchReferrerValue, hostOf, referrerValue } from "./referrer.ts";

const PAGE = "https://shop.example/pricing?plan=pro";

describe("hostOf", () => {
  it("reads the host, lowercased, without port, credentials, trailing dot or www.", () => {
    expect(hostOf("https://www.Google.com/search?q=x")).toBe("google.com");
    expect(hostOf("https://news.ycombinator.com")).toBe("news.ycombinator.com");
    expect(hostOf("http://user:pw@Example.org:8080/a")).toBe("example.org");
    expect(hostOf("https://example.org./")).toBe("example.org");
    expect(hostOf("https://t.co?x")).toBe("t.co");
    expect(hostOf("https://a.example#frag")).toBe("a.example");
    expect(hostOf("https://a.example\\evil.example/x")).toBe("a.example");
    expect(hostOf("android-app://com.google.android.gm/")).toBe("com.google.android.gm");
    expect(hostOf("http://[2001:db8::1]:8080/")).toBe("[2001:db8::1]");
    expect(hostOf("https://www2.example/")).toBe("www2.example");
  });

  it("agrees with the URL parser on ordinary URLs", () => {
    for (const u of [
      "https://a.example/x",
      "http://A.Example:81/",
      "https://sub.a.example?q",
      "https://xn--bcher-kva.example/",
    ]) {
      expect(hostOf(u), u).toBe(new URL(u).hostname);
    }
  });

  it("returns null for what is not an absolute URL with a plausible host", () => {
    for (const u of [
      "",
      "not a url",
      "/relative",
      "https://",
      "https:///x",
      "mailto:a@b.example",
      "https://a b/",
      "https://a..b/",
    ]) {
      expect(hostOf(u), u).toBeNull();
    }
    const label = "a".repeat(60);
    const long = `https://${Array(5).fill(label).join(".")}.example/`;
    expect(hostOf(long)).toBeNull();
    const edge = `${"a.".repeat((MAX_REFERRER_HOST_LENGTH - 1) / 2)}a`;
    expect(edge).toHaveLength(MAX_REFERRER_HOST_LENGTH);
    expect(hostOf(`https://${edge}/`)).toBe(edge);
  });

  it("does not backtrack badly on hostile input", () => {
    const t = performance.now();
    hostOf(`https://${"a".repeat(2_000)}!`);
    hostOf(`https://${"a@".repeat(1_000)}`);
    expect(performance.now() - t).toBeLessThan(50);
  });
});

describe("referrerValue", () => {
  it("is (direct) on a page load without referrer", () => {
    expect(referrerValue(undefined, PAGE)).toBe(DIRECT_REFERRER);
    expect(referrerValue("", PAGE)).toBe(DIRECT_REFERRER);
  });

  it("is the referrer's host when it is another site", () => {
    expect(referrerValue("https://www.google.com/", PAGE)).toBe("google.com");
    expect(referrerValue("https://blog.shop.example/post", PAGE)).toBe("blog.shop.example");
    expect(referrerValue("http://shop.example:8080/", "https://shop.example:8443/")).toBeUndefined();
  });

  it("is absent for same-site referrers (SPA navigation, internal links) and unreadable ones", () => {
    expect(referrerValue("https://shop.example/", PAGE)).toBeUndefined();
    expect(referrerValue("https://SHOP.example/cart?x=1", PAGE)).toBeUndefined();
    expect(referrerValue("https://www.shop.example/", PAGE)).toBeUndefined();
    expect(referrerValue("https://shop.example/", "https://www.shop.example/")).toBeUndefined();
    expect(referrerValue("garbage", PAGE)).toBeUndefined();
  });
});

describe("referrerValue's same-origin shortcut", () => {
  it("agrees with comparing hosts", () => {
    const pages = [
      "https://shop.example/a",
      "https://shop.example",
      "https://shop.example?x",
      "http://shop.example:8080/",
    ];
    const refs = [
      "https://shop.example",
      "https://shop.example/",
      "https://shop.example#top",
      "https://shop.example.evil/",
      "https://shop.exampl/",
      "http://shop.example:8080/x",
      "https://shop.example\\x",
      "https://other.example/",
    ];
    for (const page of pages) {
      for (const ref of refs) {
        const host = hostOf(ref);
        const expected = host === null || host === hostOf(page) ? undefined : host;
        expect(referrerValue(ref, page), `${ref} on ${page}`).toBe(expected);
      }
    }
  });
});

describe("batchReferrerValue", () => {
  it("answers as referrerValue for every event of a batch, repeats included", () => {
    const pages = [
      "https://shop.example/a",
      "https://shop.example/b?x",
      "http://shop.example:8080/",
      "https://blog.example/",
    ];
    const refs = [
      undefined,
      "",
      "https://www.google.com/",
      "https://shop.example/",
      "https://blog.example/p",
      "garbage",
    ];
    const resolve = batchReferrerValue();
    // Every pair twice in a row and then interleaved, so memo hits and misses both happen.
    for (const round of [0, 1]) {
      for (const page of pages) {
        for (const ref of refs) {
          const expected = referrerValue(ref, page);
          expect(resolve(ref, page), `${ref} on ${page} (${round})`).toBe(expected);
          expect(resolve(ref, page), `${ref} on ${page}, repeated`).toBe(expected);
        }
      }
    }
  });
});
