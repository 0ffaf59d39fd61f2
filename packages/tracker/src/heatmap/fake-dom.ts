/** Elements with just what the heatmap capture reads. Used by the *.test.ts files only; never bundled. */
import type { SelectorElement } from "./selector.ts";

export interface FakeElement extends SelectorElement {
  attrs: Record<string, string>;
  children: FakeElement[];
  box: { left: number; top: number; width: number; height: number };
  add(child: FakeElement): FakeElement;
  getBoundingClientRect(): { left: number; top: number; width: number; height: number };
  /** For a list of simple selectors only: `tag`, `tag[attr]`, `[attr]`. */
  closest(selectors: string): FakeElement | null;
}

function matches(el: FakeElement, selectors: string): boolean {
  return selectors.split(",").some((s) => {
    const [, tag, attr] = /^\s*([\w-]*)(?:\[([\w-]+)\])?\s*$/.exec(s) ?? [];
    if (tag === undefined) throw new Error(`fake-dom: no support for "${s}"`);
    return (!tag || el.tagName === tag.toUpperCase()) && (!attr || attr in el.attrs);
  });
}

export function fakeElement(tagName: string, box = { left: 0, top: 0, width: 100, height: 40 }): FakeElement {
  const el: FakeElement = {
    tagName,
    id: "",
    attrs: {},
    children: [],
    box,
    parentElement: null,
    get previousElementSibling() {
      const sibs = (el.parentElement as FakeElement | null)?.children ?? [];
      return sibs[sibs.indexOf(el) - 1] ?? null;
    },
    getAttribute: (name) => el.attrs[name] ?? null,
    add(child) {
      child.parentElement = el;
      el.children.push(child);
      return child;
    },
    getBoundingClientRect: () => el.box,
    closest(selectors) {
      for (let e: FakeElement | null = el; e; e = e.parentElement as FakeElement | null) {
        if (matches(e, selectors)) return e;
      }
      return null;
    },
  };
  return el;
}
