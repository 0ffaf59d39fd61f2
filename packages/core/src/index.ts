export * from "./aggregate/index.ts";
export * from "./auth/index.ts";
export * from "./ratelimit/index.ts";
