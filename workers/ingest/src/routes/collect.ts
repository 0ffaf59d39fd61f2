/**
 * POST /v1/collect: the tracker's event batches. Validates, limits, and queues; answers 202
 * without touching Postgres. Every refusal is a 4xx with a stable code.
 */
import { batchReferrerValue, campaignOf, countryOf, deviceClass, secondsToNextDay } from "@sightline/core/aggregate";
import { elementCell, heatDevice, pageCell, scrollBucket } from "@sightline/core/heatmap";
import { errorJson } from "@sightline/http";
import { SightlineError } from "@sightline/shared/errors";
import { uuidv7Time } from "@sightline/shared/ids";
import { LIMITS } from "@sightline/shared/limits";
import {
  type CollectBatch,
  collectBatch,
  type HeatItem,
  type IngestMessage,
  pagePath,
  type WireEvent,
} from "@sightline/shared/wire";
import { Hono } from "hono";
import type { HonoEnv } from "../env.ts";
import { readTextCapped } from "../lib/body.ts";
import { type BatchVariants, reportedVariants } from "../lib/flags.ts";
import { corsFor, mediaType, preflight } from "../lib/http.ts";
import { quotaSpent } from "../lib/quota.ts";
import { findSite } from "../lib/sites.ts";
import { visitorOf } from "../visitors/visitor.ts";

const L = LIMITS.collect;

/** text/plain is what beacons send without a CORS preflight; JSON clients may say so. */
const ACCEPTED_TYPES = ["text/plain", "application/json"];
const JSON_TYPE = { "Content-Type": "application/json" };
const NO_VARIANTS: BatchVariants = {};

export const collect = new Hono<HonoEnv>();

collect.options("/", preflight);

interface Kept {
  events: IngestMessage["events"];
  heat: HeatItem[];
}

/**
 * A heatmap event binned for the aggregator (@sightline/core/heatmap): a click on an element
 * keeps its cell inside the element, one without a selector its page cell; moves their page
 * cells; scroll its depth bucket.
 */
function heatItem(e: Exclude<WireEvent, { type: "pageview" }>, id: string, path: string): HeatItem {
  const base = { id, ts: e.ts, path, device: heatDevice(e.vw) };
  switch (e.type) {
    case "scroll":
      return { ...base, k: "scroll", cells: [scrollBucket(e.depth)] };
    case "move":
      return { ...base, k: "move", cells: e.pts.map(([x, y]) => pageCell(x, y, e.vw)) };
    default: {
      const k = e.type === "click" ? "click" : "dead";
      const item: HeatItem =
        e.sel === undefined
          ? { ...base, k, cells: [pageCell(e.x, e.y, e.vw)] }
          : { ...base, k, sel: e.sel, cells: [elementCell(e.ex ?? 0.5, e.ey ?? 0.5)] };
      if (e.type === "click" && e.rage) item.rage = true;
      return item;
    }
  }
}

/**
 * The events of a batch as the aggregator takes them: in the time window, with lowercase ids,
 * a path and a referrer value; heatmap events binned, or dropped when the site has heatmaps off
 * or the client is a bot. Apart from the async handler, where V8 optimises it better: 2% fewer
 * instructions a call in the in-isolate harness under callgrind.
 */
function keptEvents(
  events: CollectBatch["events"],
  now: number,
  site: { hashRoutes: boolean; heatmaps: boolean },
  bot: boolean,
): Kept {
  const kept: IngestMessage["events"] = [];
  const heat: HeatItem[] = [];
  const referrerValue = batchReferrerValue();
  const oldest = now - L.maxEventAgeMs;
  const newest = now + L.maxClockSkewMs;
  for (const e of events) {
    if (e.ts < oldest || e.ts > newest) continue;
    // The aggregator forgets seen ids by the time in the id, as lowercase strings; an id minted
    // outside the window (never by our tracker, which mints it with the timestamp) is dropped.
    const id = e.id.toLowerCase();
    const minted = uuidv7Time(id);
    if (!(minted >= oldest && minted <= newest)) continue;
    const path = pagePath(e.url, site);
    if (path === null) continue;
    if (e.type !== "pageview") {
      if (site.heatmaps && !bot) heat.push(heatItem(e, id, path));
      continue;
    }
    const ref = referrerValue(e.referrer, e.url);
    const event: IngestMessage["events"][number] =
      ref === undefined ? { id, ts: e.ts, path } : { id, ts: e.ts, path, ref };
    const campaign = campaignOf(e.url);
    if (campaign !== undefined) {
      if (campaign.utm_source !== undefined) event.utm_source = campaign.utm_source;
      if (campaign.utm_medium !== undefined) event.utm_medium = campaign.utm_medium;
      if (campaign.utm_campaign !== undefined) event.utm_campaign = campaign.utm_campaign;
    }
    kept.push(event);
  }
  return { events: kept, heat };
}

