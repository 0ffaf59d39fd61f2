/**
 * Flags and User-Agents the flag tests share: a site's public flags of every kind the edge
 * counts variants for (static, device rule, path rule, split) and one with private targeting.
 */
import { evaluateAll, evaluateFlag, type Flag, flagSchema, publicFlags } from "@sightline/shared/flags";

export const PHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

export const onOff = { enabled: true, variants: { on: true, off: false }, defaultVariant: "off", offVariant: "off" };
export const FLAGS = [
  { ...onOff, key: "static-on", defaultVariant: "on" },
  {
    ...onOff,
    key: "phones",
    rules: [{ conditions: [{ attribute: "device", op: "eq", value: "mobile" }], variant: "on" }],
  },
  {
    ...onOff,
    key: "pricing-page",
    rules: [{ conditions: [{ attribute: "path", op: "startsWith", value: "/pricing" }], variant: "on" }],
  },
  {
    key: "split",
    enabled: true,
    variants: { a: "A", b: "B" },
    defaultVariant: "a",
    offVariant: "a",
    rollout: { weights: { a: 5_000, b: 5_000 } },
  },
  {
    ...onOff,
    key: "beta-list",
    rules: [
      { conditions: [{ attribute: "email", op: "in", value: ["ada@shop.example"], private: true }], variant: "on" },
    ],
  },
].map((f) => flagSchema.parse(f));

/** The variant a split serves a session, as the loader and the edge evaluate it. */
export const variantOf = (flag: Flag | undefined, sessionId: string) => {
  const r = flag && evaluateFlag(flag, { targetingKey: sessionId });
  return r && "variant" in r ? r.variant : "?";
};

/**
 * What the loader's flags code reports for a page, as the core sends it in `flags`: every public
 * flag evaluated for the visitor (the session id, the edge's country and device, the page's path).
 */
export function reported(
  flags: Flag[],
  page: { sessionId: string; path: string; device?: string; country?: string },
): string[] {
  const { sessionId, ...attributes } = page;
  return evaluateAll(publicFlags({ version: 1, flags }), { ...attributes, targetingKey: sessionId }).flatMap((r) =>
    "variant" in r ? [`${r.key}=${r.variant}`] : [],
  );
}
