/**
 * Changing a site's flags. Each change is one transaction that holds the site's row lock,
 * writes the flag and its audit row, builds the site's whole record and publishes it before
 * committing: Postgres and the edge agree (as for sites), writers of one site queue behind one
 * another, and the record's version, the audit row's id, grows with every publish.
 */

import { SightlineError } from "@sightline/shared/errors";
import { type Flag, flagSchema, heatmapFlagCount, type SiteFlags } from "@sightline/shared/flags";
import { FLAG_LIMITS } from "@sightline/shared/limits/flags";
import { and, asc, count, eq, sql } from "drizzle-orm";
import type { Db } from "../index.ts";
import { type FlagAction, flagAudit, flags } from "../schema/flags.ts";
import { sites } from "../schema/sites.ts";
import type { FlagRow } from "./query.ts";

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export interface FlagWriter {
  accountId: string;
  siteId: string;
  /** Named in the audit row: the account's email. */
  actor: string;
  /** Puts the site's whole record at the edge; runs before commit, so its failure undoes the change. */
  publish: (siteKey: string, record: SiteFlags) => Promise<void>;
}

/** Fields to change; each one sent replaces the stored one whole, and null removes an optional one. */
export type FlagPatch = { [K in Exclude<keyof Flag, "key">]?: Flag[K] | null };

const utf8 = new TextEncoder();

export async function create(db: Db, w: FlagWriter, flag: Flag): Promise<FlagRow> {
  return db.transaction(async (tx) => {
    const siteKey = await lockSite(tx, w);
    const [row] = await tx
      .insert(flags)
      .values({ siteId: w.siteId, key: flag.key, definition: flag })
      .onConflictDoNothing()
      .returning();
    if (!row) throw new SightlineError("FLAG_EXISTS", `The site has a flag ${flag.key} already.`);
    // Counted under the site's lock, so two creations cannot both take the last place.
    const [held] = await tx.select({ n: count() }).from(flags).where(eq(flags.siteId, w.siteId));
    if ((held?.n ?? 0) > FLAG_LIMITS.maxFlagsPerSite) {
      throw new SightlineError("LIMIT_REACHED", `A site holds at most ${FLAG_LIMITS.maxFlagsPerSite} flags.`);
    }
    await publishChange(tx, w, siteKey, "created", flag.key, null, flag);
    return row;
  });
}

/** Merges `patch` into the stored flag under the lock and validates the result whole. */
export async function update(db: Db, w: FlagWriter, key: string, patch: FlagPatch): Promise<FlagRow> {
  return db.transaction(async (tx) => {
    const siteKey = await lockSite(tx, w);
    const current = await storedFlag(tx, w.siteId, key);
    const merged: Record<string, unknown> = { ...current.definition };
    for (const [field, value] of Object.entries(patch)) {
      if (value === null) delete merged[field];
      else if (value !== undefined) merged[field] = value;
    }
    const parsed = flagSchema.safeParse(merged);
    if (!parsed.success) {
      const where = parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join(".") || "(flag)"}: ${i.message}`)
        .join("; ");
      throw new SightlineError("VALIDATION_FAILED", `The changed flag is not valid: ${where}`);
    }
    const definition = parsed.data;
    // Nothing changed: no audit row and no publish.
    if (JSON.stringify(definition) === JSON.stringify(current.definition)) return current;
    const [row] = await tx
      .update(flags)
      .set({ definition, updatedAt: sql`now()` })
      .where(and(eq(flags.siteId, w.siteId), eq(flags.key, key)))
      .returning();
    if (!row) throw new Error("update returned no row");
    await publishChange(tx, w, siteKey, "updated", key, current.definition, definition);
    return row;
  });
}

export async function remove(db: Db, w: FlagWriter, key: string): Promise<void> {
  await db.transaction(async (tx) => {
    const siteKey = await lockSite(tx, w);
    const [row] = await tx
      .delete(flags)
      .where(and(eq(flags.siteId, w.siteId), eq(flags.key, key)))
      .returning();
    if (!row) throw noSuchFlag();
    await publishChange(tx, w, siteKey, "deleted", key, row.definition, null);
  });
}

/**
 * The site's key, with its row locked until commit; NOT_FOUND when the account has no such
 * site. `no key update` is enough to queue flag writers and a concurrent site deletion.
 */
async function lockSite(tx: Tx, w: FlagWriter): Promise<string> {
  const [site] = await tx
    .select({ key: sites.key })
    .from(sites)
    .where(and(eq(sites.id, w.siteId), eq(sites.accountId, w.accountId)))
    .for("no key update");
  if (!site) throw new SightlineError("NOT_FOUND", "No such site.");
  return site.key;
}

async function storedFlag(tx: Tx, siteId: string, key: string): Promise<FlagRow> {
  const [row] = await tx
    .select()
    .from(flags)
    .where(and(eq(flags.siteId, siteId), eq(flags.key, key)));
  if (!row) throw noSuchFlag();
  return row;
}

const noSuchFlag = () => new SightlineError("NOT_FOUND", "No such flag.");

/** Writes the audit row, whose id versions the record, then publishes the site's whole record. */
async function publishChange(
  tx: Tx,
  w: FlagWriter,
  siteKey: string,
  action: FlagAction,
  key: string,
  before: Flag | null,
  after: Flag | null,
): Promise<void> {
  const [audit] = await tx
    .insert(flagAudit)
    .values({ siteId: w.siteId, flagKey: key, action, actor: w.actor, before, after })
    .returning({ id: flagAudit.id });
  if (!audit) throw new Error("insert returned no row");
  const rows = await tx
    .select({ definition: flags.definition })
    .from(flags)
    .where(eq(flags.siteId, w.siteId))
    .orderBy(asc(flags.key));
  const record: SiteFlags = { version: audit.id, flags: rows.map((r) => r.definition) };
  // Counted under the site's lock, as the flags themselves; only a change that turns it on is refused.
  if (after?.heatmaps === true && before?.heatmaps !== true) {
    const others = record.flags.filter((f) => f.heatmaps === true && f.key !== key).map((f) => f.key);
    if (heatmapFlagCount(record.flags) > FLAG_LIMITS.maxHeatmapFlags) {
      throw new SightlineError(
        "LIMIT_REACHED",
        `At most ${FLAG_LIMITS.maxHeatmapFlags} flags of a site split heatmaps by variant; ${others.join(", ")} do. Turn it off on one of them first.`,
      );
    }
  }
  if (utf8.encode(JSON.stringify(record)).length > FLAG_LIMITS.maxRecordBytes) {
    throw new SightlineError(
      "LIMIT_REACHED",
      `A site's flags are at most ${FLAG_LIMITS.maxRecordBytes} bytes as JSON; this change would pass that.`,
    );
  }
  await w.publish(siteKey, record);
}
