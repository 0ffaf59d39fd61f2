import { sql } from "drizzle-orm";
import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const sites = pgTable("sites", {
  id: text().primaryKey(),
  /** Public key used in the snippet; not a secret. */
  key: text().notNull().unique(),
  name: text().notNull(),
  origins: text().array().notNull().default(sql`'{}'::text[]`),
  shards: integer().notNull().default(1),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
