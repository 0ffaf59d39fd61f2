/**
 * Feature flags as the dashboard saves them and KV serves them: the zod schemas, the one
 * definition. Evaluation (evaluate.ts, hash.ts) imports only their types, so zod stays out of
 * the browser.
 */
import { z } from "zod";
import { FLAG_LIMITS } from "../limits/flags.ts";
import { SPLIT_BASIS_POINTS } from "./hash.ts";

const L = FLAG_LIMITS;

/** Device classes the edge puts in the context's `device` (as heatmaps classify viewports). */
export const FLAG_DEVICES = ["mobile", "tablet", "desktop"] as const;

const identifier = /^[a-z0-9][a-z0-9._-]*$/;
const flagKey = z.string().min(1).max(L.maxKeyLength).regex(identifier);
const variantName = z.string().min(1).max(L.maxVariantNameLength).regex(identifier);

const utf8 = new TextEncoder();
const variantValue = z
  .union([z.boolean(), z.string(), z.number(), z.record(z.string(), z.json())])
  .refine((v) => utf8.encode(JSON.stringify(v)).length <= L.maxVariantBytes, {
    message: `A variant's value is at most ${L.maxVariantBytes} bytes as JSON`,
  });

const variantsSchema = z
  .record(variantName, variantValue)
  .refine((v) => Object.keys(v).length >= 1 && Object.keys(v).length <= L.maxVariants, {
    message: `A flag has 1 to ${L.maxVariants} variants`,
  })
  .refine((v) => new Set(Object.values(v).map((value) => typeof value)).size <= 1, {
    message: "A flag's variants are all booleans, all strings, all numbers or all objects",
  });

/** Basis points per variant, in the order pickVariant walks them (hash.ts). */
const splitWeightsSchema = z
  .record(variantName, z.number().int().min(0).max(SPLIT_BASIS_POINTS))
  .refine((w) => Object.values(w).reduce((sum, n) => sum + n, 0) === SPLIT_BASIS_POINTS, {
    message: `Split weights sum to ${SPLIT_BASIS_POINTS} basis points`,
  });

const conditionString = z.string().max(L.maxConditionValueLength);
const conditionBase = {
  /** `country`, `device` and `path` are filled in by the edge; any other name is the caller's. */
  attribute: z.string().min(1).max(L.maxAttributeLength),
  /** A targeting list that must not ship to browsers: its flag is evaluated only at the edge. */
  private: z.boolean().optional(),
};

const conditionSchema = z
  .discriminatedUnion("op", [
    z.object({
      ...conditionBase,
      op: z.enum(["eq", "neq"]),
      value: z.union([conditionString, z.number(), z.boolean()]),
    }),
    z.object({
      ...conditionBase,
      op: z.enum(["in", "notIn"]),
      value: z
        .array(z.union([conditionString, z.number()]))
        .min(1)
        .max(L.maxListValues),
    }),
    z.object({ ...conditionBase, op: z.enum(["contains", "startsWith"]), value: conditionString }),
    z.object({ ...conditionBase, op: z.enum(["gt", "gte", "lt", "lte"]), value: z.number() }),
  ])
  .refine(
    (c) =>
      c.attribute !== "device" ||
      !["eq", "neq", "in", "notIn"].includes(c.op) ||
      [c.value].flat().every((v) => (FLAG_DEVICES as readonly unknown[]).includes(v)),
    { message: `A device is one of ${FLAG_DEVICES.join(", ")}`, path: ["value"] },
  );

/** A targeting rule: when every condition holds, a fixed variant or a split; exactly one. */
const ruleSchema = z.intersection(
  z.object({ conditions: z.array(conditionSchema).min(1).max(L.maxConditionsPerRule) }),
  z.xor(
    [z.object({ variant: variantName }), z.object({ split: splitWeightsSchema })],
    // Only the both-present case gets its own words; other failures keep the branches' issues.
    { error: (issue) => ("matches" in issue ? "A rule serves either a variant or a split, not both" : undefined) },
  ),
);

