/**
 * The flag editor's pure side: a form model a person edits (variants as typed text, weights
 * in percent, rows with stable ids so a renamed variant stays picked), its conversion to and
 * from a flag, checked by the shared `flagSchema` the API checks with, and the words the list
 * and the history read flags with. This module carries zod: it loads with the Flags page only.
 */
import {
  FLAG_DEVICES,
  type FlagCondition,
  type Flag as FlagDefinition,
  type FlagValue,
  flagSchema,
  SPLIT_BASIS_POINTS,
  type SplitWeights,
} from "@sightline/shared/flags";
import { FLAG_LIMITS } from "@sightline/shared/limits/flags";
import type { FlagChanges } from "../api/types.ts";

/**
 * Every bound the editor shows (maxlength, the add buttons' caps, hints), read from the limits
 * the schema enforces; flags.test.ts checks each against flagSchema at and past its edge.
 */
export const FLAG_FORM_LIMITS = {
  keyLength: FLAG_LIMITS.maxKeyLength,
  descriptionLength: FLAG_LIMITS.maxDescriptionLength,
  variantNameLength: FLAG_LIMITS.maxVariantNameLength,
  variantBytes: FLAG_LIMITS.maxVariantBytes,
  variants: FLAG_LIMITS.maxVariants,
  rules: FLAG_LIMITS.maxRules,
  conditionsPerRule: FLAG_LIMITS.maxConditionsPerRule,
  attributeLength: FLAG_LIMITS.maxAttributeLength,
  conditionValueLength: FLAG_LIMITS.maxConditionValueLength,
  listValues: FLAG_LIMITS.maxListValues,
} as const;

export type VariantKind = "boolean" | "string" | "number" | "json";
export const VARIANT_KINDS: [VariantKind, string][] = [
  ["boolean", "Boolean (on / off)"],
  ["string", "Strings"],
  ["number", "Numbers"],
  ["json", "JSON objects"],
];

export type ConditionOp = FlagCondition["op"];
/** Every operator the schema knows, in words; a Record, so a new operator fails to compile here. */
export const OP_WORDS: Record<ConditionOp, string> = {
  eq: "is",
  neq: "is not",
  in: "is one of",
  notIn: "is not one of",
  contains: "contains",
  startsWith: "starts with",
  gt: ">",
  gte: "≥",
  lt: "<",
  lte: "≤",
};
export const CONDITION_OPS = Object.entries(OP_WORDS) as [ConditionOp, string][];

/** Attributes the edge fills in (docs/FLAGS.md); any other name is the caller's own. */
export const BUILT_IN_ATTRIBUTES = ["country", "device", "path"] as const;
export type AttributeChoice = (typeof BUILT_IN_ATTRIBUTES)[number] | "custom";
export const DEVICES = FLAG_DEVICES;

export const isListOp = (op: ConditionOp) => op === "in" || op === "notIn";
const isNumberOp = (op: ConditionOp) => op === "gt" || op === "gte" || op === "lt" || op === "lte";
const isTextOp = (op: ConditionOp) => op === "contains" || op === "startsWith";

export interface VariantRow {
  /** Stable while the row lives: what the pickers, weights and rules point at. */
  id: string;
  name: string;
  /** As typed: "true"/"false" for booleans, a number, a string, or a JSON object's text. */
  value: string;
}

export interface WeightRow {
  variant: string;
  percent: string;
  /** Kept in the saved split even at 0%, because the flag had it there. */
  listed: boolean;
}

export interface ConditionForm {
  attribute: AttributeChoice;
  custom: string;
  op: ConditionOp;
  value: string;
  /** undefined: the flag did not say; saved only once said. */
  private: boolean | undefined;
}

export interface RuleForm {
  conditions: ConditionForm[];
  serve: "variant" | "split";
  variant: string;
  split: WeightRow[];
}

export interface FlagForm {
  key: string;
  description: string;
  enabled: boolean;
  kind: VariantKind;
  variants: VariantRow[];
  defaultVariant: string;
  offVariant: string;
  rollout: { on: boolean; percentage: number; weights: WeightRow[] };
  rules: RuleForm[];
  /** Not edited here; kept as the flag has it. */
  seed: string | undefined;
  /** Split heatmaps by the variants. undefined: the flag did not say (off); saved only once said. */
  heatmaps: boolean | undefined;
}

