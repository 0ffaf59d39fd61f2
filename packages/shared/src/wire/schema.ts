/**
 * The wire format between the tracker and the ingest worker, version 1: the zod schemas, the
 * one definition. index.ts exports them with zod's compiled fast path installed (parsers.gen.ts).
 */
import { z } from "zod";
import { FLAG_LIMITS, FLAG_VARIANT } from "../limits/flags.ts";
import { HEATMAP_LIMITS } from "../limits/heatmap.ts";
import { LIMITS } from "../limits/index.ts";
import { chunkSummary } from "../recording/index.ts";

const L = LIMITS.collect;
const H = HEATMAP_LIMITS;

export const EVENT_TYPES = ["pageview", "click", "deadclick", "scroll", "move"] as const;
/** Heatmap device classes, from the viewport width (HEATMAP_LIMITS.tabletMinPx, desktopMinPx). */
export const HEAT_DEVICES = ["mobile", "tablet", "desktop"] as const;
export type HeatDevice = (typeof HEAT_DEVICES)[number];
/** What a heatmap shows: element clicks, rage and dead clicks, resting-pointer moves, scroll depth. */
export const HEATMAP_TYPES = ["click", "rage", "dead", "move", "scroll"] as const;
export type HeatmapType = (typeof HEATMAP_TYPES)[number];

/** Breakdowns kept per hour beside page stats; `flag` values are `<flag key>=<variant>`. */
export const DIMENSIONS = [
  "referrer",
  "device",
  "country",
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "flag",
] as const;
/** The campaign query parameters kept as breakdowns; every other parameter is dropped. */
export const CAMPAIGN_PARAMS = ["utm_source", "utm_medium", "utm_campaign"] as const;
export type CampaignParam = (typeof CAMPAIGN_PARAMS)[number];
export type Dimension = (typeof DIMENSIONS)[number];
export const DEVICE_CLASSES = ["desktop", "mobile", "tablet", "bot", "unknown"] as const;
export type DeviceClass = (typeof DEVICE_CLASSES)[number];

/** Referrer value of a page load that came with no referrer. */
export const DIRECT_REFERRER = "(direct)";
/** The page that new pages of an hour count as once the site has `maxPathsPerHour` of them. */
export const OTHER_PATH = "(other)";
/** Device or country value when the request did not tell. */
export const UNKNOWN_VALUE = "unknown";
/** A DNS name is at most 253 characters; a longer referrer host is not reported. */
export const MAX_REFERRER_HOST_LENGTH = 253;

const eventId = z.uuid({ version: "v7" });
const timestamp = z.number().int().nonnegative();

export const pageviewEvent = z.object({
  type: z.literal("pageview"),
  id: eventId,
  ts: timestamp,
  url: z.string().min(1).max(L.maxUrlLength),
  referrer: z.string().max(L.maxReferrerLength).optional(),
  title: z.string().max(L.maxTitleLength).optional(),
});

const url = z.string().min(1).max(L.maxUrlLength);
const fraction = z.number().min(0).max(1);
const pagePx = z.number().int().min(0).max(H.maxPagePx);
const viewportWidth = z.number().int().min(1).max(H.maxViewportPx);

/**
 * A click (or a keyboard activation, at the element's centre): the target's stable selector
 * when it has one, with the position inside its box (0..1), the page position, and the
 * viewport width (the device class). `rage` marks the click that made a burst a rage click,
 * once per burst.
 */
export const clickEvent = z.object({
  type: z.literal("click"),
  id: eventId,
  ts: timestamp,
  url,
  sel: z.string().min(1).max(H.maxSelectorLength).optional(),
  ex: fraction.optional(),
  ey: fraction.optional(),
  x: pagePx,
  y: pagePx,
  vw: viewportWidth,
  rage: z.literal(true).optional(),
});

/** A click that changed nothing within HEATMAP_LIMITS.deadClickWindowMs (the interactions chunk). */
export const deadClickEvent = clickEvent.omit({ rage: true }).extend({ type: z.literal("deadclick") });

/** The deepest point a pageview reached, as a fraction of the page height; sent when the page is left. */
export const scrollEvent = z.object({
  type: z.literal("scroll"),
  id: eventId,
  ts: timestamp,
  url,
  depth: fraction,
  vw: viewportWidth,
});

/** Page positions where the pointer rested (the interactions chunk). */
export const moveEvent = z.object({
  type: z.literal("move"),
  id: eventId,
  ts: timestamp,
  url,
  vw: viewportWidth,
  pts: z
    .array(z.tuple([pagePx, pagePx]))
    .min(1)
    .max(H.maxMovePointsPerEvent),
});

