/** A site's feature flags in Postgres (the source of truth) and their audit log; writes publish to the edge. */
export * from "./query.ts";
export * from "./write.ts";
