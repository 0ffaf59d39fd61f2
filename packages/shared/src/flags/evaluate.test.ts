import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type EvaluationContext, evaluateAll, evaluateFlag, type FlagEvaluation } from "./evaluate.ts";
import { SPLIT_BASIS_POINTS } from "./hash.ts";
import { type Flag, type FlagCondition, flagSchema, siteFlagsSchema } from "./schema.ts";

/** Test flags go through the real schema, so each one is a flag the dashboard could save. */
const flag = (fields: Partial<Flag> = {}): Flag =>
  flagSchema.parse({
    key: "checkout",
    enabled: true,
    variants: { control: "old", a: "new-a", b: "new-b" },
    defaultVariant: "control",
    offVariant: "control",
    ...fields,
  });

const when = (...conditions: FlagCondition[]) => ({ conditions });
const split = { a: 5_000, b: 3_000, control: 2_000 };

describe("evaluateFlag reasons", () => {
  it("STATIC: no rules and no rollout serve defaultVariant", () => {
    expect(evaluateFlag(flag(), {})).toEqual({ key: "checkout", value: "old", variant: "control", reason: "STATIC" });
  });

  it("TARGETING_MATCH: a rule's fixed variant", () => {
    const f = flag({ rules: [{ ...when({ attribute: "country", op: "eq", value: "FR" }), variant: "a" }] });
    expect(evaluateFlag(f, { country: "FR" })).toEqual({
      key: "checkout",
      value: "new-a",
      variant: "a",
      reason: "TARGETING_MATCH",
    });
  });

  it("SPLIT: a rule's split, a rollout's split, and a rollout's percentage leaving a key out", () => {
    const ruled = flag({ rules: [{ ...when({ attribute: "plan", op: "eq", value: "pro" }), split }] });
    expect(evaluateFlag(ruled, { plan: "pro", targetingKey: "u1" })).toMatchObject({ reason: "SPLIT" });
    expect(evaluateFlag(flag({ rollout: { weights: split, percentage: 100 } }), { targetingKey: "u1" })).toMatchObject({
      reason: "SPLIT",
    });
    const none = flag({ rollout: { weights: { a: 10_000 }, percentage: 0 } });
    expect(evaluateFlag(none, { targetingKey: "u1" })).toEqual({
      key: "checkout",
      value: "old",
      variant: "control",
      reason: "SPLIT",
    });
  });

  it("DISABLED: the kill switch serves offVariant before anything else is read", () => {
    const f = flag({
      enabled: false,
      offVariant: "b",
      rules: [{ ...when({ attribute: "plan", op: "eq", value: "pro" }), variant: "a" }],
      rollout: { weights: split, percentage: 100 },
    });
    const bad = { plan: { nested: true } } as unknown as EvaluationContext;
    expect(evaluateFlag(f, bad)).toEqual({ key: "checkout", value: "new-b", variant: "b", reason: "DISABLED" });
  });

  it("DEFAULT: rules exist but none matched, and there is no rollout", () => {
    const f = flag({ rules: [{ ...when({ attribute: "country", op: "eq", value: "FR" }), variant: "a" }] });
    expect(evaluateFlag(f, { country: "DE" })).toEqual({
      key: "checkout",
      value: "old",
      variant: "control",
      reason: "DEFAULT",
    });
  });

  it("serves every value type a variant may hold", () => {
    const on = flag({ variants: { on: true, off: false }, defaultVariant: "on", offVariant: "off" });
    expect(evaluateFlag(on, {})).toMatchObject({ value: true });
    const limit = flag({ variants: { low: 10, high: 1.5 }, defaultVariant: "high", offVariant: "low" });
    expect(evaluateFlag(limit, {})).toMatchObject({ value: 1.5 });
    const theme = flag({
      variants: { dark: { bg: "#000", sizes: [1, 2] } },
      defaultVariant: "dark",
      offVariant: "dark",
    });
    expect(evaluateFlag(theme, {})).toMatchObject({ value: { bg: "#000", sizes: [1, 2] } });
  });
});

