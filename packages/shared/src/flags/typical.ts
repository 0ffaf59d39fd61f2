/**
 * A site's flags as sites use them, for the loader's size and the flags bench (the figures in
 * docs/FLAGS.md are of `typicalFlags(50)`): test data, not product code.
 */
import { type SiteFlags, siteFlagsSchema } from "./schema.ts";

const AREAS = ["checkout", "search", "onboarding", "pricing", "navigation", "reviews", "wishlist", "support"];

/**
 * `n` flags as sites use them: on/off switches targeted by country (2 in 10) or
 * device (1 in 10), three-way string experiments (2 in 10), object settings by path prefix
 * (1 in 10), and 25% rollouts of switches (4 in 10); each with a description.
 */
export function typicalFlags(n: number, version = 12, extra: unknown[] = []): SiteFlags {
  const onOff = { enabled: true, variants: { on: true, off: false }, defaultVariant: "off", offVariant: "off" };
  const flags = Array.from({ length: n }, (_, i) => {
    const area = AREAS[i % AREAS.length];
    const base = { key: `${area}-release-${i}`, description: `Owner: the ${area} team; remove after launch.` };
    switch (i % 10) {
      case 0:
      case 1:
        return {
          ...base,
          ...onOff,
          rules: [{ conditions: [{ attribute: "country", op: "in", value: ["FR", "DE", "NL", "BE"] }], variant: "on" }],
        };
      case 2:
        return {
          ...base,
          ...onOff,
          rules: [{ conditions: [{ attribute: "device", op: "eq", value: "mobile" }], variant: "on" }],
        };
      case 3:
      case 4:
        return {
          ...base,
          key: `${area}-experiment-${i}`,
          enabled: true,
          variants: { control: "Start free trial", a: "Try it free", b: "Get started" },
          defaultVariant: "control",
          offVariant: "control",
          rollout: { weights: { control: 3_334, a: 3_333, b: 3_333 } },
        };
      case 5:
        return {
          ...base,
          key: `${area}-settings-${i}`,
          enabled: true,
          variants: { standard: { pageSize: 20, theme: "light" }, large: { pageSize: 50, theme: "dark" } },
          defaultVariant: "standard",
          offVariant: "standard",
          rules: [{ conditions: [{ attribute: "path", op: "startsWith", value: "/app/" }], variant: "large" }],
        };
      default:
        return { ...base, ...onOff, rollout: { weights: { on: 10_000 }, percentage: 25 } };
    }
  });
  return siteFlagsSchema.parse({ version, flags: [...flags, ...extra] });
}
