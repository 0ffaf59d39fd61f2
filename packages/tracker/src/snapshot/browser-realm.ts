/**
 * For tests under happy-dom only; never bundled. Run with happy-dom's
 * `{"settings":{"enableIframePageLoading":true}}`.
 *
 * rrweb-snapshot reads nodes through Node.prototype's getters, taken from a blank iframe's
 * window in case the page patched its own. A browser's getters dispatch on the node; happy-dom
 * defines some per subclass (`textContent` on Text, Element...), which Node.prototype's then
 * miss. Give it a browser's shape: the iframe's window is this one (its blank page loads, so
 * happy-dom logs no refusal), and Node.prototype's getters reach the node's own class.
 */
export function browserRealm(): void {
  Object.defineProperty(HTMLIFrameElement.prototype, "contentWindow", { configurable: true, get: () => window });
  const base = Node.prototype;
  for (const [name, d] of Object.entries(Object.getOwnPropertyDescriptors(base))) {
    const own = d.get;
    if (!own) continue;
    Object.defineProperty(base, name, {
      ...d,
      get(this: Node) {
        for (let p = Object.getPrototypeOf(this); p && p !== base; p = Object.getPrototypeOf(p)) {
          const get = Object.getOwnPropertyDescriptor(p, name)?.get;
          if (get) return get.call(this);
        }
        return own.call(this);
      },
    });
  }
}