collect.post("/", async (c) => {
  const env = c.get("env");
  const origin = c.req.header("origin");
  const cors = corsFor(origin);

  if (!ACCEPTED_TYPES.includes(mediaType(c))) {
    return errorJson(c, "UNSUPPORTED_MEDIA_TYPE", "Send the batch as text/plain or application/json.", cors);
  }

  let text: string;
  try {
    text = await readTextCapped(c.req.raw, L.maxBodyBytes);
  } catch (err) {
    if (err instanceof SightlineError) return errorJson(c, err.code, err.message, cors);
    throw err;
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return errorJson(c, "INVALID_JSON", "The body is not valid JSON.", cors);
  }
  const events = (json as { events?: unknown } | null)?.events;
  if (Array.isArray(events) && events.length > L.maxEventsPerBatch) {
    return errorJson(c, "TOO_MANY_EVENTS", `A batch holds at most ${L.maxEventsPerBatch} events.`, cors);
  }
  const parsed = collectBatch.safeParse(json);
  if (!parsed.success) {
    // Paths and rules only: the values are the client's and may be hostile or personal.
    const where = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    return errorJson(c, "VALIDATION_FAILED", `The batch does not match the wire schema: ${where}`, cors);
  }
  const batch = parsed.data;

  const site = await findSite(env.SITES, batch.siteKey, c.get("log"));
  if (!site) return errorJson(c, "UNKNOWN_SITE", "No site has this key.", cors);
  const logFields = c.get("logFields");
  logFields.site = site.siteId;
  // Browsers send Origin with every POST, beacons included. A request without one comes from
  // a script, which could otherwise write any page of any site whose (public) key it knows.
  if (!origin) {
    return errorJson(c, "ORIGIN_NOT_ALLOWED", "Send events from a page of the site: the Origin header is missing.");
  }
  if (!site.origins.includes(origin)) {
    return errorJson(c, "ORIGIN_NOT_ALLOWED", "This origin is not registered for the site.", cors);
  }

  const now = Date.now();
  if (await quotaSpent(env.SITES, site.siteId, now)) {
    return errorJson(c, "QUOTA_EXCEEDED", "The site's daily event quota is spent; retry after UTC midnight.", {
      ...cors,
      "Retry-After": String(secondsToNextDay(now)),
    });
  }

  const client = c.req.header("cf-connecting-ip") ?? "unknown";
  const [perSite, perClient] = await Promise.all([
    env.SITE_LIMITER.limit({ key: site.siteId }),
    env.CLIENT_LIMITER.limit({ key: `${site.siteId}:${client}` }),
  ]);
  if (!perSite.success || !perClient.success) {
    logFields.limited = perSite.success ? "client" : "site";
    return errorJson(c, "RATE_LIMITED", "Too many requests; retry later.", { ...cors, "Retry-After": "10" });
  }

  const userAgent = c.req.header("user-agent") ?? "";
  const device = deviceClass(userAgent);
  const { events: kept, heat } = keptEvents(batch.events, now, site, device === "bot");
  const accepted = kept.length + heat.length;
  const dropped = batch.events.length - accepted;
  if (accepted > 0) {
    // Bots count in their device row only, so they need no visitor (nor the salt's round trip).
    let visitor: string | undefined;
    if (device !== "bot") {
      const v = visitorOf(env.VISITOR_SALT, now, site.siteId, client, userAgent, c.get("log"));
      visitor = v instanceof Promise ? await v : v;
    }
    // Per request, not per event: one batch is one browser at one place. Cloudflare's
    // CF-IPCountry header first: reading request.cf parses the whole cf object (one pair of
    // callgrind runs: 40k of ~760k instructions); the header is absent only where IP
    // Geolocation is off, and locally.
    const country = countryOf(c.req.header("cf-ipcountry") ?? c.req.raw.cf?.country);
    // The variants the page was served, as the batch reports them (the loader's flags code
    // evaluated them; nothing is evaluated here). Bots count in their device row only.
    const { flags, heatFlags } =
      device !== "bot"
        ? await reportedVariants(c, site.siteKey, batch.flags, kept.length > 0, heat.length > 0)
        : NO_VARIANTS;
    const message: IngestMessage = {
      v: 1,
      siteId: site.siteId,
      shards: site.shards,
      sessionId: batch.sessionId,
      receivedAt: now,
      country,
      device,
      // Absent when undefined: the Queue's JSON leaves it out. Not a spread, which would take
      // V8 off the object literal's fast path on the hottest allocation here.
      visitor,
      quota: site.dailyEventQuota,
      events: kept,
      // Absent when empty, as in messages from before heatmaps.
      heat: heat.length > 0 ? heat : undefined,
      flags,
      // Only with heat, and only for flags with `heatmaps` on: absent otherwise, as before them.
      heatFlags,
    };
    try {
      await env.INGEST_QUEUE.send(message, { contentType: "json" });
    } catch (cause) {
      throw new SightlineError("SERVICE_UNAVAILABLE", "Events could not be queued; retry shortly.", {
        retry: true,
        cause,
      });
    }
  }
  logFields.accepted = accepted;
  logFields.dropped = dropped;
  // Built in one go rather than through c.json: the hottest response we send.
  return new Response(`{"accepted":${accepted},"dropped":${dropped}}`, {
    status: 202,
    headers: { ...JSON_TYPE, ...cors },
  });
});