export const flagSchema = z
  .object({
    key: flagKey,
    description: z.string().max(L.maxDescriptionLength).optional(),
    /** The kill switch: when false every visitor gets offVariant. */
    enabled: z.boolean(),
    variants: variantsSchema,
    /** Served when no rule matches and no rollout applies, or the rollout's percentage leaves the visitor out. */
    defaultVariant: variantName,
    offVariant: variantName,
    /** Applied when no rule matches: `percentage` of targeting keys get the split, the rest defaultVariant. */
    rollout: z.object({ weights: splitWeightsSchema, percentage: z.number().min(0).max(100).default(100) }).optional(),
    /** In order; the first whose conditions all hold decides. */
    rules: z.array(ruleSchema).max(L.maxRules).default([]),
    /** Bucketing seed, the key when absent: a new seed reshuffles visitors, the same seed on two flags correlates them. */
    seed: z.string().min(1).max(L.maxSeedLength).optional(),
    /**
     * Split the site's heatmaps by this flag's variants (docs/HEATMAPS.md); absent is false. At
     * most FLAG_LIMITS.maxHeatmapFlags flags of a site. Optional rather than defaulted, so flags
     * saved before it keep their JSON (and the loader its bytes).
     */
    heatmaps: z
      .boolean()
      .optional()
      .meta({ description: "Split the site's heatmaps by this flag's variants; absent is false." }),
  })
  .superRefine((flag, ctx) => {
    const requireVariant = (name: string, path: (string | number)[]) => {
      if (!Object.hasOwn(flag.variants, name)) {
        ctx.addIssue({ code: "custom", message: `No variant is named ${name}`, path });
      }
    };
    requireVariant(flag.defaultVariant, ["defaultVariant"]);
    requireVariant(flag.offVariant, ["offVariant"]);
    for (const name of Object.keys(flag.rollout?.weights ?? {})) requireVariant(name, ["rollout", "weights", name]);
    flag.rules.forEach((rule, i) => {
      if ("variant" in rule) requireVariant(rule.variant, ["rules", i, "variant"]);
      else for (const name of Object.keys(rule.split)) requireVariant(name, ["rules", i, "split", name]);
    });
    // Pages report the variants of public flags only (the loader never carries a flag with a
    // private condition), so such a flag would split nothing while holding one of the places.
    if (flag.heatmaps === true && flag.rules.some((r) => r.conditions.some((c) => c.private === true))) {
      ctx.addIssue({
        code: "custom",
        message: "A flag with private targeting is evaluated only over OFREP, so it cannot split heatmaps",
        path: ["heatmaps"],
      });
    }
  });

/** One site's flags as published to KV; `version` grows with every publish. */
export const siteFlagsSchema = z
  .object({
    version: z.number().int().min(0),
    flags: z.array(flagSchema).max(L.maxFlagsPerSite),
  })
  .refine((r) => new Set(r.flags.map((f) => f.key)).size === r.flags.length, {
    message: "Flag keys are unique within a site",
    path: ["flags"],
  })
  .refine((r) => heatmapFlagCount(r.flags) <= L.maxHeatmapFlags, {
    message: `At most ${L.maxHeatmapFlags} flags of a site split heatmaps by variant`,
    path: ["flags"],
  })
  .refine((r) => utf8.encode(JSON.stringify(r)).length <= L.maxRecordBytes, {
    message: `A site's flags are at most ${L.maxRecordBytes} bytes as JSON`,
  });

/** Flags that split heatmaps by their variants (`heatmaps: true`). */
export function heatmapFlagCount(flags: readonly { heatmaps?: boolean }[]): number {
  let n = 0;
  for (const f of flags) if (f.heatmaps === true) n++;
  return n;
}

export type FlagValue = z.infer<typeof variantValue>;
export type SplitWeights = z.infer<typeof splitWeightsSchema>;
export type FlagCondition = z.infer<typeof conditionSchema>;
export type Flag = z.infer<typeof flagSchema>;
export type SiteFlags = z.infer<typeof siteFlagsSchema>;
