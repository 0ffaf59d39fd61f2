/**
 * Scopes an API token can carry. `admin` implies `write`, which implies `read`, which implies
 * `flags`: evaluating the account's feature flags at the edge (OFREP, server SDKs), private
 * targeting included, and nothing else; the scope to give a server.
 */
export const TOKEN_SCOPES = ["flags", "read", "write", "admin"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

const RANK: Record<TokenScope, number> = { flags: 0, read: 1, write: 2, admin: 3 };

export function scopeAllows(granted: readonly TokenScope[], needed: TokenScope): boolean {
  return granted.some((s) => RANK[s] >= RANK[needed]);
}

/** Visible part of every API token, so leaked tokens are easy to spot and scan for. */
export const TOKEN_PREFIX = "sl_";