let lastRowId = 0;
const rowId = () => `v${++lastRowId}`;

export function kindOf(variants: Record<string, FlagValue>): VariantKind {
  const first = Object.values(variants)[0];
  if (first === undefined || typeof first === "boolean") return "boolean";
  if (typeof first === "string") return "string";
  if (typeof first === "number") return "number";
  return "json";
}

/** A new flag: on/off, off by default, on for nobody until a rollout or a rule says so. */
export function newFlagForm(): FlagForm {
  const on = { id: rowId(), name: "on", value: "true" };
  const off = { id: rowId(), name: "off", value: "false" };
  return {
    key: "",
    description: "",
    enabled: true,
    kind: "boolean",
    variants: [on, off],
    defaultVariant: off.id,
    offVariant: off.id,
    rollout: { on: false, percentage: 100, weights: firstOtherThan([on, off], off.id) },
    rules: [],
    seed: undefined,
    heatmaps: undefined,
  };
}

export function flagToForm(flag: FlagDefinition): FlagForm {
  const kind = kindOf(flag.variants);
  const variants = Object.entries(flag.variants).map(([name, value]) => ({
    id: rowId(),
    name,
    value: valueText(value),
  }));
  const idOf = (name: string) => variants.find((v) => v.name === name)?.id ?? "";
  const weights = (split: SplitWeights): WeightRow[] =>
    syncWeights(
      Object.entries(split).map(([name, bp]) => ({ variant: idOf(name), percent: percentText(bp), listed: true })),
      variants,
    );
  return {
    key: flag.key,
    description: flag.description ?? "",
    enabled: flag.enabled,
    kind,
    variants,
    defaultVariant: idOf(flag.defaultVariant),
    offVariant: idOf(flag.offVariant),
    rollout: flag.rollout
      ? { on: true, percentage: flag.rollout.percentage, weights: weights(flag.rollout.weights) }
      : { on: false, percentage: 100, weights: firstOtherThan(variants, idOf(flag.defaultVariant)) },
    rules: flag.rules.map((rule) => ({
      conditions: rule.conditions.map(conditionToForm),
      serve: "variant" in rule ? "variant" : "split",
      variant: "variant" in rule ? idOf(rule.variant) : (variants[0]?.id ?? ""),
      split: "split" in rule ? weights(rule.split) : evenWeights(variants),
    })),
    seed: flag.seed,
    heatmaps: flag.heatmaps,
  };
}

function conditionToForm(c: FlagCondition): ConditionForm {
  const builtIn = (BUILT_IN_ATTRIBUTES as readonly string[]).includes(c.attribute);
  return {
    attribute: builtIn ? (c.attribute as AttributeChoice) : "custom",
    custom: builtIn ? "" : c.attribute,
    op: c.op,
    value: Array.isArray(c.value) ? c.value.map((v) => scalarText(v, "list")).join(", ") : scalarText(c.value, c.op),
    private: c.private,
  };
}

export function newCondition(): ConditionForm {
  return { attribute: "country", custom: "", op: "eq", value: "", private: undefined };
}

export function newRule(variants: VariantRow[]): RuleForm {
  return {
    conditions: [newCondition()],
    serve: "variant",
    variant: variants[0]?.id ?? "",
    split: evenWeights(variants),
  };
}

