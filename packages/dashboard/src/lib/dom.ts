/**
 * A tiny element builder. Text always goes in through textContent, so nothing the API or a
 * user typed is ever parsed as HTML.
 */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Array<Child | Child[]>
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, ""), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Array<Child | Child[]>): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Element): void {
  el.replaceChildren();
}

/** A labelled form field: label, control, optional hint tied by aria-describedby. */
export function field(
  id: string,
  label: string,
  control: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement,
  hint?: string,
): HTMLDivElement {
  control.id = id;
  const hintEl = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hintEl);
}

/** A message box that screen readers announce; empty and hidden until it has something to say. */
export function messageBox(kind: "error" | "success" | "info" = "error"): {
  el: HTMLDivElement;
  show(text: string, detail?: string): void;
  hide(): void;
} {
  const el = h("div", {
    class: `message message-${kind}`,
    role: kind === "error" ? "alert" : "status",
    hidden: true,
  });
  return {
    el,
    show(text, detail) {
      el.replaceChildren(h("p", {}, text));
      if (detail) el.append(h("p", { class: "message-detail" }, detail));
      el.hidden = false;
    },
    hide() {
      el.replaceChildren();
      el.hidden = true;
    },
  };
}

/** Disables a form's submit button while work is in flight, and says so. */
export async function busy<T>(button: HTMLButtonElement, label: string, work: () => Promise<T>): Promise<T> {
  const original = button.textContent ?? "";
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = label;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = original;
  }
}
