/** Scopes an API token can carry. `admin` implies `write`, which implies `read`. */
export const TOKEN_SCOPES = ["read", "write", "admin"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

const RANK: Record<TokenScope, number> = { read: 0, write: 1, admin: 2 };

export function scopeAllows(granted: readonly TokenScope[], needed: TokenScope): boolean {
  return granted.some((s) => RANK[s] >= RANK[needed]);
}

/** Visible part of every API token, so leaked tokens are easy to spot and scan for. */
export const TOKEN_PREFIX = "sl_";