describe("evaluateFlag errors", () => {
  it("TARGETING_KEY_MISSING when a split or a percentage needs the key and it is absent or empty", () => {
    const rollout = flag({ rollout: { weights: split, percentage: 50 } });
    const ruled = flag({ rules: [{ ...when({ attribute: "plan", op: "eq", value: "pro" }), split }] });
    for (const [f, ctx] of [
      [rollout, {}],
      [rollout, { targetingKey: "" }],
      [ruled, { plan: "pro" }],
    ] as const) {
      expect(evaluateFlag(f, ctx)).toEqual({
        key: "checkout",
        errorCode: "TARGETING_KEY_MISSING",
        errorDetails: expect.any(String),
      });
    }
    // A rule with a fixed variant does not need the key.
    expect(
      evaluateFlag(flag({ rules: [{ ...when({ attribute: "plan", op: "eq", value: "pro" }), variant: "a" }] }), {
        plan: "pro",
      }),
    ).toMatchObject({ reason: "TARGETING_MATCH" });
  });

  it("INVALID_CONTEXT when a value a rule reads is not a string, number or boolean, or the key is not a string", () => {
    const f = flag({ rules: [{ ...when({ attribute: "plan", op: "eq", value: "pro" }), variant: "a" }] });
    for (const ctx of [{ plan: { tier: "pro" } }, { plan: ["pro"] }, { targetingKey: 42 }]) {
      expect(evaluateFlag(f, ctx as unknown as EvaluationContext)).toEqual({
        key: "checkout",
        errorCode: "INVALID_CONTEXT",
        errorDetails: expect.any(String),
      });
    }
    // An attribute no rule reads may hold anything; null reads as absent.
    expect(evaluateFlag(f, { user: { id: 1 }, plan: null } as unknown as EvaluationContext)).toMatchObject({
      reason: "DEFAULT",
    });
  });

  it("PARSE_ERROR when a record that skipped the schema names a variant it does not have", () => {
    const unchecked: Flag = {
      key: "broken",
      enabled: true,
      variants: { on: true },
      defaultVariant: "constructor",
      offVariant: "on",
      rules: [],
    };
    expect(evaluateFlag(unchecked, {})).toEqual({
      key: "broken",
      errorCode: "PARSE_ERROR",
      errorDetails: expect.any(String),
    });
  });
});

describe("conditions", () => {
  const matches = (condition: FlagCondition, ctx: EvaluationContext) => {
    const result = evaluateFlag(flag({ rules: [{ ...when(condition), variant: "a" }] }), ctx);
    return "reason" in result && result.reason === "TARGETING_MATCH";
  };

  it.each([
    [{ attribute: "country", op: "eq", value: "FR" }, { country: "FR" }, { country: "fr" }],
    [{ attribute: "age", op: "eq", value: 30 }, { age: "30" }, { age: "thirty" }],
    [{ attribute: "beta", op: "eq", value: true }, { beta: true }, { beta: "true" }],
    [{ attribute: "country", op: "neq", value: "FR" }, { country: "DE" }, { country: "FR" }],
    [{ attribute: "country", op: "in", value: ["FR", "DE"] }, { country: "DE" }, { country: "US" }],
    [{ attribute: "orgId", op: "in", value: [7, 9] }, { orgId: "9" }, { orgId: 8 }],
    [{ attribute: "country", op: "notIn", value: ["FR", "DE"] }, { country: "US" }, { country: "FR" }],
    [{ attribute: "path", op: "contains", value: "/pricing" }, { path: "/en/pricing/" }, { path: "/en/about" }],
    [{ attribute: "path", op: "startsWith", value: "/app/" }, { path: "/app/settings" }, { path: "/home/app/" }],
    [{ attribute: "visits", op: "gt", value: 3 }, { visits: 4 }, { visits: 3 }],
    [{ attribute: "visits", op: "gte", value: 3 }, { visits: "3" }, { visits: 2.99 }],
    [{ attribute: "visits", op: "lt", value: 3 }, { visits: 2 }, { visits: 3 }],
    [{ attribute: "visits", op: "lte", value: 3 }, { visits: " 3 " }, { visits: 3.01 }],
    [{ attribute: "device", op: "eq", value: "mobile" }, { device: "mobile" }, { device: "desktop" }],
  ] as [FlagCondition, EvaluationContext, EvaluationContext][])("%j holds for %j, not for %j", (condition, yes, no) => {
    expect(matches(condition, yes)).toBe(true);
    expect(matches(condition, no)).toBe(false);
  });

  it("compares numerically only when both sides are finite numbers", () => {
    const gt: FlagCondition = { attribute: "visits", op: "gt", value: -1 };
    for (const visits of ["", " ", "abc", "Infinity", Number.NaN, Number.POSITIVE_INFINITY, true]) {
      expect(matches(gt, { visits })).toBe(false);
    }
    expect(matches({ attribute: "visits", op: "eq", value: 0 }, { visits: "" })).toBe(false);
    expect(matches({ attribute: "plan", op: "contains", value: "1" }, { plan: 1 })).toBe(false);
  });

  it("holds no condition on an absent attribute, negated ones included", () => {
    expect(matches({ attribute: "country", op: "neq", value: "FR" }, {})).toBe(false);
    expect(matches({ attribute: "country", op: "notIn", value: ["FR"] }, {})).toBe(false);
  });

  it("needs every condition of a rule to hold", () => {
    const f = flag({
      rules: [
        {
          ...when({ attribute: "country", op: "eq", value: "FR" }, { attribute: "device", op: "eq", value: "mobile" }),
          variant: "a",
        },
      ],
    });
    expect(evaluateFlag(f, { country: "FR", device: "mobile" })).toMatchObject({ variant: "a" });
    expect(evaluateFlag(f, { country: "FR", device: "desktop" })).toMatchObject({ variant: "control" });
  });

  it("takes the first rule that matches, in order", () => {
    const f = flag({
      rules: [
        { ...when({ attribute: "country", op: "eq", value: "FR" }), variant: "a" },
        { ...when({ attribute: "device", op: "eq", value: "mobile" }), variant: "b" },
      ],
    });
    expect(evaluateFlag(f, { country: "FR", device: "mobile" })).toMatchObject({ variant: "a" });
    expect(evaluateFlag(f, { country: "DE", device: "mobile" })).toMatchObject({ variant: "b" });
    const reversed = flag({ rules: [...f.rules].reverse() });
    expect(evaluateFlag(reversed, { country: "FR", device: "mobile" })).toMatchObject({ variant: "b" });
  });
});