/** A value as its row shows it. */
export function valueText(value: FlagValue): string {
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** What a new row of a kind holds, and what a row keeps when the kind changes and its text no longer fits. */
const KIND_DEFAULT: Record<VariantKind, string> = { boolean: "false", string: "", number: "0", json: "{}" };

export function newVariant(form: FlagForm): VariantRow {
  const taken = new Set(form.variants.map((v) => v.name));
  let n = form.variants.length + 1;
  while (taken.has(`variant-${n}`)) n++;
  return { id: rowId(), name: `variant-${n}`, value: KIND_DEFAULT[form.kind] };
}

/**
 * Another kind: booleans are the two rows on and off (the first two rows' ids kept, so what
 * pointed at them still does); other kinds keep every row and each text that still reads.
 */
export function switchKind(form: FlagForm, kind: VariantKind): FlagForm {
  if (kind === form.kind) return form;
  let variants: VariantRow[];
  if (kind === "boolean") {
    variants = [
      { id: form.variants[0]?.id ?? rowId(), name: "on", value: "true" },
      { id: form.variants[1]?.id ?? rowId(), name: "off", value: "false" },
    ];
  } else {
    variants = form.variants.map((v) => ({ ...v, value: parseValue(v.value, kind).ok ? v.value : KIND_DEFAULT[kind] }));
  }
  return resync({ ...form, kind, variants });
}

/** Weights of splits for the rows as they are now: rows gone are dropped, new rows come in at 0%. */
export function syncWeights(weights: WeightRow[], variants: VariantRow[]): WeightRow[] {
  const ids = new Set(variants.map((v) => v.id));
  const kept = weights.filter((w) => ids.has(w.variant));
  const missing = variants.filter((v) => !kept.some((w) => w.variant === v.id));
  return [...kept, ...missing.map((v) => ({ variant: v.id, percent: "0", listed: false }))];
}

/** Every split of the form brought in line with its variant rows. */
export function resync(form: FlagForm): FlagForm {
  return {
    ...form,
    rollout: { ...form.rollout, weights: syncWeights(form.rollout.weights, form.variants) },
    rules: form.rules.map((r) => ({ ...r, split: syncWeights(r.split, form.variants) })),
  };
}

/** All of the rollout to the first variant other than `except` (for on/off: on), the rest at 0%. */
function firstOtherThan(variants: VariantRow[], except: string): WeightRow[] {
  const target = variants.find((v) => v.id !== except) ?? variants[0];
  return variants.map((v) => ({ variant: v.id, percent: v === target ? "100" : "0", listed: v === target }));
}

/** A new rule's split: even, and a variant set to 0% is left out of it. */
export function evenWeights(variants: VariantRow[]): WeightRow[] {
  const bp = evenBasisPoints(variants.length);
  return variants.map((v, i) => ({ variant: v.id, percent: percentText(bp[i] ?? 0), listed: false }));
}

// ---------------------------------------------------------------------------------------------
// Percent and basis points

/** Basis points as the percent a person reads and types: 3333 -> "33.33". */
export function percentText(bp: number): string {
  return String(bp / 100);
}

/** A percent as typed ("30", "12.5", "12,5", "30 %"); null unless a number from 0 to 100. */
export function parsePercent(text: string): number | null {
  const t = text.trim().replace(/\s*%$/, "").replace(",", ".");
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(t)) return null;
  const n = Number(t);
  return n >= 0 && n <= 100 ? n : null;
}

/** 10,000 basis points shared as evenly as whole points allow, the first ones taking the rest. */
export function evenBasisPoints(n: number): number[] {
  if (n <= 0) return [];
  const share = Math.floor(SPLIT_BASIS_POINTS / n);
  const rest = SPLIT_BASIS_POINTS - share * n;
  return Array.from({ length: n }, (_, i) => share + (i < rest ? 1 : 0));
}

/**
 * Percents that add up to 100 (give or take one basis point, so three times 33.33 is a split)
 * as whole basis points that add up to exactly 10,000: scaled to the total, floored, and the
 * points left over handed to the largest remainders (the earlier of equal ones first).
 * null when they do not add up to 100.
 */
export function toBasisPoints(percents: number[]): number[] | null {
  const total = percents.reduce((s, p) => s + p, 0);
  if (percents.length === 0 || Math.abs(total - 100) > 0.01 + 1e-9) return null;
  const exact = percents.map((p) => (p * SPLIT_BASIS_POINTS) / total);
  const points = exact.map(Math.floor);
  let left = SPLIT_BASIS_POINTS - points.reduce((s, p) => s + p, 0);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    points[i] = (points[i] ?? 0) + 1;
    left--;
  }
  return points;
}

/** The sum of a split's percents as typed, for the "adds up to" line; null while one does not read. */
export function percentTotal(weights: WeightRow[]): number | null {
  let total = 0;
  for (const w of weights) {
    const p = parsePercent(w.percent);
    if (p === null) return null;
    total += p;
  }
  return Math.round(total * 100) / 100;
}

