/**
 * Campaign tags of a page URL: utm_source, utm_medium and utm_campaign, the only query
 * parameters Sightline keeps (the rest may carry personal data and are dropped with the
 * query). Runs per event on the collect path, so a URL without "utm_" costs one indexOf.
 */
import { COLLECT_LIMITS } from "@sightline/shared/limits/collect";
import { CAMPAIGN_PARAMS, type CampaignParam } from "@sightline/shared/wire";

export type Campaign = Partial<Record<CampaignParam, string>>;

const PARAMS = new Set<string>(CAMPAIGN_PARAMS);

/** The campaign tags in `url`'s query, or undefined when it has none. */
export function campaignOf(url: string): Campaign | undefined {
  if (url.indexOf("utm_") < 0) return undefined;
  const q = url.indexOf("?");
  if (q < 0) return undefined;
  const hash = url.indexOf("#", q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  let found: Campaign | undefined;
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    if (eq < 0) continue;
    const name = pair.slice(0, eq);
    if (!PARAMS.has(name) || found?.[name as CampaignParam] !== undefined) continue;
    const value = decode(pair.slice(eq + 1));
    if (!value) continue;
    found ??= {};
    found[name as CampaignParam] = value.slice(0, COLLECT_LIMITS.maxCampaignValueLength);
  }
  return found;
}

/** Form-decoded and trimmed; a malformed escape gives nothing rather than an error. */
function decode(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll("+", " ")).trim();
  } catch {
    return "";
  }
}
