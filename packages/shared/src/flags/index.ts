export * from "./evaluate.ts";
export * from "./hash.ts";
export * from "./public.ts";
export * from "./schema.ts";
