import { describe, expect, it } from "vitest";
import { FLAG_LIMITS } from "../limits/flags.ts";
import { LIMITS } from "../limits/index.ts";
import { flagSchema, siteFlagsSchema } from "./schema.ts";

const rule = { conditions: [{ attribute: "country", op: "in", value: ["FR", "DE"] }], variant: "a" };
const valid = {
  key: "new-checkout",
  description: "The one-page checkout.",
  enabled: true,
  variants: { control: "old", a: "new" },
  defaultVariant: "control",
  offVariant: "control",
  rollout: { weights: { control: 5_000, a: 5_000 } },
  rules: [
    rule,
    { conditions: [{ attribute: "device", op: "eq", value: "mobile" }], split: { control: 2_500, a: 7_500 } },
  ],
};

const refuses = (fields: Record<string, unknown>) =>
  expect(flagSchema.safeParse({ ...valid, ...fields }).success).toBe(false);

describe("flagSchema", () => {
  it("takes a whole flag and fills in the defaults", () => {
    const f = flagSchema.parse(valid);
    expect(f.rollout?.percentage).toBe(100);
    expect(f.seed).toBeUndefined();
    expect(flagSchema.parse({ ...valid, rules: undefined, rollout: undefined }).rules).toEqual([]);
  });

  it("takes a boolean flag as variants on and off", () => {
    expect(
      flagSchema.safeParse({
        key: "beta",
        enabled: true,
        variants: { on: true, off: false },
        defaultVariant: "off",
        offVariant: "off",
      }).success,
    ).toBe(true);
  });

  it("takes heatmaps as a boolean, absent unless sent", () => {
    expect(flagSchema.parse(valid).heatmaps).toBeUndefined();
    expect(flagSchema.parse({ ...valid, heatmaps: true }).heatmaps).toBe(true);
    refuses({ heatmaps: "yes" });
    // A flag with private targeting never reaches a page, so it could split nothing.
    const privateRule = {
      conditions: [{ attribute: "email", op: "eq", value: "ada@shop.example", private: true }],
      variant: valid.defaultVariant,
    };
    expect(flagSchema.parse({ ...valid, rules: [privateRule] }).rules).toHaveLength(1);
    refuses({ heatmaps: true, rules: [privateRule] });
  });

  it("refuses a bad key", () => {
    for (const key of ["", "New-Checkout", "-checkout", "check out", "a".repeat(FLAG_LIMITS.maxKeyLength + 1)])
      refuses({ key });
    expect(flagSchema.safeParse({ ...valid, key: "a".repeat(FLAG_LIMITS.maxKeyLength) }).success).toBe(true);
  });

  it("refuses split weights that do not sum to 10,000 basis points", () => {
    refuses({ rollout: { weights: { control: 5_000, a: 4_999 } } });
    refuses({ rollout: { weights: { control: 5_000.5, a: 4_999.5 } } });
    refuses({ rules: [{ ...rule, variant: undefined, split: { control: 10_000, a: 1 } }] });
  });

  it("refuses a variant name the flag does not have, wherever it is named", () => {
    refuses({ defaultVariant: "b" });
    refuses({ offVariant: "constructor" });
    refuses({ rollout: { weights: { control: 5_000, b: 5_000 } } });
    refuses({ rules: [{ ...rule, variant: "b" }] });
    refuses({ rules: [{ ...rule, variant: undefined, split: { control: 5_000, b: 5_000 } }] });
  });

  it("refuses variants of mixed types, too many, none, or too large", () => {
    refuses({ variants: { control: "old", a: 1 } });
    refuses({ variants: { control: { v: 1 }, a: true } });
    refuses({ variants: {} });
    refuses({
      variants: Object.fromEntries(Array.from({ length: FLAG_LIMITS.maxVariants + 1 }, (_, i) => [`v${i}`, i])),
      defaultVariant: "v0",
      offVariant: "v0",
      rollout: undefined,
      rules: [],
    });
    refuses({ variants: { control: "x".repeat(FLAG_LIMITS.maxVariantBytes), a: "new" } });
    refuses({ variants: { control: "old", "Bad name": "new" } });
  });

  it("refuses too many rules, and too many conditions in one", () => {
    refuses({ rules: Array.from({ length: FLAG_LIMITS.maxRules + 1 }, () => rule) });
    expect(
      flagSchema.safeParse({ ...valid, rules: Array.from({ length: FLAG_LIMITS.maxRules }, () => rule) }).success,
    ).toBe(true);
    refuses({
      rules: [
        { ...rule, conditions: Array.from({ length: FLAG_LIMITS.maxConditionsPerRule + 1 }, () => rule.conditions[0]) },
      ],
    });
    refuses({ rules: [{ ...rule, conditions: [] }] });
  });

  it("refuses a rule with both a variant and a split, or neither", () => {
    refuses({ rules: [{ ...rule, split: { control: 10_000 } }] });
    refuses({ rules: [{ conditions: rule.conditions }] });
  });

  it("refuses conditions whose value does not fit the operator", () => {
    const condition = (c: Record<string, unknown>) => refuses({ rules: [{ ...rule, conditions: [c] }] });
    condition({ attribute: "visits", op: "gt", value: "3" });
    condition({ attribute: "path", op: "startsWith", value: 3 });
    condition({ attribute: "country", op: "in", value: "FR" });
    condition({ attribute: "country", op: "in", value: [] });
    condition({
      attribute: "country",
      op: "in",
      value: Array.from({ length: FLAG_LIMITS.maxListValues + 1 }, (_, i) => i),
    });
    condition({ attribute: "country", op: "matches", value: "F." });
    condition({ attribute: "device", op: "eq", value: "Mobile" });
    condition({ attribute: "device", op: "notIn", value: ["mobile", "phone"] });
    condition({ attribute: "", op: "eq", value: "x" });
    condition({ attribute: "a".repeat(FLAG_LIMITS.maxAttributeLength + 1), op: "eq", value: "x" });
  });

  it("refuses a percentage outside 0..100 and an overlong description", () => {
    refuses({ rollout: { weights: { control: 10_000 }, percentage: 101 } });
    refuses({ rollout: { weights: { control: 10_000 }, percentage: -1 } });
    refuses({ description: "x".repeat(FLAG_LIMITS.maxDescriptionLength + 1) });
  });
});

