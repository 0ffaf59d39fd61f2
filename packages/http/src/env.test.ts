import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseEnv } from "./env.ts";

describe("parseEnv", () => {
  it("validates one env object against several schemas independently", () => {
    const env = { A: "a", DATABASE_URL: "postgresql://x" };
    const first = z.object({ A: z.string() });
    const second = z.object({ DATABASE_URL: z.string() });
    expect(parseEnv(first, env)).toEqual({ A: "a" });
    expect(parseEnv(second, env)).toEqual({ DATABASE_URL: "postgresql://x" });
  });

  it("names the missing variable and never its value", () => {
    const schema = z.object({ DATABASE_URL: z.string().regex(/^postgres:/), TOKEN: z.string() });
    expect(() => parseEnv(schema, { DATABASE_URL: "mysql://hunter2" })).toThrowError(/DATABASE_URL, TOKEN/);
    try {
      parseEnv(schema, { DATABASE_URL: "mysql://hunter2" });
    } catch (err) {
      expect(String(err)).not.toContain("hunter2");
      expect(err).toMatchObject({ code: "BAD_ENVIRONMENT", status: 500 });
    }
  });
});