export const wireEvent = z.discriminatedUnion("type", [
  pageviewEvent,
  clickEvent,
  deadClickEvent,
  scrollEvent,
  moveEvent,
]);

export const collectBatch = z.object({
  v: z.literal(1),
  siteKey: z.string().min(1).max(L.maxSiteKeyLength),
  sessionId: z.uuid({ version: "v7" }),
  sentAt: timestamp,
  events: z.array(wireEvent).min(1).max(L.maxEventsPerBatch),
  /**
   * The variant the page was served of each of the site's public flags, as `<flag key>=<variant>`:
   * what the loader's flags code evaluated for this visitor (`TrackerConfig.variants`), sent with
   * every batch so the session's events carry them. Absent where the site has no flags. The edge
   * keeps the entries that name a flag and variant of the site's record (docs/FLAGS.md).
   */
  flags: z.array(z.string().regex(FLAG_VARIANT)).max(FLAG_LIMITS.maxFlagsPerSite).optional(),
});

export type WireEvent = z.infer<typeof wireEvent>;
export type PageviewEvent = z.infer<typeof pageviewEvent>;
export type ClickEvent = z.infer<typeof clickEvent>;
export type DeadClickEvent = z.infer<typeof deadClickEvent>;
export type ScrollEvent = z.infer<typeof scrollEvent>;
export type MoveEvent = z.infer<typeof moveEvent>;
export type CollectBatch = z.infer<typeof collectBatch>;

/**
 * One heatmap event as the aggregator counts it, binned at the edge. `k` is the event's kind;
 * `cells` are, for a click or dead click with a selector, the one cell inside the element
 * (HEATMAP_LIMITS.elementGrid squared); without one, the one page-grid cell; for a move, its
 * page-grid cells; for scroll, the one depth bucket (0..scrollBuckets).
 */
export const heatItem = z.object({
  id: z.uuid(),
  ts: timestamp,
  path: z.string().max(L.maxUrlLength),
  device: z.enum(HEAT_DEVICES),
  k: z.enum(["click", "dead", "move", "scroll"]),
  rage: z.literal(true).optional(),
  sel: z.string().min(1).max(H.maxSelectorLength).optional(),
  cells: z
    .array(
      z
        .number()
        .int()
        .min(0)
        .max(H.pageGridColumns * H.maxPageGridRows - 1),
    )
    .min(1)
    .max(H.maxMovePointsPerEvent),
});

export type HeatItem = z.infer<typeof heatItem>;

/**
 * What the ingest worker puts on the Queue: one message per accepted batch, carrying the
 * resolved site and only the fields aggregation needs. `country`, `device` and `ref` came
 * later and are optional, so messages queued before them still parse.
 */
export const ingestMessage = z.object({
  v: z.literal(1),
  siteId: z.string().min(1).max(64),
  shards: z.number().int().min(1).max(LIMITS.aggregate.maxShardsPerSite),
  sessionId: z.uuid(),
  receivedAt: timestamp,
  /** ISO 3166 alpha-2 from Cloudflare (also "XX", "T1"), or "unknown". */
  country: z.string().min(1).max(7).optional(),
  device: z.enum(DEVICE_CLASSES).optional(),
  /**
   * A hash of a daily-rotating salt, the site, the client address and the User-Agent, made
   * at the edge; the address itself never leaves the request. Absent in older messages.
   */
  visitor: z.string().min(1).max(64).optional(),
  /** The site's daily event quota when the edge accepted the batch. Absent in older messages. */
  quota: z.number().int().nonnegative().optional(),
  /** Pageviews. Empty when the batch carried only heatmap events. */
  events: z
    .array(
      z.object({
        id: z.uuid(),
        ts: timestamp,
        path: z.string().max(L.maxUrlLength),
        /** External referrer host, or "(direct)"; absent for same-site navigation. */
        ref: z.string().min(1).max(MAX_REFERRER_HOST_LENGTH).optional(),
        /** Campaign tags from the page URL's query, the only query parameters kept. */
        utm_source: z.string().min(1).max(L.maxCampaignValueLength).optional(),
        utm_medium: z.string().min(1).max(L.maxCampaignValueLength).optional(),
        utm_campaign: z.string().min(1).max(L.maxCampaignValueLength).optional(),
      }),
    )
    .max(L.maxEventsPerBatch),
  /** Heatmap events, binned at the edge (@sightline/core/heatmap). Absent in older messages. */
  heat: z.array(heatItem).max(L.maxEventsPerBatch).optional(),
  /**
   * The variant of each of the site's public flags these pageviews were served, as
   * `<flag key>=<variant>` (the `flag` breakdown's values; docs/FLAGS.md, "Sessions carry their
   * variants"). Absent for sites without flags.
   */
  flags: z.array(z.string().regex(FLAG_VARIANT)).max(FLAG_LIMITS.maxFlagsPerSite).optional(),
  /**
   * The variants served of the site's public flags that split heatmaps (`heatmaps: true`), as
   * `flags`: each heat item counts for all visitors and again under each of these. Only with
   * `heat`; absent when none, and in older messages.
   */
  heatFlags: z.array(z.string().regex(FLAG_VARIANT)).max(FLAG_LIMITS.maxHeatmapFlags).optional(),
});