// ---------------------------------------------------------------------------------------------
// Values typed into rows and conditions

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export function parseValue(text: string, kind: VariantKind): Parsed<FlagValue> {
  switch (kind) {
    case "boolean":
      return text === "true" || text === "false"
        ? { ok: true, value: text === "true" }
        : { ok: false, error: "is true or false" };
    case "string":
      return { ok: true, value: text };
    case "number": {
      const n = readNumber(text);
      return n === null ? { ok: false, error: `“${text}” is not a number` } : { ok: true, value: n };
    }
    case "json": {
      try {
        const v: unknown = JSON.parse(text);
        if (typeof v === "object" && v !== null && !Array.isArray(v)) {
          return { ok: true, value: v as Record<string, FlagValue> };
        }
      } catch {
        // Falls through to the message below.
      }
      return { ok: false, error: "is not a JSON object ({ … })" };
    }
  }
}

function readNumber(text: string): number | null {
  const t = text.trim();
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

type Scalar = string | number | boolean;
type ValueContext = ConditionOp | "list";

/**
 * A condition's value as typed: a number reads as a number and true/false (for is / is not) as
 * a boolean; text in double quotes is text whatever it looks like ("42"), and may hold commas.
 */
function parseScalar(text: string, context: ValueContext): Scalar {
  const t = text.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) {
    try {
      const s: unknown = JSON.parse(t);
      if (typeof s === "string") return s;
    } catch {
      // Not a JSON string after all: the text as typed.
    }
  }
  if (context === "contains" || context === "startsWith") return t;
  if ((context === "eq" || context === "neq") && (t === "true" || t === "false")) return t === "true";
  return readNumber(t) ?? t;
}

/** The text that reads back as exactly this value; quoted where plain text would not. */
function scalarText(value: Scalar, context: ValueContext): string {
  if (typeof value !== "string") return String(value);
  const plain = parseScalar(value, context) === value && !value.startsWith('"');
  const listSafe = context !== "list" || (value !== "" && !value.includes(",") && !value.includes('"'));
  return plain && listSafe ? value : JSON.stringify(value);
}

/** Entries of a comma-separated list, commas inside double quotes kept. */
export function splitList(text: string): string[] {
  const out: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\\" && quoted) {
      current += ch + (text[i + 1] ?? "");
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
      current += ch;
    } else if (ch === "," && !quoted) {
      out.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  out.push(current);
  return out.filter((s) => s.trim() !== "");
}

function conditionValue(c: ConditionForm): Parsed<FlagCondition["value"]> {
  if (isListOp(c.op)) {
    const items = splitList(c.value).map((s) => parseScalar(s, "list"));
    if (items.length === 0) return { ok: false, error: "needs at least one value" };
    return { ok: true, value: items as (string | number)[] };
  }
  if (isNumberOp(c.op)) {
    const n = readNumber(c.value);
    return n === null ? { ok: false, error: "needs a number" } : { ok: true, value: n };
  }
  const v = parseScalar(c.value, c.op);
  return isTextOp(c.op) ? { ok: true, value: String(v) } : { ok: true, value: v };
}

// ---------------------------------------------------------------------------------------------
// Form -> flag

export type FormResult = { ok: true; flag: FlagDefinition } | { ok: false; errors: string[] };

/**
 * The flag the form describes, as flagSchema gives it back (the schema's own key order, so an
 * unchanged flag saves as the same JSON and the API writes nothing). Errors are sentences, the
 * form's own first (a weight that does not read), then the schema's.
 */
