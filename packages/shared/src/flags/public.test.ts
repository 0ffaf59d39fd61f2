import { describe, expect, it } from "vitest";
import { publicFlags } from "./public.ts";
import { siteFlagsSchema } from "./schema.ts";

const base = {
  enabled: true,
  variants: { on: true, off: false },
  defaultVariant: "off",
  offVariant: "off",
};

describe("publicFlags", () => {
  const record = siteFlagsSchema.parse({
    version: 7,
    flags: [
      { ...base, key: "plain", description: "internal note" },
      {
        ...base,
        key: "staff-only",
        rules: [
          { conditions: [{ attribute: "country", op: "eq", value: "FR" }], variant: "on" },
          { conditions: [{ attribute: "email", op: "in", value: ["a@example.com"], private: true }], variant: "off" },
        ],
      },
      {
        ...base,
        key: "by-country",
        rules: [{ conditions: [{ attribute: "country", op: "eq", value: "FR", private: false }], variant: "on" }],
      },
      { ...base, key: "killed", enabled: false, heatmaps: true },
    ],
  });

  it("drops every flag with a private condition, whole, and keeps the rest in order", () => {
    expect(publicFlags(record).flags.map((f) => f.key)).toEqual(["plain", "by-country", "killed"]);
  });

  it("keeps the version and leaves descriptions behind", () => {
    const pub = publicFlags(record);
    expect(pub.version).toBe(7);
    expect(pub.flags[0]).not.toHaveProperty("description");
    expect(JSON.stringify(pub)).not.toContain("a@example.com");
    expect(record.flags[0]?.description).toBe("internal note");
  });

  it("keeps a flag's heatmaps setting: the edge splits heat by it", () => {
    expect(publicFlags(record).flags.find((f) => f.key === "killed")?.heatmaps).toBe(true);
  });
});
