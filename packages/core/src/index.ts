export * from "./aggregate/index.ts";
