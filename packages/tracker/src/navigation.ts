/**
 * Pageviews for single-page apps: history.pushState/replaceState are wrapped and popstate is
 * watched. Only a change of path or query counts; hash changes and state-only updates do not.
 */
export interface NavHost {
  location: { href: string; pathname: string; search: string };
  history: Pick<History, "pushState" | "replaceState">;
  addEventListener(type: "popstate", fn: () => void): void;
}

/** Calls `onPage(previousHref)` after each navigation to a new path or query. */
export function watchNavigation(w: NavHost, onPage: (previousHref: string) => void): void {
  const page = () => w.location.pathname + w.location.search;
  let last = page();
  let href = w.location.href;
  const check = () => {
    if (page() === last) return;
    const prev = href;
    last = page();
    href = w.location.href;
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
}