export function formToFlag(form: FlagForm): FormResult {
  const errors: string[] = [];
  const nameOf = new Map<string, string>();
  const variants: Record<string, FlagValue> = {};
  form.variants.forEach((row, i) => {
    const name = row.name.trim();
    const label = name ? `Variant “${name}”` : `Variant ${i + 1}`;
    if (!name) errors.push(`${label}: a name is required.`);
    else if (Object.hasOwn(variants, name)) errors.push(`Two variants are named “${name}”.`);
    const v = parseValue(row.value, form.kind);
    if (!v.ok) errors.push(`${label}: ${v.error}.`);
    else variants[name] = v.value;
    nameOf.set(row.id, name);
  });
  const pick = (id: string, label: string) => {
    const name = nameOf.get(id);
    if (name === undefined) errors.push(`${label}: choose a variant.`);
    return name ?? "";
  };
  const split = (weights: WeightRow[], label: string): SplitWeights => {
    const rows = syncWeights(weights, form.variants);
    const percents = rows.map((w) => parsePercent(w.percent));
    if (percents.some((p) => p === null)) {
      errors.push(`${label}: each weight is a percent from 0 to 100.`);
      return {};
    }
    const points = toBasisPoints(percents as number[]);
    if (!points) {
      errors.push(`${label}: the weights add up to ${percentTotal(rows)}%; they must add up to 100%.`);
      return {};
    }
    const out: SplitWeights = {};
    rows.forEach((w, i) => {
      const bp = points[i] ?? 0;
      if (bp > 0 || w.listed) out[nameOf.get(w.variant) ?? ""] = bp;
    });
    return out;
  };

  const description = form.description.trim();
  const draft: Record<string, unknown> = {
    key: form.key.trim(),
    ...(description === "" ? {} : { description }),
    enabled: form.enabled,
    variants,
    defaultVariant: pick(form.defaultVariant, "Default variant"),
    offVariant: pick(form.offVariant, "Off variant"),
    ...(form.rollout.on
      ? { rollout: { weights: split(form.rollout.weights, "Rollout split"), percentage: form.rollout.percentage } }
      : {}),
    rules: form.rules.map((rule, i) => {
      const conditions = rule.conditions.map((c, j) => {
        const value = conditionValue(c);
        if (!value.ok) errors.push(`Rule ${i + 1}, condition ${j + 1}: the value ${value.error}.`);
        return {
          attribute: c.attribute === "custom" ? c.custom.trim() : c.attribute,
          ...(c.private === undefined ? {} : { private: c.private }),
          op: c.op,
          value: value.ok ? value.value : "",
        };
      });
      return rule.serve === "variant"
        ? { conditions, variant: pick(rule.variant, `Rule ${i + 1}`) }
        : { conditions, split: split(rule.split, `Rule ${i + 1} split`) };
    }),
    ...(form.seed === undefined ? {} : { seed: form.seed }),
    ...(form.heatmaps === undefined ? {} : { heatmaps: form.heatmaps }),
  };
  if (errors.length > 0) return { ok: false, errors };
  const parsed = flagSchema.safeParse(draft);
  if (!parsed.success) {
    // A refused variant name is refused again wherever a split or a rule names it: said once.
    const badName = parsed.error.issues.some((i) => i.code === "invalid_key" && i.path[0] === "variants");
    const issues = parsed.error.issues.filter(
      (i) => !badName || i.path[0] === "variants" || (i.code !== "invalid_key" && i.code !== "invalid_union"),
    );
    return { ok: false, errors: issues.slice(0, 8).map(issueText) };
  }
  return { ok: true, flag: parsed.data };
}

/** Flags of a site that may split heatmaps by variant (a bound on the site's record, not on a flag). */
export const MAX_HEATMAP_FLAGS = FLAG_LIMITS.maxHeatmapFlags;

/**
 * Whether the flag may turn on splitting heatmaps: at most MAX_HEATMAP_FLAGS of a site's flags
 * do. The others that do, by key, when it may not; null when it may.
 */
export function heatmapsTakenBy(key: string, flags: readonly FlagDefinition[]): string[] | null {
  const others = flags.filter((f) => f.key !== key && f.heatmaps === true).map((f) => f.key);
  return others.length >= MAX_HEATMAP_FLAGS ? others : null;
}

/** A PATCH body that replaces every field (null removes an optional one); the key is the URL's. */
export function flagChanges(flag: FlagDefinition): FlagChanges {
  const { key: _, description, rollout, seed, ...rest } = flag;
  return {
    ...rest,
    description: description ?? null,
    rollout: rollout ?? null,
    ...(seed === undefined ? {} : { seed }),
  };
}

interface SchemaIssue {
  code: string;
  path: PropertyKey[];
  message: string;
  maximum?: unknown;
  minimum?: unknown;
  origin?: string;
  expected?: string;
  issues?: SchemaIssue[];
}

