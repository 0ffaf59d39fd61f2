/**
 * A CSS selector for a clicked element that survives a responsive layout and a re-render: an
 * id or test attribute where the page gives one, else tag and position among same-tag siblings
 * up to one (or to <body>). Never text or values: they may be personal and they change.
 */
import { HEATMAP_MAX_SELECTOR_LENGTH } from "./limits.ts";

/** What the selector reads of an element (the DOM's own Element in the browser). */
export interface SelectorElement {
  tagName: string;
  id: string;
  parentElement: SelectorElement | null;
  previousElementSibling: SelectorElement | null;
  getAttribute(name: string): string | null;
}

/** Attributes teams put on elements for analytics and tests, in order of trust. */
const ATTRIBUTES = ["data-sl-id", "data-testid", "data-test"];
/** A hand-written id: a letter, then word characters and dashes, with few digits (generated ids are digit-heavy). */
const STABLE = /^[A-Za-z][\w-]*$/;
const stable = (v: string) => STABLE.test(v) && (v.match(/\d/g)?.length ?? 0) < 4;

function segment(el: SelectorElement): string {
  if (el.id && stable(el.id)) return `#${el.id}`;
  for (const a of ATTRIBUTES) {
    const v = el.getAttribute(a);
    if (v && stable(v)) return `[${a}="${v}"]`;
  }
  // Always with its position: 9 bytes of the core cheaper than looking at the later siblings.
  let n = 1;
  for (let s = el.previousElementSibling; s; s = s.previousElementSibling) if (s.tagName === el.tagName) n++;
  return `${el.tagName.toLowerCase()}:nth-of-type(${n})`;
}

/**
 * The element's selector, at most HEATMAP_MAX_SELECTOR_LENGTH characters (the segments nearest
 * the element kept), or undefined for the page itself (<html>, <body>) and for an element whose
 * own segment does not fit.
 */
export function selectorOf(target: SelectorElement): string | undefined {
  const parts: string[] = [];
  let el: SelectorElement | null = target;
  for (; el && el.tagName !== "BODY" && el.tagName !== "HTML"; el = el.parentElement) {
    const s = segment(el);
    parts.unshift(s);
    if (s[0] === "#" || s[0] === "[") break;
  }
  if (parts.length === 0) return undefined;
  // Walked up to <body>: anchor there, so the path matches from the top only.
  if (el?.tagName === "BODY") parts.unshift("body");
  let sel = parts.join(">");
  while (sel.length > HEATMAP_MAX_SELECTOR_LENGTH && parts.length > 1) {
    parts.shift();
    sel = parts.join(">");
  }
  return sel.length > HEATMAP_MAX_SELECTOR_LENGTH ? undefined : sel;
}
