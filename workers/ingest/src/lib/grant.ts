/**
 * Grants: stateless proof that the edge chose a session to record, or a visitor to take a
 * page's snapshot. A grant is base64url(payload) "." base64url(HMAC-SHA256(RECORDING_GRANT_SECRET,
 * payload)), the payload binding the site key, the subject (a session id, or `snapshotSubject`)
 * and the expiry, so one grant opens one session or one page snapshot of one site until it
 * expires, and no one without the secret can make one.
 */

interface GrantPayload {
  /** Site key, subject (session id or snapshot page), expiry (epoch ms). */
  k: string;
  s: string;
  e: number;
}

const encoder = new TextEncoder();
/** One imported key per secret and isolate: importKey costs more than the HMAC itself. */
const keys = new Map<string, Promise<CryptoKey>>();

function keyFor(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    keys.set(secret, key);
  }
  return key;
}

function toBase64Url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const bin = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

async function mac(secret: string, payload: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", await keyFor(secret), payload));
}

export async function signGrant(
  secret: string,
  siteKey: string,
  sessionId: string,
  expiresAt: number,
): Promise<string> {
  const payload: GrantPayload = { k: siteKey, s: sessionId, e: expiresAt };
  const bytes = encoder.encode(JSON.stringify(payload));
  return `${toBase64Url(bytes)}.${toBase64Url(await mac(secret, bytes))}`;
}

/** The subject of a snapshot grant: one page of one device class (distinct from any session id). */
export const snapshotSubject = (device: string, path: string): string => `snapshot:${device}:${path}`;

export type GrantCheck = "ok" | "invalid" | "expired" | "foreign";

/**
 * Whether `grant` opens this site key's session at `now`. The signature is compared in
 * constant time (crypto.subtle.timingSafeEqual) before anything in the payload is trusted.
 */
export async function checkGrant(
  secret: string,
  grant: string,
  siteKey: string,
  sessionId: string,
  now: number,
): Promise<GrantCheck> {
  const dot = grant.indexOf(".");
  if (dot <= 0) return "invalid";
  const payload = fromBase64Url(grant.slice(0, dot));
  const signature = fromBase64Url(grant.slice(dot + 1));
  if (!payload || !signature || signature.byteLength !== 32) return "invalid";
  const expected = await mac(secret, payload);
  if (!crypto.subtle.timingSafeEqual(expected, signature)) return "invalid";
  let parsed: GrantPayload;
  try {
    parsed = JSON.parse(new TextDecoder().decode(payload)) as GrantPayload;
  } catch {
    return "invalid";
  }
  if (parsed.k !== siteKey || parsed.s !== sessionId) return "foreign";
  if (typeof parsed.e !== "number" || parsed.e <= now) return "expired";
  return "ok";
}

/**
 * The expiry a grant carries, for one `checkGrant` already found "ok". A snapshot grant's
 * expiry is also its identity in the site's snapshot index (one grant per page at a time).
 */
export function grantExpiresAt(grant: string): number | null {
  const payload = fromBase64Url(grant.slice(0, grant.indexOf(".")));
  if (!payload) return null;
  try {
    const e = (JSON.parse(new TextDecoder().decode(payload)) as Partial<GrantPayload>).e;
    return typeof e === "number" ? e : null;
  } catch {
    return null;
  }
}
