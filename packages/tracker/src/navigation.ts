/**
 * Pageviews for single-page apps: history.pushState/replaceState are wrapped, popstate and
 * hashchange are watched. A change of path or query counts, and, with `hashRoutes`, a change
 * of a route-like fragment (`#/…`, `#!/…`). A plain anchor (`#top`, or `#/docs#top` after a
 * route) never counts: the page stays the one it was on. State-only updates do not count either.
 */
export interface NavHost {
  location: { href: string; pathname: string; search: string; hash: string };
  history: Pick<History, "pushState" | "replaceState">;
  addEventListener(type: "popstate" | "hashchange", fn: () => void): void;
}

/** Calls `onPage(previousHref)` after each navigation to a new page. */
export function watchNavigation(w: NavHost, onPage: (previousHref: string) => void, hashRoutes = false): void {
  const l = w.location;
  let path = "";
  let route = "";
  const page = () => {
    const p = l.pathname + l.search;
    // Another path starts without a route unless it names one; an anchor keeps the current one.
    if (p !== path) route = "";
    path = p;
    // A route ends where an anchor of its own starts (`#/docs#intro`); no fragment is no route.
    const r = /^(#!?\/[^#]*|$)/.exec(l.hash);
    if (hashRoutes && r) route = r[0];
    return p + route;
  };
  let last = page();
  let href = l.href;
  // A fragment navigation (link, back, forward) fires popstate, then hashchange: the second finds no change.
  const check = () => {
    const now = page();
    if (now === last) return;
    last = now;
    const prev = href;
    href = l.href;
    onPage(prev);
  };
  const h = w.history;
  for (const m of ["pushState", "replaceState"] as const) {
    const original = h[m];
    h[m] = function (this: History, ...args: Parameters<History["pushState"]>) {
      original.apply(this, args);
      check();
    };
  }
  w.addEventListener("popstate", check);
  w.addEventListener("hashchange", check);
}
