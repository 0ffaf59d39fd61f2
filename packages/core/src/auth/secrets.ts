/**
 * Bearer secrets: session cookies and API tokens. Only their SHA-256 is stored, so a
 * database leak does not leak working credentials; the random part is 256 bits.
 */
import { TOKEN_PREFIX } from "@sightline/shared/auth";
import { sha256Hex, toBase64Url } from "./encoding.ts";

export function randomSecret(bytes = 32): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export const hashSecret = sha256Hex;

/** A new API token: `sl_<random>`; its first 8 characters stay visible in listings. */
export async function newApiToken(): Promise<{ token: string; prefix: string; hash: string }> {
  const token = `${TOKEN_PREFIX}${randomSecret(32)}`;
  return { token, prefix: token.slice(0, TOKEN_PREFIX.length + 8), hash: await hashSecret(token) };
}

export function looksLikeApiToken(value: string): boolean {
  return value.startsWith(TOKEN_PREFIX) && value.length > TOKEN_PREFIX.length + 20 && value.length < 200;
}

/**
 * Compares a presented secret with the expected one in time that tells nothing about either:
 * both are hashed first, so the comparison always runs over 32 bytes, whatever the lengths.
 */
export async function secretsEqual(presented: string, expected: string): Promise<boolean> {
  const digest = (s: string) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  const [a, b] = await Promise.all([digest(presented), digest(expected)]);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= (x[i] as number) ^ (y[i] as number);
  return diff === 0;
}
