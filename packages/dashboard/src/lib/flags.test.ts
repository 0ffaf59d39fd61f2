import type { Flag } from "@sightline/shared/flags";
import { flagSchema, siteFlagsSchema } from "@sightline/shared/flags";
import { FLAG_LIMITS } from "@sightline/shared/limits/flags";
import { describe, expect, it } from "vitest";
import {
  evenBasisPoints,
  FLAG_FORM_LIMITS,
  type FlagForm,
  flagChanges,
  flagSummary,
  flagToForm,
  formToFlag,
  heatmapsTakenBy,
  historyChanges,
  MAX_HEATMAP_FLAGS,
  newFlagForm,
  newRule,
  newVariant,
  parsePercent,
  percentText,
  percentTotal,
  resync,
  ruleText,
  splitList,
  switchKind,
  toBasisPoints,
} from "./flags.ts";

const checkout: Flag = {
  key: "new-checkout",
  description: "The one-page checkout",
  enabled: true,
  variants: { on: true, off: false },
  defaultVariant: "off",
  offVariant: "off",
  rollout: { weights: { on: 10_000 }, percentage: 25 },
  rules: [{ conditions: [{ attribute: "country", op: "in", value: ["DE", "AT"] }], variant: "on" }],
};

const headline: Flag = {
  key: "headline",
  enabled: true,
  variants: { control: "Welcome", bold: "Welcome!", "0": "zero first" },
  defaultVariant: "control",
  offVariant: "control",
  // Not the variants' order: a split walks its own order, which must survive an edit.
  rollout: { weights: { bold: 3_000, control: 7_000, "0": 0 }, percentage: 100 },
  rules: [
    {
      conditions: [
        { attribute: "plan", op: "eq", value: "42" },
        { attribute: "age", op: "gte", value: 18 },
        { attribute: "beta", op: "eq", value: true },
        { attribute: "email", op: "notIn", value: ["a@x.test", "b,c@x.test", "", '"q"', 7], private: true },
        { attribute: "path", op: "startsWith", value: " /blog" },
        { attribute: "device", op: "neq", value: "mobile", private: false },
      ],
      split: { bold: 5_000, control: 5_000 },
    },
    { conditions: [{ attribute: "country", op: "eq", value: "true" }], variant: "bold" },
  ],
  seed: "headline-2026",
};

const settings: Flag = {
  key: "limits",
  enabled: false,
  variants: { small: { rows: 10, tags: ["a"] }, large: { rows: 100, nested: { x: null } } },
  defaultVariant: "small",
  offVariant: "small",
  rules: [],
};

const prices: Flag = {
  key: "price",
  enabled: true,
  variants: { low: 9.5, high: 12 },
  defaultVariant: "low",
  offVariant: "low",
  rules: [],
};

const ok = (form: FlagForm) => {
  const r = formToFlag(form);
  if (!r.ok) throw new Error(r.errors.join(" "));
  return r.flag;
};
const errors = (form: FlagForm) => {
  const r = formToFlag(form);
  if (r.ok) throw new Error("the form was accepted");
  return r.errors;
};

