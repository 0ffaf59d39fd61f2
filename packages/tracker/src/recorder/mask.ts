/**
 * What the recorder hides, before anything leaves the page. Inputs are masked (passwords
 * emptied), text that looks personal is masked everywhere, `data-sl-mask` masks all text
 * under it and `data-sl-block` drops an element whole. `data-sl-unmask` shows the text and
 * input values under it, still without personal-looking text and never a password.
 */

/** An email address, or six or more digits in a row (spaces and dashes between them allowed: cards, phones, ids). */
export const PERSONAL = /[\w.%+-]+@[\w-]+(?:\.[\w-]+)+|\d(?:[ -]?\d){5,}/g;

export const MASK_ATTR = "data-sl-mask";
export const UNMASK_ATTR = "data-sl-unmask";
export const BLOCK_SELECTOR = "[data-sl-block]";
const RULE = `[${MASK_ATTR}],[${UNMASK_ATTR}]`;

const stars = (s: string) => s.replace(/\S/g, "*");

export function maskPersonal(text: string): string {
  return text.replace(PERSONAL, stars);
}

/** The nearest mask or unmask mark decides; without one, the site's maskAllText does. */
function masked(el: Element | null, maskAllText: boolean): boolean {
  const mark = el?.closest(RULE);
  return mark ? mark.hasAttribute(MASK_ATTR) : maskAllText;
}

/** rrweb's maskTextFn, with maskTextSelector "*" so that it sees every text node. */
export const maskText =
  (maskAllText: boolean) =>
  (text: string, el: HTMLElement | null): string =>
    masked(el, maskAllText) ? stars(text) : maskPersonal(text);

/** rrweb's maskInputFn; with maskAllInputs rrweb hands it every input value. */
export function maskInput(text: string, el: HTMLElement): string {
  const input = el as HTMLInputElement;
  // rrweb marks a password field that a "show password" button turned into text.
  if (input.type === "password" || el.hasAttribute("data-rr-is-password")) return "";
  const mark = el.closest(RULE);
  return mark?.hasAttribute(UNMASK_ATTR) ? maskPersonal(text) : "*".repeat(text.length);
}

/** The masking rrweb applies, the same for recordings and page snapshots. */
export const maskOptions = (maskAllText: boolean) => ({
  maskAllInputs: true,
  maskInputFn: maskInput,
  maskTextSelector: "*",
  maskTextFn: maskText(maskAllText),
  blockSelector: BLOCK_SELECTOR,
});
