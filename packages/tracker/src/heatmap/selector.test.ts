import { describe, expect, it } from "vitest";
import { type FakeElement, fakeElement } from "./fake-dom.ts";
import { HEATMAP_MAX_SELECTOR_LENGTH } from "./limits.ts";
import { selectorOf } from "./selector.ts";

/** body > main > section*2 > (p, button*2) */
function page(): { body: FakeElement; main: FakeElement; buttons: FakeElement[] } {
  const body = fakeElement("BODY");
  const main = body.add(fakeElement("MAIN"));
  main.add(fakeElement("SECTION"));
  const section = main.add(fakeElement("SECTION"));
  section.add(fakeElement("P"));
  const buttons = [section.add(fakeElement("BUTTON")), section.add(fakeElement("BUTTON"))];
  return { body, main, buttons };
}

describe("selectorOf", () => {
  it("walks tag and position among same-tag siblings up to <body>", () => {
    const { buttons } = page();
    expect(selectorOf(buttons[1] as FakeElement)).toBe(
      "body>main:nth-of-type(1)>section:nth-of-type(2)>button:nth-of-type(2)",
    );
  });

  it("starts at the nearest stable id or test attribute, and ignores generated-looking ids", () => {
    const { main, buttons } = page();
    main.id = "content";
    expect(selectorOf(buttons[0] as FakeElement)).toBe("#content>section:nth-of-type(2)>button:nth-of-type(1)");
    (buttons[0] as FakeElement).attrs["data-testid"] = "buy-now";
    expect(selectorOf(buttons[0] as FakeElement)).toBe('[data-testid="buy-now"]');
    (buttons[1] as FakeElement).id = "ember1234";
    expect(selectorOf(buttons[1] as FakeElement)).toBe("#content>section:nth-of-type(2)>button:nth-of-type(2)");
    (buttons[1] as FakeElement).id = "buy";
    expect(selectorOf(buttons[1] as FakeElement)).toBe("#buy");
    // A value that would need escaping, or carries text, is not used.
    (buttons[0] as FakeElement).attrs["data-testid"] = 'a"]>x';
    expect(selectorOf(buttons[0] as FakeElement)).toBe("#content>section:nth-of-type(2)>button:nth-of-type(1)");
  });

  it("uses data-sl-id before data-testid before data-test", () => {
    const { buttons } = page();
    const b = buttons[1] as FakeElement;
    b.attrs["data-test"] = "checkout";
    expect(selectorOf(b)).toBe('[data-test="checkout"]');
    b.attrs["data-testid"] = "checkout-id";
    expect(selectorOf(b)).toBe('[data-testid="checkout-id"]');
    b.attrs["data-sl-id"] = "cta";
    expect(selectorOf(b)).toBe('[data-sl-id="cta"]');
  });

  it("has no selector for the page itself", () => {
    const { body } = page();
    expect(selectorOf(body)).toBeUndefined();
  });

  it(`keeps the segments nearest the element within ${HEATMAP_MAX_SELECTOR_LENGTH} characters`, () => {
    let el = fakeElement("BODY");
    for (let i = 0; i < 100; i++) el = el.add(fakeElement("DIV"));
    const sel = selectorOf(el) ?? "";
    expect(sel.length).toBeLessThanOrEqual(HEATMAP_MAX_SELECTOR_LENGTH);
    // Whole segments only (19 characters with the ">"), as many as fit.
    expect(sel.length).toBeGreaterThan(HEATMAP_MAX_SELECTOR_LENGTH - 19);
    expect(sel.startsWith("div:nth-of-type(1)")).toBe(true);
    const long = fakeElement("BODY").add(fakeElement("X".repeat(HEATMAP_MAX_SELECTOR_LENGTH + 1)));
    expect(selectorOf(long)).toBeUndefined();
    const fits = fakeElement("BODY").add(fakeElement("Y".repeat(HEATMAP_MAX_SELECTOR_LENGTH)));
    expect(selectorOf(fits)).toBeUndefined();
    const exact = fakeElement("BODY").add(fakeElement("Y".repeat(HEATMAP_MAX_SELECTOR_LENGTH - 15)));
    expect(selectorOf(exact)).toBe(`${"y".repeat(HEATMAP_MAX_SELECTOR_LENGTH - 15)}:nth-of-type(1)`);
  });
});