describe("flag ⇄ form", () => {
  it("gives back every flag it was given, as the same JSON (so an unchanged save writes nothing)", () => {
    for (const flag of [checkout, headline, settings, prices]) {
      const canonical = flagSchema.parse(flag);
      expect(JSON.stringify(ok(flagToForm(flag)))).toBe(JSON.stringify(canonical));
    }
  });

  it("saves heatmaps once the box was ticked or the flag said it, and gives it back", () => {
    const form = { ...newFlagForm(), key: "fresh" };
    expect(ok(form)).not.toHaveProperty("heatmaps");
    form.heatmaps = true;
    expect(ok(form).heatmaps).toBe(true);
    const split = { ...checkout, heatmaps: true };
    expect(flagToForm(split).heatmaps).toBe(true);
    expect(JSON.stringify(ok(flagToForm(split)))).toBe(JSON.stringify(flagSchema.parse(split)));
    const unticked = { ...flagToForm(split), heatmaps: false };
    expect(ok(unticked).heatmaps).toBe(false);
    expect(flagChanges(ok(unticked))).toMatchObject({ heatmaps: false });
  });

  it(`lets a flag split heatmaps while fewer than ${MAX_HEATMAP_FLAGS} others do, as the site's record allows`, () => {
    const site = (n: number) =>
      Array.from({ length: n }, (_, i) => flagSchema.parse({ ...checkout, key: `split-${i}`, heatmaps: true }));
    const at = site(MAX_HEATMAP_FLAGS - 1);
    expect(heatmapsTakenBy("fresh", at)).toBeNull();
    const record = (flags: Flag[]) => siteFlagsSchema.safeParse({ version: 1, flags }).success;
    expect(record([...at, flagSchema.parse({ ...checkout, key: "fresh", heatmaps: true })])).toBe(true);
    const full = site(MAX_HEATMAP_FLAGS);
    expect(heatmapsTakenBy("fresh", full)).toEqual(full.map((f) => f.key));
    expect(record([...full, flagSchema.parse({ ...checkout, key: "fresh", heatmaps: true })])).toBe(false);
    // One of the three itself may keep it, and a flag with it off does not count.
    expect(heatmapsTakenBy("split-0", full)).toBeNull();
    expect(heatmapsTakenBy("fresh", [...at, { ...checkout, key: "off", heatmaps: false }])).toBeNull();
  });

  it("makes a new on/off flag that is valid as it stands and serves off", () => {
    const flag = ok({ ...newFlagForm(), key: "fresh" });
    expect(flag).toEqual({
      key: "fresh",
      enabled: true,
      variants: { on: true, off: false },
      defaultVariant: "off",
      offVariant: "off",
      rules: [],
    });
  });

  it("turning the rollout on gives it to on; the percentage is the slider's", () => {
    const form = { ...newFlagForm(), key: "fresh" };
    form.rollout = { ...form.rollout, on: true, percentage: 40 };
    expect(ok(form).rollout).toEqual({ weights: { on: 10_000 }, percentage: 40 });
  });

  it("keeps a renamed variant picked everywhere it was", () => {
    const form = flagToForm(headline);
    const bold = form.variants.find((v) => v.name === "bold");
    if (!bold) throw new Error("no bold row");
    bold.name = "loud";
    const flag = ok(form);
    expect(Object.keys(flag.variants)).toEqual(["0", "control", "loud"]);
    expect(flag.rollout?.weights).toEqual({ loud: 3_000, control: 7_000, "0": 0 });
    expect(flag.rules[1]).toMatchObject({ variant: "loud" });
  });

  it("brings splits in line with added and removed variants", () => {
    const form = flagToForm(checkout);
    form.kind = "boolean";
    const withRule = { ...form, rules: [...form.rules, newRule(form.variants)] };
    expect(withRule.rules[1]?.split.map((w) => w.percent)).toEqual(["50", "50"]);

    const strings = switchKind(flagToForm(headline), "string");
    const added = resync({ ...strings, variants: [...strings.variants, newVariant(strings)] });
    expect(added.variants.at(-1)).toMatchObject({ name: "variant-4", value: "" });
    expect(added.rollout.weights.at(-1)).toMatchObject({ percent: "0", listed: false });
    // A new row at 0% stays out of the saved split.
    expect(ok(added).rollout?.weights).toEqual(headline.rollout?.weights);

    const removed = resync({ ...added, variants: added.variants.filter((v) => v.name !== "0") });
    expect(ok(removed).rollout?.weights).toEqual({ bold: 3_000, control: 7_000 });
  });

  it("switches kinds: booleans become on and off, other rows keep the text that still reads", () => {
    const numbers = switchKind(flagToForm(headline), "number");
    expect(numbers.variants.map((v) => v.value)).toEqual(["0", "0", "0"]);
    const strings = switchKind(flagToForm(prices), "string");
    expect(strings.variants.map((v) => v.value)).toEqual(["9.5", "12"]);
    expect(ok(strings).variants).toEqual({ low: "9.5", high: "12" });
    const booleans = switchKind(flagToForm(prices), "boolean");
    expect(ok(booleans)).toMatchObject({ variants: { on: true, off: false }, defaultVariant: "on", offVariant: "on" });
  });

  it("reads condition values: numbers, true/false, quoted text, comma lists", () => {
    const form = flagToForm(headline);
    const conditions = form.rules[0]?.conditions ?? [];
    expect(conditions.map((c) => c.value)).toEqual([
      '"42"',
      "18",
      "true",
      'a@x.test, "b,c@x.test", "", "\\"q\\"", 7',
      '" /blog"',
      "mobile",
    ]);
    expect(conditions.map((c) => [c.attribute, c.custom])).toEqual([
      ["custom", "plan"],
      ["custom", "age"],
      ["custom", "beta"],
      ["custom", "email"],
      ["path", ""],
      ["device", ""],
    ]);
    const typed = newFlagForm();
    typed.key = "typed";
    typed.rules = [newRule(typed.variants)];
    const rule = typed.rules[0];
    if (!rule?.conditions[0]) throw new Error("no condition");
    rule.conditions[0] = {
      attribute: "custom",
      custom: " plan ",
      op: "in",
      value: " pro, 3 ,team,",
      private: undefined,
    };
    expect(ok(typed).rules[0]?.conditions).toEqual([{ attribute: "plan", op: "in", value: ["pro", 3, "team"] }]);
    rule.conditions[0] = { attribute: "path", custom: "", op: "contains", value: "42", private: true };
    expect(ok(typed).rules[0]?.conditions).toEqual([{ attribute: "path", private: true, op: "contains", value: "42" }]);
  });

  it("splits lists on commas outside quotes", () => {
    expect(splitList('a, "b, c", d')).toEqual(["a", ' "b, c"', " d"]);
    expect(splitList('"x\\"y", z')).toEqual(['"x\\"y"', " z"]);
    expect(splitList(" , ,")).toEqual([]);
  });

  it("says what the form gets wrong before the schema is asked", () => {
    const form = flagToForm(prices);
    form.variants[0] = { ...(form.variants[0] ?? { id: "", name: "" }), value: "cheap" };
    form.variants.push({ id: "dup", name: "high", value: "1" }, { id: "blank", name: " ", value: "2" });
    expect(errors(form)).toEqual([
      "Variant “low”: “cheap” is not a number.",
      "Two variants are named “high”.",
      "Variant 4: a name is required.",
    ]);

    const json = flagToForm(settings);
    json.variants[1] = { ...(json.variants[1] ?? { id: "", name: "" }), value: "[1, 2]" };
    expect(errors(json)).toEqual(["Variant “large”: is not a JSON object ({ … })."]);

    const rule = flagToForm(checkout);
    const condition = rule.rules[0]?.conditions[0];
    if (!condition) throw new Error("no condition");
    condition.op = "gt";
    condition.value = "many";
    rule.defaultVariant = "gone";
    expect(errors(rule)).toEqual([
      "Default variant: choose a variant.",
      "Rule 1, condition 1: the value needs a number.",
    ]);
  });

  it("refuses weights that do not add up to 100%, and weights that are not percents", () => {
    const form = flagToForm(headline);
    form.rollout.weights = form.rollout.weights.map((w, i) => ({ ...w, percent: i === 0 ? "30" : "60" }));
    expect(errors(form)).toEqual(["Rollout split: the weights add up to 150%; they must add up to 100%."]);
    form.rollout.weights = form.rollout.weights.map((w, i) => ({ ...w, percent: ["30", "60", "0"][i] ?? "0" }));
    expect(errors(form)).toEqual(["Rollout split: the weights add up to 90%; they must add up to 100%."]);
    form.rollout.weights = form.rollout.weights.map((w) => ({ ...w, percent: "-5" }));
    expect(errors(form)).toEqual(["Rollout split: each weight is a percent from 0 to 100."]);
  });

  it("words the schema's own refusals in the form's terms", () => {
    const form = flagToForm(checkout);
    form.key = "New Checkout";
    form.description = "x".repeat(FLAG_LIMITS.maxDescriptionLength + 1);
    const rule = form.rules[0];
    if (!rule?.conditions[0]) throw new Error("no rule");
    rule.conditions[0] = { attribute: "device", custom: "", op: "eq", value: "phone", private: undefined };
    rule.conditions.push({ attribute: "custom", custom: "", op: "eq", value: "x", private: undefined });
    const on = form.variants[0];
    if (on) on.name = "On";
    expect(errors(form)).toEqual([
      "Key: use lowercase letters, digits, “.”, “_” and “-”, starting with a letter or digit.",
      `Description: at most ${FLAG_LIMITS.maxDescriptionLength} characters.`,
      "Variant “On”: its name: use lowercase letters, digits, “.”, “_” and “-”, starting with a letter or digit.",
      "Rule 1, condition 1, value: A device is one of mobile, tablet, desktop.",
      "Rule 1, condition 2, attribute: required.",
    ]);
  });

  it("sends every field on a change, null for the optional ones the flag lacks", () => {
    expect(flagChanges(flagSchema.parse(settings))).toEqual({
      enabled: false,
      variants: settings.variants,
      defaultVariant: "small",
      offVariant: "small",
      rules: [],
      description: null,
      rollout: null,
    });
    expect(flagChanges(flagSchema.parse(headline))).toMatchObject({ seed: "headline-2026", description: null });
  });
});

