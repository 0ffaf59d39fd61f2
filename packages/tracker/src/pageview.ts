/** Builds the pageview event, cut to the lengths the ingest worker accepts. */
import { uuidv7 } from "@sightline/shared/ids";
import { COLLECT_LIMITS } from "@sightline/shared/limits/collect";
import type { PageviewEvent } from "@sightline/shared/wire";

const L = COLLECT_LIMITS;

export function pageview(now: number, url: string, referrer: string, title: string): PageviewEvent {
  const e: PageviewEvent = {
    type: "pageview",
    id: uuidv7(now),
    ts: now,
    url: url.slice(0, L.maxUrlLength),
  };
  if (referrer) e.referrer = referrer.slice(0, L.maxReferrerLength);
  if (title) e.title = title.slice(0, L.maxTitleLength);
  return e;
}
