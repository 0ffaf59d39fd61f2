import { UNKNOWN_VALUE } from "@sightline/shared/wire";

const ALPHA2 = /^[A-Z][A-Z0-9]$/;

/**
 * The country breakdown value: Cloudflare's country (the CF-IPCountry header or
 * `request.cf.country`) when it is a two-letter code (ISO 3166-1 alpha-2, plus its "XX" for
 * unknown and "T1" for Tor), else "unknown".
 */
export function countryOf(cfCountry: unknown): string {
  return typeof cfCountry === "string" && ALPHA2.test(cfCountry) ? cfCountry : UNKNOWN_VALUE;
}