describe("the limits the editor shows", () => {
  // Each bound the form shows is the schema's edge: accepted at it, refused one past it.
  const valid = () => structuredClone(flagSchema.parse(checkout));
  const cases: [keyof typeof FLAG_FORM_LIMITS, (f: Flag, n: number) => void][] = [
    ["keyLength", (f, n) => (f.key = "k".repeat(n))],
    ["descriptionLength", (f, n) => (f.description = "d".repeat(n))],
    [
      "variantNameLength",
      (f, n) => {
        f.variants = { ["v".repeat(n)]: true, off: false };
        f.rollout = undefined;
        f.rules = [];
      },
    ],
    [
      "variantBytes",
      (f, n) => {
        f.variants = { a: "x".repeat(n - 2) };
        f.defaultVariant = "a";
        f.offVariant = "a";
        f.rollout = undefined;
        f.rules = [];
      },
    ],
    [
      "variants",
      (f, n) => {
        f.variants = Object.fromEntries(Array.from({ length: n }, (_, i) => [`v${i}`, i === 0]));
        f.defaultVariant = "v0";
        f.offVariant = "v0";
        f.rollout = undefined;
        f.rules = [];
      },
    ],
    ["rules", (f, n) => (f.rules = Array.from({ length: n }, () => structuredClone(checkout.rules[0] as never)))],
    [
      "conditionsPerRule",
      (f, n) => {
        f.rules = [
          { conditions: Array.from({ length: n }, () => ({ attribute: "a", op: "eq", value: 1 })), variant: "on" },
        ];
      },
    ],
    [
      "attributeLength",
      (f, n) => (f.rules = [{ conditions: [{ attribute: "a".repeat(n), op: "eq", value: 1 }], variant: "on" }]),
    ],
    [
      "conditionValueLength",
      (f, n) => (f.rules = [{ conditions: [{ attribute: "a", op: "eq", value: "v".repeat(n) }], variant: "on" }]),
    ],
    [
      "listValues",
      (f, n) =>
        (f.rules = [
          { conditions: [{ attribute: "a", op: "in", value: Array.from({ length: n }, (_, i) => i) }], variant: "on" },
        ]),
    ],
  ];

  it.each(cases)("%s is where flagSchema draws the line", (name, set) => {
    const limit = FLAG_FORM_LIMITS[name];
    const at = valid();
    set(at, limit);
    expect(flagSchema.safeParse(at).success).toBe(true);
    const past = valid();
    set(past, limit + 1);
    expect(flagSchema.safeParse(past).success).toBe(false);
  });

  it("covers every bound it names", () => {
    expect(cases.map(([name]) => name).sort()).toEqual(Object.keys(FLAG_FORM_LIMITS).sort());
  });
});