/** Where in the form a schema issue's path points, in the form's own words. */
export function issuePlace(path: PropertyKey[]): string {
  const [head, a, b, c, d] = path.map(String);
  switch (head) {
    case "key":
      return "Key";
    case "description":
      return "Description";
    case "variants":
      return a === undefined ? "Variants" : `Variant “${a}”`;
    case "defaultVariant":
      return "Default variant";
    case "offVariant":
      return "Off variant";
    case "seed":
      return "Seed";
    case "heatmaps":
      return "Split heatmaps by variant";
    case "rollout":
      return a === "percentage" ? "Rollout percentage" : a === "weights" ? "Rollout split" : "Rollout";
    case "rules": {
      if (a === undefined) return "Rules";
      const rule = `Rule ${Number(a) + 1}`;
      if (b === "conditions" && c !== undefined) {
        return `${rule}, condition ${Number(c) + 1}${d === "attribute" ? ", attribute" : d === "value" ? ", value" : ""}`;
      }
      return b === "conditions" ? `${rule}, conditions` : b === "split" ? `${rule} split` : rule;
    }
    default:
      return "The flag";
  }
}

/** A schema issue as a sentence: where, and what is wrong in words. */
export function issueText(issue: SchemaIssue): string {
  return `${issuePlace(issue.path)}: ${issueWords(issue)}.`;
}

const IDENTIFIER = "use lowercase letters, digits, “.”, “_” and “-”, starting with a letter or digit";

function issueWords(issue: SchemaIssue): string {
  const unit = issue.origin === "string" ? " characters" : issue.origin === "array" ? " entries" : "";
  switch (issue.code) {
    case "too_big":
      return `at most ${formatBound(issue.maximum)}${unit}`;
    case "too_small":
      return issue.origin === "string" && issue.minimum === 1
        ? "required"
        : `at least ${formatBound(issue.minimum)}${unit}`;
    case "invalid_format":
      return IDENTIFIER;
    case "invalid_key":
      return `its name: ${issue.issues?.[0] ? issueWords(issue.issues[0]) : "not valid"}`;
    case "invalid_type":
      return issue.expected
        ? `expected ${issue.expected === "record" ? "an object" : `a ${issue.expected}`}`
        : issue.message;
    default:
      return issue.message.replace(/\.$/, "");
  }
}

const formatBound = (n: unknown) => (typeof n === "number" ? n.toLocaleString("en") : String(n));

// ---------------------------------------------------------------------------------------------
// Reading flags: the list's summary, rules, the history's changes

const KIND_WORDS: Record<VariantKind, string> = {
  boolean: "boolean",
  string: "string",
  number: "number",
  json: "JSON",
};

