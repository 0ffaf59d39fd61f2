/**
 * A site's settings as the API takes them (`POST /v1/sites`, and each field of
 * `PATCH /v1/sites/{siteId}`), the one definition the API validates requests with and the
 * dashboard's site forms validate with before they send. Bounds come from LIMITS. Its own module:
 * the dashboard loads it (and zod) lazily, only when a site form is submitted.
 */
import { z } from "zod";
import { LIMITS } from "../limits/index.ts";
import { RECORDING_CONSENT } from "./constants.ts";

const A = LIMITS.api;
const R = LIMITS.recording;

/** IANA names run to 32 characters ("America/Argentina/ComodRivadavia"). */
const MAX_TIME_ZONE_LENGTH = 64;

/** The zone's own spelling ("europe/berlin" -> "Europe/Berlin"), or null when it is not one. */
function resolveTimeZone(name: string): string | null {
  try {
    return new Intl.DateTimeFormat(undefined, { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

// Names only: Postgres reads an offset such as "+05:00" as POSIX, east and west swapped.
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+\-/]*$/;

export const siteOriginSchema = z
  .string()
  .max(A.maxOriginLength)
  .regex(/^https?:\/\/[^/\s?#]+$/, "an origin such as https://example.com (scheme and host, no path)");

export const timeZoneSchema = z
  .string()
  .max(MAX_TIME_ZONE_LENGTH)
  .refine((tz) => ZONE_NAME.test(tz) && resolveTimeZone(tz) !== null, "an IANA time zone name such as Europe/Berlin")
  .overwrite((tz) => resolveTimeZone(tz) ?? tz)
  .meta({
    example: "Europe/Berlin",
    description: "IANA time zone the dashboard's days are in; hours are stored in UTC.",
  });

export const siteSettingsSchema = z.object({
  name: z.string().trim().min(1).max(A.maxNameLength),
  origins: z.array(siteOriginSchema).max(A.maxOrigins),
  dailyEventQuota: z.number().int().min(0).max(A.maxDailyEventQuota).default(A.defaultDailyEventQuota),
  retentionDays: z.number().int().min(1).max(A.maxRetentionDays).default(A.defaultRetentionDays),
  timeZone: timeZoneSchema.default("UTC"),
  hashRoutes: z.boolean().default(true).meta({ description: "Count hash routes (`#/…`, `#!/…`) as pages." }),
  shards: z.number().int().min(1).max(LIMITS.aggregate.maxShardsPerSite).default(1).meta({
    description:
      "Aggregator Durable Objects the site's events are split over (by session). One holds about 40,000 events a second; see docs/CAPACITY.md. A session in progress when this changes may count once more.",
  }),
  recordingSampleRate: z
    .number()
    .min(0)
    .max(1)
    // Kept to 1/10,000 (what the dashboard offers); finer ones round (5e-324 underflows Postgres' real).
    .overwrite((r) => Math.round(r * 10_000) / 10_000)
    .default(0)
    .meta({
      description:
        "Share of sessions recorded, 0 (none, the default) to 1 (all), to 4 decimal places; decided per session id, so every page of a session agrees.",
    }),
  recordingDailyQuota: z
    .number()
    .int()
    .min(0)
    .max(R.maxDailyQuota)
    .default(R.defaultDailyQuota)
    .meta({ description: "Recorded sessions started per UTC day at most; later sessions that day are not recorded." }),
  recordingRetentionDays: z
    .number()
    .int()
    .min(1)
    .max(R.maxRetentionDays)
    .default(R.defaultRetentionDays)
    .meta({ description: "Days a recording is kept; an hourly job erases older ones (index row and events)." }),
  maskAllText: z.boolean().default(false).meta({
    description:
      "Mask every text in recordings, not only inputs, email addresses and long digit runs (which are always masked).",
  }),
  recordingConsent: z.enum(RECORDING_CONSENT).default("opt-out").meta({
    description:
      "When a sampled session records. `opt-out` (the default): from its first page, until the page calls `sightline('consent', false)`. `opt-in`: only once the page called `sightline('consent', true)` (remembered in the browser for the site's later pages); `sightline('consent', false)` stops it again.",
  }),
  heatmaps: z.boolean().default(true).meta({
    description:
      "Heatmaps: the tracker sends clicks, rage clicks and scroll depth. Off: it sends none, and the edge drops any that come.",
  }),
});

/** What `PATCH /v1/sites/{siteId}` takes: any of the settings, nothing else. */
export const siteChangesSchema = siteSettingsSchema.partial().strict();

export type SiteSettingsInput = z.input<typeof siteSettingsSchema>;