export type IngestMessage = z.infer<typeof ingestMessage>;

/**
 * The other kind of message on the ingest queue: one accepted recording chunk's summary, for
 * the session's `recordings` row. `kind` tells it apart (statistics messages have none, so
 * their decoding is unchanged); it goes to the same aggregator shard as the session's events.
 */
export const recordingMessage = z.object({
  kind: z.literal("recording"),
  v: z.literal(1),
  siteId: z.string().min(1).max(64),
  shards: z.number().int().min(1).max(LIMITS.aggregate.maxShardsPerSite),
  sessionId: z.uuid(),
  receivedAt: timestamp,
  seq: z.number().int().nonnegative().max(LIMITS.recording.maxChunksPerSession),
  /** The chunk's size as uploaded. */
  bytes: z.number().int().nonnegative().max(LIMITS.recording.maxChunkBytes),
  country: z.string().min(1).max(7),
  device: z.enum(DEVICE_CLASSES),
  referrer: z.string().max(L.maxReferrerLength).optional(),
  /** The session's R2 prefix (`recordingPrefix`), fixed by its RecordingBuffer at its first chunk. */
  r2Prefix: z.string().min(1).max(256),
  summary: chunkSummary,
  /**
   * The variant of each of the site's public flags the chunk's first page was served, as
   * `<flag key>=<variant>`, as on the ingest message. Absent for sites without flags and in
   * older messages.
   */
  flags: z.array(z.string().regex(FLAG_VARIANT)).max(FLAG_LIMITS.maxFlagsPerSite).optional(),
});

export type RecordingMessage = z.infer<typeof recordingMessage>;

/** `scheme://host` then a path of characters URL would leave as they are. */
const SIMPLE_URL = /^https?:\/\/[^/?#\\]+(\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*)?(?:[?#]|$)/;

/** A route-like fragment of characters URL would leave as they are, up to its query or anchor. */
const SIMPLE_ROUTE = /^#!?\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*(?=[?#]|$)/;
/** The route in a fragment as the URL parser gives it. */
const ROUTE = /^#!?\/[^?#]*/;

export interface PagePathOptions {
  /** Keep a route-like fragment (`#/…`, `#!/…`, the site's `hashRoutes`) as part of the page. */
  hashRoutes?: boolean;
}

/**
 * The page a URL stands for in reports: the path, no query, and no fragment (they carry PII)
 * unless it is a hash route the site counts (`/#/active`, without the route's query or anchor).
 * Most URLs take the regex path, a few times cheaper than `new URL` on the ingest hot path;
 * anything unusual (dot segments, escapes to normalise) goes through the URL parser.
 */
export function pagePath(url: string, opts?: PagePathOptions): string | null {
  const m = SIMPLE_URL.exec(url);
  let p: string;
  if (m && !m[1]?.includes("/.")) p = m[1] ?? "/";
  else {
    try {
      p = new URL(url).pathname;
    } catch {
      return null;
    }
  }
  if (opts?.hashRoutes) {
    // The first "#" starts the fragment: the host, path and query cannot hold one.
    const i = url.indexOf("#");
    if (i !== -1) p += hashRoute(url, i);
  }
  return p.length > L.maxUrlLength ? p.slice(0, L.maxUrlLength) : p;
}

/** The route of the fragment at `i` (`#/a`, `#!/a`), or "" for a plain anchor. */
function hashRoute(url: string, i: number): string {
  const c = url.charCodeAt(i + 1);
  // "/" or "!/"; most fragments are plain anchors and stop here.
  if (c !== 47 && !(c === 33 && url.charCodeAt(i + 2) === 47)) return "";
  const simple = SIMPLE_ROUTE.exec(url.slice(i));
  if (simple) return simple[0];
  try {
    return ROUTE.exec(new URL(url).hash)?.[0] ?? "";
  } catch {
    return "";
  }
}