describe("percent ⇄ basis points", () => {
  it("reads percents as typed", () => {
    expect(parsePercent("30")).toBe(30);
    expect(parsePercent(" 12.5 % ")).toBe(12.5);
    expect(parsePercent("12,5")).toBe(12.5);
    expect(parsePercent(".5")).toBe(0.5);
    for (const bad of ["", "-1", "100.01", "abc", "1e2", "50%%"]) expect(parsePercent(bad), bad).toBeNull();
    expect(percentText(3_333)).toBe("33.33");
    expect(percentText(10_000)).toBe("100");
    expect(percentText(1)).toBe("0.01");
  });

  it("always gives 10,000 points for percents that add up to 100", () => {
    expect(toBasisPoints([30, 70])).toEqual([3_000, 7_000]);
    expect(toBasisPoints([33.33, 33.33, 33.33])).toEqual([3_334, 3_333, 3_333]);
    expect(toBasisPoints([33.333, 33.333, 33.334])).toEqual([3_333, 3_333, 3_334]);
    expect(
      toBasisPoints([100 / 7, 100 / 7, 100 / 7, 100 / 7, 100 / 7, 100 / 7, 100 / 7])?.reduce((a, b) => a + b),
    ).toBe(10_000);
    expect(toBasisPoints([12.345, 87.655])).toEqual([1_235, 8_765]);
    expect(toBasisPoints([0, 100, 0])).toEqual([0, 10_000, 0]);
    // Every split of 100% in hundredths across up to 16 variants sums to exactly 10,000.
    let seed = 7;
    const random = () => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    for (let run = 0; run < 500; run++) {
      const n = 1 + Math.floor(random() * 16);
      const cuts = Array.from({ length: n - 1 }, () => Math.round(random() * 10_000) / 100).sort((a, b) => a - b);
      const percents = [...cuts, 100].map((c, i) => c - (i === 0 ? 0 : (cuts[i - 1] ?? 0)));
      const points = toBasisPoints(percents);
      expect(points?.reduce((a, b) => a + b, 0)).toBe(10_000);
      for (const [i, p] of (points ?? []).entries()) {
        expect(Math.abs(p - (percents[i] ?? 0) * 100)).toBeLessThanOrEqual(1);
      }
    }
  });

  it("refuses percents that do not add up to 100", () => {
    expect(toBasisPoints([30, 60])).toBeNull();
    expect(toBasisPoints([33.33, 33.33, 33.32])).toBeNull();
    expect(toBasisPoints([])).toBeNull();
    expect(
      percentTotal([
        { variant: "a", percent: "30", listed: true },
        { variant: "b", percent: "60.5", listed: true },
      ]),
    ).toBe(90.5);
  });

  it("shares 10,000 evenly", () => {
    expect(evenBasisPoints(3)).toEqual([3_334, 3_333, 3_333]);
    expect(evenBasisPoints(16).reduce((a, b) => a + b)).toBe(10_000);
    expect(evenBasisPoints(0)).toEqual([]);
  });
});

