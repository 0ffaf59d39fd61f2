/**
 * Flag evaluation, one implementation for the edge (OFREP), the tracker's loader and the
 * dashboard's preview. Pure and zod-free: the tracker bundles it (`@sightline/shared/flags/evaluate`).
 * Results are shaped as OFREP 0.3.0's evaluationSuccess and evaluationFailure. Records are
 * checked by flagSchema before they are published, so their shape is trusted here.
 */
import { bucket, pickVariant } from "./hash.ts";
import type { Flag, FlagCondition, FlagValue, SiteFlags, SplitWeights } from "./schema.ts";

/**
 * What a flag is evaluated for. `country`, `device` and `path` are filled in by the edge;
 * `targetingKey` is what splits bucket on. It may arrive as any JSON (an OFREP request body),
 * so evaluation checks the values it reads.
 */
export interface EvaluationContext {
  targetingKey?: string;
  country?: string;
  device?: string;
  path?: string;
  [attribute: string]: string | number | boolean | undefined;
}

/**
 * OFREP 0.3.0 lists STATIC, TARGETING_MATCH, SPLIT, DISABLED and UNKNOWN. DEFAULT is
 * OpenFeature's reason for a fallback value (rules or a rollout exist, none applied), which
 * flagd and Flipt also answer over OFREP; a client that holds to OFREP's list reads it as UNKNOWN.
 */
export type EvaluationReason = "STATIC" | "TARGETING_MATCH" | "SPLIT" | "DISABLED" | "DEFAULT";
/** OFREP's evaluationFailure codes that evaluation itself can meet (FLAG_NOT_FOUND is the caller's). */
export type EvaluationErrorCode = "TARGETING_KEY_MISSING" | "INVALID_CONTEXT" | "PARSE_ERROR";

export interface FlagEvaluation {
  key: string;
  value: FlagValue;
  variant: string;
  reason: EvaluationReason;
}

export interface FlagEvaluationFailure {
  key: string;
  errorCode: EvaluationErrorCode;
  errorDetails: string;
}

export type FlagResult = FlagEvaluation | FlagEvaluationFailure;

/** The first rule whose conditions all hold decides; then the rollout; then defaultVariant. */
export function evaluateFlag(flag: Flag, ctx: EvaluationContext): FlagResult {
  if (!flag.enabled) return serve(flag, flag.offVariant, "DISABLED");
  const invalid = invalidContext(flag, ctx);
  if (invalid !== undefined) return fail(flag, "INVALID_CONTEXT", invalid);

  for (const rule of flag.rules) {
    if (!rule.conditions.every((c) => holds(c, ctx[c.attribute]))) continue;
    return "variant" in rule ? serve(flag, rule.variant, "TARGETING_MATCH") : split(flag, ctx, rule.split, 100);
  }
  if (flag.rollout !== undefined) return split(flag, ctx, flag.rollout.weights, flag.rollout.percentage);
  return serve(flag, flag.defaultVariant, flag.rules.length > 0 ? "DEFAULT" : "STATIC");
}

/** Every flag of a site for one context, in the record's order (OFREP's bulk `flags`). */
export function evaluateAll(record: SiteFlags, ctx: EvaluationContext): FlagResult[] {
  return record.flags.map((flag) => evaluateFlag(flag, ctx));
}

function split(flag: Flag, ctx: EvaluationContext, weights: SplitWeights, percentage: number): FlagResult {
  const id = ctx.targetingKey;
  // An empty key would put every visitor in one bucket.
  if (id === undefined || id === "") {
    return fail(flag, "TARGETING_KEY_MISSING", `${flag.key} splits visitors by targetingKey`);
  }
  const variant = pickVariant(weights, bucket(flag.seed ?? flag.key, id), percentage / 100);
  return serve(flag, variant ?? flag.defaultVariant, "SPLIT");
}

function serve(flag: Flag, variant: string, reason: EvaluationReason): FlagResult {
  // Own properties only: "constructor" is a valid variant name and an inherited property.
  const value = Object.hasOwn(flag.variants, variant) ? flag.variants[variant] : undefined;
  if (value === undefined) {
    return fail(flag, "PARSE_ERROR", `${flag.key} serves ${variant}, which is not one of its variants`);
  }
  return { key: flag.key, value, variant, reason };
}

function fail(flag: Flag, errorCode: EvaluationErrorCode, errorDetails: string): FlagEvaluationFailure {
  return { key: flag.key, errorCode, errorDetails };
}

/** Why the context cannot be read for this flag: a non-string targetingKey, or a non-scalar attribute a rule reads. */
function invalidContext(flag: Flag, ctx: EvaluationContext): string | undefined {
  if (ctx.targetingKey !== undefined && typeof ctx.targetingKey !== "string") return "targetingKey is not a string";
  for (const rule of flag.rules) {
    for (const { attribute } of rule.conditions) {
      const value: unknown = ctx[attribute];
      if (value != null && typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
        return `${attribute} is not a string, number or boolean`;
      }
    }
  }
  return undefined;
}

/**
 * An absent attribute (undefined or null) holds no condition, negated ones included, as in
 * LaunchDarkly: "country neq US" does not pick visitors whose country is unknown.
 */
function holds(c: FlagCondition, actual: unknown): boolean {
  if (actual == null) return false;
  switch (c.op) {
    case "eq":
      return same(actual, c.value);
    case "neq":
      return !same(actual, c.value);
    case "in":
      return c.value.some((v) => same(actual, v));
    case "notIn":
      return !c.value.some((v) => same(actual, v));
    case "contains":
      return typeof actual === "string" && actual.includes(c.value);
    case "startsWith":
      return typeof actual === "string" && actual.startsWith(c.value);
  }
  const n = finite(actual);
  if (n === undefined || !Number.isFinite(c.value)) return false;
  switch (c.op) {
    case "gt":
      return n > c.value;
    case "gte":
      return n >= c.value;
    case "lt":
      return n < c.value;
    case "lte":
      return n <= c.value;
  }
}

/** A number compares as a number (a numeric string in the context included); anything else exactly. */
function same(actual: unknown, expected: string | number | boolean): boolean {
  return typeof expected === "number" ? finite(actual) === expected : actual === expected;
}

/** Context values often arrive as strings ("42" from a query string); blank is not zero. */
function finite(value: unknown): number | undefined {
  const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}
