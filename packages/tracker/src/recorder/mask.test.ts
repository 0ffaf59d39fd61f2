import { describe, expect, it } from "vitest";
import { maskInput, maskPersonal, maskText } from "./mask.ts";

interface FakeEl {
  type?: string;
  attrs: Record<string, string>;
  parent?: FakeEl;
  hasAttribute(a: string): boolean;
  closest(sel: string): unknown;
}

/** Just enough of an element: attributes, and closest() over a chain of ancestors. */
function el(attrs: Record<string, string> = {}, parent?: FakeEl, type?: string): FakeEl {
  const node: FakeEl = {
    type,
    attrs,
    parent,
    hasAttribute: (a: string) => a in attrs,
    closest(sel: string): unknown {
      const names = [...sel.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1] ?? "");
      for (let n: FakeEl | undefined = node; n; n = n.parent) {
        if (names.some((a) => a in n.attrs)) return n;
      }
      return null;
    },
  };
  return node;
}
const as = (e: FakeEl) => e as unknown as HTMLElement;

describe("maskPersonal", () => {
  it.each([
    ["write to ada.lovelace+news@example.co.uk today", `write to ${"*".repeat(31)} today`],
    ["card 4242 4242 4242 4242 ok", "card **** **** **** **** ok"],
    ["call 555-123-4567", "call ************"],
    ["order 1234567", "order *******"],
    ["12345 people, 3 days, 2026", "12345 people, 3 days, 2026"],
    ["no@tld and plain words", "no@tld and plain words"],
  ])("%s", (text, masked) => {
    expect(maskPersonal(text)).toBe(masked);
  });
});

describe("maskText", () => {
  const plain = maskText(false);
  it("masks personal-looking text only, by default", () => {
    expect(plain("Hello ada@example.com", as(el()))).toBe("Hello ***************");
    expect(plain("Hello there", null)).toBe("Hello there");
  });
  it("masks all text under data-sl-mask, and everything when the site masks all text", () => {
    expect(plain("Hello there", as(el({}, el({ "data-sl-mask": "" }))))).toBe("***** *****");
    expect(maskText(true)("Hello there", as(el()))).toBe("***** *****");
  });
  it("lets the nearest data-sl-unmask show text, still without personal-looking parts", () => {
    const unmasked = el({ "data-sl-unmask": "" }, el({ "data-sl-mask": "" }));
    expect(plain("Hi ada@example.com", as(unmasked))).toBe("Hi ***************");
    expect(maskText(true)("Hi there", as(el({}, unmasked)))).toBe("Hi there");
  });
});

describe("maskInput", () => {
  it("masks every value, and empties passwords", () => {
    expect(maskInput("secret words", as(el({}, undefined, "text")))).toBe("************");
    expect(maskInput("hunter2", as(el({}, undefined, "password")))).toBe("");
    expect(maskInput("hunter2", as(el({ "data-rr-is-password": "true" }, undefined, "text")))).toBe("");
  });
  it("shows a value under data-sl-unmask without its personal-looking parts, but never a password", () => {
    const area = el({ "data-sl-unmask": "" });
    expect(maskInput("Berlin, ada@example.com", as(el({}, area, "text")))).toBe("Berlin, ***************");
    expect(maskInput("hunter2", as(el({}, area, "password")))).toBe("");
  });
});
