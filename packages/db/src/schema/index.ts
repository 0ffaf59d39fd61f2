export * from "./accounts.ts";
export * from "./flags.ts";
export * from "./heatmaps.ts";
export * from "./recordings.ts";
export * from "./sites.ts";
export * from "./stats.ts";
