import type { Flag } from "@sightline/shared/flags";
import { bigint, index, json, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

export const FLAG_ACTIONS = ["created", "updated", "deleted"] as const;
export type FlagAction = (typeof FLAG_ACTIONS)[number];

/**
 * A site's feature flags, the source of truth for the record the edge serves from KV. The
 * definition is the whole validated flag as `json`, not `jsonb`: a split walks its variants in
 * their stored key order (shared flags/hash.ts), and `jsonb` re-sorts object keys. No foreign
 * key to sites, as for every per-site table: deleting a site deletes its rows explicitly.
 */
export const flags = pgTable(
  "flags",
  {
    siteId: text().notNull(),
    key: text().notNull(),
    definition: json().$type<Flag>().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.key] })],
);

/**
 * Every change of a flag: who, when, and the definition before and after (null before a
 * creation and after a deletion). The id is also the version of the site record the change
 * published: ids are drawn under the site's row lock, so a site's versions only grow.
 */
export const flagAudit = pgTable(
  "flag_audit",
  {
    id: bigint({ mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    siteId: text().notNull(),
    flagKey: text().notNull(),
    action: text({ enum: FLAG_ACTIONS }).notNull(),
    /** The account's email at the time: kept as text so the log outlives the account. */
    actor: text().notNull(),
    at: timestamp({ withTimezone: true }).notNull().defaultNow(),
    before: json().$type<Flag>(),
    after: json().$type<Flag>(),
  },
  // History reads one flag's changes newest first, paged by id (the order they were published in).
  (t) => [index("flag_audit_site_key_id").on(t.siteId, t.flagKey, t.id.desc())],
);
