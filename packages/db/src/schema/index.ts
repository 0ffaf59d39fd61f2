export * from "./sites.ts";
export * from "./stats.ts";