describe("siteFlagsSchema", () => {
  it("takes up to the limit of flags, with unique keys", () => {
    const flags = (n: number) => Array.from({ length: n }, (_, i) => ({ ...valid, key: `flag-${i}` }));
    expect(siteFlagsSchema.safeParse({ version: 1, flags: flags(FLAG_LIMITS.maxFlagsPerSite) }).success).toBe(true);
    expect(siteFlagsSchema.safeParse({ version: 1, flags: flags(FLAG_LIMITS.maxFlagsPerSite + 1) }).success).toBe(
      false,
    );
    expect(siteFlagsSchema.safeParse({ version: 1, flags: [valid, valid] }).success).toBe(false);
  });

  it("refuses a record over maxRecordBytes", () => {
    const list = Array.from({ length: FLAG_LIMITS.maxListValues }, (_, i) =>
      `${i}`.padStart(FLAG_LIMITS.maxConditionValueLength, "0"),
    );
    const heavy = { ...valid, rules: [{ ...rule, conditions: [{ attribute: "id", op: "in", value: list }] }] };
    const flags = Array.from({ length: 5 }, (_, i) => ({ ...heavy, key: `flag-${i}` }));
    expect(siteFlagsSchema.safeParse({ version: 1, flags }).success).toBe(false);
    expect(siteFlagsSchema.safeParse({ version: 1, flags: flags.slice(0, 3) }).success).toBe(true);
  });

  it(`lets at most ${FLAG_LIMITS.maxHeatmapFlags} flags split heatmaps by variant`, () => {
    const flags = (on: number) =>
      Array.from({ length: FLAG_LIMITS.maxHeatmapFlags + 2 }, (_, i) => ({
        ...valid,
        key: `flag-${i}`,
        ...(i < on ? { heatmaps: true } : i === on ? { heatmaps: false } : {}),
      }));
    expect(siteFlagsSchema.safeParse({ version: 1, flags: flags(FLAG_LIMITS.maxHeatmapFlags) }).success).toBe(true);
    expect(siteFlagsSchema.safeParse({ version: 1, flags: flags(FLAG_LIMITS.maxHeatmapFlags + 1) }).success).toBe(
      false,
    );
  });

  it("is in the LIMITS table as flags", () => {
    expect(LIMITS.flags).toBe(FLAG_LIMITS);
  });
});