export function formatValue(value: FlagValue, max = 40): string {
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** "a 30% / b 70%", or the one variant's name when it takes everything. */
export function splitText(weights: SplitWeights): string {
  const shares = Object.entries(weights).filter(([, bp]) => bp > 0);
  if (shares.length === 1 && shares[0]) return shares[0][0];
  return shares.map(([name, bp]) => `${name} ${percentText(bp)}%`).join(" / ");
}

const count = (n: number, one: string, many: string) => `${n.toLocaleString("en")} ${n === 1 ? one : many}`;

/** One line for the list: "on/off · 25% get on · 1 rule". */
export function flagSummary(flag: FlagDefinition): string {
  const kind = kindOf(flag.variants);
  const names = Object.keys(flag.variants);
  const variants =
    kind === "boolean" && names.length <= 2
      ? names.join("/")
      : count(names.length, `${KIND_WORDS[kind]} variant`, `${KIND_WORDS[kind]} variants`);
  const serving = flag.rollout
    ? `${flag.rollout.percentage}% get ${splitText(flag.rollout.weights)}`
    : `serves ${flag.defaultVariant}`;
  const rules = flag.rules.length === 0 ? "no rules" : count(flag.rules.length, "rule", "rules");
  return [variants, serving, rules].join(" · ");
}

export function conditionText(c: FlagCondition): string {
  const op = OP_WORDS[c.op];
  const value = Array.isArray(c.value) ? c.value.map((v) => JSON.stringify(v)).join(", ") : JSON.stringify(c.value);
  return `${c.attribute} ${op} ${value}${c.private ? " (private)" : ""}`;
}

/** "country is "DE" and device is "mobile" → b". */
export function ruleText(rule: FlagDefinition["rules"][number]): string {
  const when = rule.conditions.map(conditionText).join(" and ");
  return `${when} → ${"variant" in rule ? rule.variant : splitText(rule.split)}`;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** What one audited change did, a line per difference; for a creation or a deletion, the flag as it was. */
export function historyChanges(before: FlagDefinition | null, after: FlagDefinition | null): string[] {
  if (!before && after) return [`Created: ${after.enabled ? "on" : "off"}, ${flagSummary(after)}`];
  if (before && !after) return [`Deleted (was ${before.enabled ? "on" : "off"}, ${flagSummary(before)})`];
  if (!before || !after) return [];
  const lines: string[] = [];
  if (before.enabled !== after.enabled) lines.push(after.enabled ? "Turned on" : "Turned off");
  if ((before.description ?? "") !== (after.description ?? "")) {
    lines.push(`Description: ${quoted(before.description)} → ${quoted(after.description)}`);
  }
  const names = new Set([...Object.keys(before.variants), ...Object.keys(after.variants)]);
  for (const name of names) {
    const was = Object.hasOwn(before.variants, name) ? before.variants[name] : undefined;
    const now = Object.hasOwn(after.variants, name) ? after.variants[name] : undefined;
    if (was === undefined && now !== undefined) lines.push(`Variant ${name} added: ${formatValue(now)}`);
    else if (was !== undefined && now === undefined) lines.push(`Variant ${name} removed`);
    else if (was !== undefined && now !== undefined && !same(was, now)) {
      lines.push(`Variant ${name}: ${formatValue(was)} → ${formatValue(now)}`);
    }
  }
  const order = (f: FlagDefinition) => Object.keys(f.variants).filter((n) => names.has(n));
  if (lines.every((l) => !l.startsWith("Variant")) && !same(order(before), order(after))) {
    lines.push(`Variant order: ${order(before).join(", ")} → ${order(after).join(", ")}`);
  }
  if (before.defaultVariant !== after.defaultVariant) {
    lines.push(`Default variant: ${before.defaultVariant} → ${after.defaultVariant}`);
  }
  if (before.offVariant !== after.offVariant) lines.push(`Off variant: ${before.offVariant} → ${after.offVariant}`);
  lines.push(...rolloutChanges(before.rollout, after.rollout));
  const rules = Math.max(before.rules.length, after.rules.length);
  for (let i = 0; i < rules; i++) {
    const was = before.rules[i];
    const now = after.rules[i];
    if (!was && now) lines.push(`Rule ${i + 1} added: ${ruleText(now)}`);
    else if (was && !now) lines.push(`Rule ${i + 1} removed: ${ruleText(was)}`);
    else if (was && now && !same(was, now)) lines.push(`Rule ${i + 1}: ${ruleText(was)} ⇒ ${ruleText(now)}`);
  }
  if (before.seed !== after.seed) lines.push(`Seed: ${quoted(before.seed)} → ${quoted(after.seed)}`);
  if ((before.heatmaps ?? false) !== (after.heatmaps ?? false)) {
    lines.push(after.heatmaps ? "Heatmaps split by variant" : "Heatmaps no longer split by variant");
  }
  return lines.length > 0 ? lines : ["No change to what visitors get"];
}

function rolloutChanges(was: FlagDefinition["rollout"], now: FlagDefinition["rollout"]): string[] {
  if (!was && !now) return [];
  if (!was && now) return [`Rollout added: ${now.percentage}% get ${splitText(now.weights)}`];
  if (was && !now) return [`Rollout removed (was ${was.percentage}% get ${splitText(was.weights)})`];
  if (!was || !now) return [];
  const lines: string[] = [];
  if (was.percentage !== now.percentage) lines.push(`Rollout: ${was.percentage}% → ${now.percentage}%`);
  if (!same(was.weights, now.weights)) {
    lines.push(`Rollout split: ${splitText(was.weights)} → ${splitText(now.weights)}`);
  }
  return lines;
}

const quoted = (s: string | undefined) => (s === undefined || s === "" ? "(none)" : `“${s}”`);
