/**
 * The heatmap limits the core tracker uses, as plain constants: esbuild keeps a whole object
 * it cannot prune by property, and HEATMAP_LIMITS is mostly the edge's. limits.test.ts holds
 * them equal to the shared table.
 */
export const HEATMAP_MAX_SELECTOR_LENGTH = 256;
export const RAGE_CLICKS = 3;
export const RAGE_WINDOW_MS = 1_000;
export const RAGE_RADIUS_PX = 30;
/** The wire's page-pixel and viewport-width bounds: a value past them fails its whole batch. */
export const MAX_PAGE_PX = 1_000_000;
export const MAX_VIEWPORT_PX = 10_000;
