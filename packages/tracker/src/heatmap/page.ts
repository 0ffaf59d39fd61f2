/**
 * The page a location stands for, as the edge keys heatmaps and snapshots (`pagePath` in
 * @sightline/shared/wire, which the chunks cannot import without zod): the path, and with the
 * site's `hashRoutes` a route-like fragment up to its query or anchor. Never the query.
 */
export const pageKey = (l: { pathname: string; hash: string }, hashRoutes: boolean): string =>
  l.pathname + (hashRoutes ? (/^#!?\/[^?#]*/.exec(l.hash)?.[0] ?? "") : "");
