/** The part of a site's flags that may ship to browsers (the loader's local set). */
import type { Flag, SiteFlags } from "./schema.ts";

/**
 * Flags with a private condition are left out entirely, not just their private rules: rules
 * are tried in order, so a browser that skipped one could serve a later rule's variant to a
 * visitor the private rule would have caught. Those flags are evaluated at the edge through
 * OFREP. Descriptions are internal notes and stay behind too.
 */
export function publicFlags(record: SiteFlags): SiteFlags {
  return {
    version: record.version,
    flags: record.flags.filter((flag) => !hasPrivateCondition(flag)).map(({ description: _, ...flag }) => flag),
  };
}

function hasPrivateCondition(flag: Flag): boolean {
  return flag.rules.some((rule) => rule.conditions.some((c) => c.private === true));
}