describe("splits", () => {
  const keys = Array.from({ length: 100_000 }, (_, i) => `visitor-${i}`);
  const shares = (f: Flag) => {
    const counts: Record<string, number> = {};
    for (const targetingKey of keys) {
      const { variant } = evaluateFlag(f, { targetingKey }) as FlagEvaluation;
      counts[variant] = (counts[variant] ?? 0) + 1;
    }
    return Object.fromEntries(Object.entries(counts).map(([v, n]) => [v, n / keys.length]));
  };

  it("serves each variant within 1% of its weight over 100,000 keys", () => {
    const got = shares(flag({ rollout: { weights: split, percentage: 100 } }));
    for (const [variant, weight] of Object.entries(split)) {
      expect(Math.abs((got[variant] ?? 0) - weight / SPLIT_BASIS_POINTS)).toBeLessThan(0.01);
    }
  });

  it("includes the rollout's percentage of keys, split by the weights", () => {
    const got = shares(flag({ rollout: { weights: { a: 5_000, b: 5_000 }, percentage: 20 } }));
    expect(Math.abs((got.control ?? 0) - 0.8)).toBeLessThan(0.01);
    expect(Math.abs((got.a ?? 0) - 0.1)).toBeLessThan(0.01);
    expect(Math.abs((got.b ?? 0) - 0.1)).toBeLessThan(0.01);
  });

  it("buckets on the seed: another seed reshuffles, the key is the default seed", () => {
    const rollout = { weights: { a: 5_000, b: 5_000 }, percentage: 100 };
    const variants = (f: Flag) => keys.slice(0, 1_000).map((targetingKey) => evaluateFlag(f, { targetingKey }));
    expect(variants(flag({ rollout, seed: "checkout" }))).toEqual(variants(flag({ rollout })));
    expect(variants(flag({ rollout, seed: "checkout-2" }))).not.toEqual(variants(flag({ rollout })));
  });
});

describe("stickiness", () => {
  const weights = fc.uniqueArray(fc.integer({ min: 1, max: SPLIT_BASIS_POINTS - 1 }), { maxLength: 2 }).map((cuts) => {
    const [x = 0, y = x] = [...cuts].sort((p, q) => p - q);
    return { a: x, b: y - x, c: SPLIT_BASIS_POINTS - y };
  });
  const arbitraryKey = fc.string({ minLength: 1, maxLength: 64 });

  it("gives a key the same variant every time, whatever else the context holds", () => {
    fc.assert(
      fc.property(arbitraryKey, weights, fc.string(), (targetingKey, w, country) => {
        const f = flag({
          variants: { a: 1, b: 2, c: 3 },
          defaultVariant: "a",
          offVariant: "a",
          rollout: { weights: w, percentage: 100 },
        });
        const first = evaluateFlag(f, { targetingKey });
        expect(evaluateFlag(f, { targetingKey, country })).toEqual(first);
        expect(evaluateAll(siteFlagsSchema.parse({ version: 1, flags: [f] }), { targetingKey })).toEqual([first]);
      }),
    );
  });

  it("keeps every included key's variant when the percentage is raised from 20 to 50", () => {
    fc.assert(
      fc.property(arbitraryKey, weights, (targetingKey, w) => {
        const at = (percentage: number) =>
          evaluateFlag(flag({ rollout: { weights: { a: w.a, b: w.b + w.c }, percentage } }), { targetingKey });
        const before = at(20) as FlagEvaluation;
        if (before.variant !== "control") expect(at(50)).toEqual(before);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe("evaluateAll", () => {
  it("evaluates every flag of the record for one context, in order", () => {
    const record = siteFlagsSchema.parse({
      version: 3,
      flags: [flag({ key: "one" }), flag({ key: "two", enabled: false, offVariant: "b" })],
    });
    expect(evaluateAll(record, {})).toEqual([
      { key: "one", value: "old", variant: "control", reason: "STATIC" },
      { key: "two", value: "new-b", variant: "b", reason: "DISABLED" },
    ]);
  });
});
