export * from "./auth/index.ts";
export * from "./errors/index.ts";
export * from "./hash/index.ts";
export * from "./ids/index.ts";
export * from "./limits/index.ts";
export * from "./site/index.ts";
export * from "./wire/index.ts";
