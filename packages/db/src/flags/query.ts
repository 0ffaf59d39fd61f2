/** Reads of a site's flags and their history. The caller has checked that the site is the account's. */
import { and, asc, desc, eq, gte, lt, sql } from "drizzle-orm";
import type { Db } from "../index.ts";
import { flagAudit, flags } from "../schema/flags.ts";
import { dimensionStatsHourly } from "../schema/stats.ts";

export type FlagRow = typeof flags.$inferSelect;
export type FlagAuditRow = typeof flagAudit.$inferSelect;

/** Every flag of the site, by key; FLAG_LIMITS.maxFlagsPerSite bounds them. */
export async function list(db: Db, siteId: string): Promise<FlagRow[]> {
  return db.select().from(flags).where(eq(flags.siteId, siteId)).orderBy(asc(flags.key));
}

export async function get(db: Db, siteId: string, key: string): Promise<FlagRow | null> {
  const [row] = await db
    .select()
    .from(flags)
    .where(and(eq(flags.siteId, siteId), eq(flags.key, key)))
    .limit(1);
  return row ?? null;
}

/**
 * A flag's changes, newest first, `limit` of them after the cursor (the last id of the page
 * before). Kept after the flag is deleted, until its site is.
 */
export async function history(
  db: Db,
  siteId: string,
  key: string,
  limit: number,
  before?: number,
): Promise<FlagAuditRow[]> {
  return db
    .select()
    .from(flagAudit)
    .where(
      and(
        eq(flagAudit.siteId, siteId),
        eq(flagAudit.flagKey, key),
        before === undefined ? undefined : lt(flagAudit.id, before),
      ),
    )
    .orderBy(desc(flagAudit.id))
    .limit(limit);
}

/**
 * Pageviews and sessions per variant of one flag over a range: the `flag` breakdown's values
 * `<key>=<variant>` (a session counts once per variant over any range, as every breakdown).
 * Compared by prefix, not LIKE: `_` is both a wildcard and a character of flag keys.
 */
export async function variants(db: Db, siteId: string, key: string, range: { from: Date; to: Date }) {
  const t = dimensionStatsHourly;
  const prefix = `${key}=`;
  const rows = await db
    .select({
      value: t.value,
      pageviews: sql<number>`sum(${t.pageviews})::bigint`.mapWith(Number),
      sessions: sql<number>`sum(${t.sessions})::bigint`.mapWith(Number),
    })
    .from(t)
    .where(
      and(
        eq(t.siteId, siteId),
        eq(t.dimension, "flag"),
        eq(sql`left(${t.value}, ${prefix.length})`, prefix),
        gte(t.hour, range.from),
        lt(t.hour, range.to),
      ),
    )
    .groupBy(t.value)
    .orderBy(asc(t.value));
  return rows.map((r) => ({ variant: r.value.slice(prefix.length), pageviews: r.pageviews, sessions: r.sessions }));
}
