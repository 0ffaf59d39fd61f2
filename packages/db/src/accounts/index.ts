/** Accounts, dashboard sessions and API tokens. Secrets arrive hashed; none is stored plain. */
import type { TokenScope } from "@sightline/shared/auth";
import { newId } from "@sightline/shared/ids";
import { and, count, desc, eq, gt, isNull, lt, sql } from "drizzle-orm";
import type { Db } from "../index.ts";
import { accounts, apiTokens, authSessions } from "../schema/accounts.ts";
import { sites } from "../schema/sites.ts";

export interface Account {
  id: string;
  email: string;
}

export async function accountCount(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(accounts);
  return row?.n ?? 0;
}

/**
 * The first account, made once. Sites created before any account existed (the local demo
 * site) are adopted by it. Returns null when an account already exists.
 */
export async function createOwner(db: Db, email: string, passwordHash: string): Promise<Account | null> {
  return db.transaction(async (tx) => {
    // Serialises concurrent setups: only one can see zero accounts.
    await tx.execute(sql`select pg_advisory_xact_lock(727001)`);
    const [existing] = await tx.select({ n: count() }).from(accounts);
    if ((existing?.n ?? 0) > 0) return null;
    const account = { id: newId("account"), email: email.toLowerCase(), passwordHash };
    await tx.insert(accounts).values(account);
    await tx.update(sites).set({ accountId: account.id }).where(isNull(sites.accountId));
    return { id: account.id, email: account.email };
  });
}

export async function createAccount(db: Db, email: string, passwordHash: string): Promise<Account> {
  const account = { id: newId("account"), email: email.toLowerCase(), passwordHash };
  await db.insert(accounts).values(account);
  return { id: account.id, email: account.email };
}

export async function findAccountByEmail(db: Db, email: string) {
  const [row] = await db.select().from(accounts).where(eq(accounts.email, email.toLowerCase())).limit(1);
  return row ?? null;
}

export async function createSession(db: Db, accountId: string, tokenHash: string, ttlMs: number): Promise<void> {
  await db.insert(authSessions).values({ tokenHash, accountId, expiresAt: new Date(Date.now() + ttlMs) });
}

export async function accountForSession(db: Db, tokenHash: string): Promise<Account | null> {
  const [row] = await db
    .select({ id: accounts.id, email: accounts.email })
    .from(authSessions)
    .innerJoin(accounts, eq(accounts.id, authSessions.accountId))
    .where(and(eq(authSessions.tokenHash, tokenHash), gt(authSessions.expiresAt, new Date())))
    .limit(1);
  return row ?? null;
}

export async function deleteSession(db: Db, tokenHash: string): Promise<void> {
  await db.delete(authSessions).where(eq(authSessions.tokenHash, tokenHash));
}

export interface TokenRow {
  id: string;
  name: string;
  prefix: string;
  scopes: TokenScope[];
  createdAt: Date;
  lastUsedAt: Date | null;
}

const tokenColumns = {
  id: apiTokens.id,
  name: apiTokens.name,
  prefix: apiTokens.prefix,
  scopes: apiTokens.scopes,
  createdAt: apiTokens.createdAt,
  lastUsedAt: apiTokens.lastUsedAt,
};

export async function createToken(
  db: Db,
  input: { accountId: string; name: string; prefix: string; hash: string; scopes: TokenScope[] },
): Promise<TokenRow> {
  const [row] = await db
    .insert(apiTokens)
    .values({
      id: newId("token"),
      accountId: input.accountId,
      name: input.name,
      prefix: input.prefix,
      tokenHash: input.hash,
      scopes: input.scopes,
    })
    .returning(tokenColumns);
  if (!row) throw new Error("insert returned no row");
  return row;
}

/** The account and scopes behind a live (not revoked) token. */
export async function accountForToken(db: Db, tokenHash: string) {
  const [row] = await db
    .select({ id: accounts.id, email: accounts.email, tokenId: apiTokens.id, scopes: apiTokens.scopes })
    .from(apiTokens)
    .innerJoin(accounts, eq(accounts.id, apiTokens.accountId))
    .where(and(eq(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAt)))
    .limit(1);
  return row ?? null;
}

export async function touchToken(db: Db, tokenId: string): Promise<void> {
  await db.update(apiTokens).set({ lastUsedAt: new Date() }).where(eq(apiTokens.id, tokenId));
}

/** Newest first; the cursor is the last id of the previous page (ids sort by time). */
export async function listTokens(db: Db, accountId: string, limit: number, before?: string): Promise<TokenRow[]> {
  return db
    .select(tokenColumns)
    .from(apiTokens)
    .where(
      and(
        eq(apiTokens.accountId, accountId),
        isNull(apiTokens.revokedAt),
        before ? lt(apiTokens.id, before) : undefined,
      ),
    )
    .orderBy(desc(apiTokens.id))
    .limit(limit);
}

/** Revokes a live token of the account; its hash (to forget cached copies), or null if none. */
export async function revokeToken(db: Db, accountId: string, tokenId: string): Promise<string | null> {
  const [row] = await db
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.accountId, accountId), isNull(apiTokens.revokedAt)))
    .returning({ hash: apiTokens.tokenHash });
  return row?.hash ?? null;
}