describe("reading flags", () => {
  it("sums a flag up in one line", () => {
    expect(flagSummary(checkout)).toBe("on/off · 25% get on · 1 rule");
    expect(flagSummary(headline)).toBe("3 string variants · 100% get bold 30% / control 70% · 2 rules");
    expect(flagSummary(settings)).toBe("2 JSON variants · serves small · no rules");
    expect(flagSummary(prices)).toBe("2 number variants · serves low · no rules");
  });

  it("reads rules", () => {
    expect(ruleText(checkout.rules[0] as Flag["rules"][number])).toBe('country is one of "DE", "AT" → on');
    expect(ruleText(headline.rules[0] as Flag["rules"][number])).toBe(
      'plan is "42" and age ≥ 18 and beta is true and email is not one of "a@x.test", "b,c@x.test", "", "\\"q\\"", 7 (private) and path starts with " /blog" and device is not "mobile" → bold 50% / control 50%',
    );
  });

  it("tells what each change did", () => {
    expect(historyChanges(null, checkout)).toEqual(["Created: on, on/off · 25% get on · 1 rule"]);
    expect(historyChanges(settings, null)).toEqual(["Deleted (was off, 2 JSON variants · serves small · no rules)"]);
    expect(historyChanges(checkout, { ...checkout, enabled: false })).toEqual(["Turned off"]);
    expect(historyChanges(checkout, checkout)).toEqual(["No change to what visitors get"]);
    expect(
      historyChanges(checkout, {
        ...checkout,
        description: undefined,
        defaultVariant: "on",
        rollout: { weights: { on: 3_000, off: 7_000 }, percentage: 50 },
        rules: [],
      }),
    ).toEqual([
      "Description: “The one-page checkout” → (none)",
      "Default variant: off → on",
      "Rollout: 25% → 50%",
      "Rollout split: on → on 30% / off 70%",
      'Rule 1 removed: country is one of "DE", "AT" → on',
    ]);
    expect(
      historyChanges(settings, {
        ...settings,
        variants: { small: { rows: 5 }, huge: { rows: 1_000 } },
        rollout: { weights: { small: 10_000 }, percentage: 10 },
        seed: "s2",
      }),
    ).toEqual([
      'Variant small: {"rows":10,"tags":["a"]} → {"rows":5}',
      "Variant large removed",
      'Variant huge added: {"rows":1000}',
      "Rollout added: 10% get small",
      "Seed: (none) → “s2”",
    ]);
    expect(
      historyChanges(headline, {
        ...headline,
        rollout: undefined,
        rules: headline.rules.slice(1, 2).concat(headline.rules[0] ?? []),
      }),
    ).toEqual([
      "Rollout removed (was 100% get bold 30% / control 70%)",
      expect.stringMatching(/^Rule 1: plan is "42" .* ⇒ country is "true" → bold$/),
      expect.stringMatching(/^Rule 2: country is "true" → bold ⇒ plan is "42"/),
    ]);
    expect(historyChanges(prices, { ...prices, variants: { high: 12, low: 9.5 } })).toEqual([
      "Variant order: low, high → high, low",
    ]);
    expect(historyChanges(prices, { ...prices, heatmaps: true })).toEqual(["Heatmaps split by variant"]);
    expect(historyChanges({ ...prices, heatmaps: true }, { ...prices, heatmaps: false })).toEqual([
      "Heatmaps no longer split by variant",
    ]);
  });
});
