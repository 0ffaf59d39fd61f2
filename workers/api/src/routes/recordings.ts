/**
 * Session recordings: the index from Postgres (list with filters and sorts, one row), the
 * events streamed from R2 as one rrweb JSON array, and erasure. docs/RECORDINGS.md.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { type Db, type RecordingRow, recordingsData, sitesData } from "@sightline/db";
import { LIMITS } from "@sightline/shared/limits";
import { FLAG_VARIANT } from "@sightline/shared/limits/flags";
import { DEVICE_CLASSES } from "@sightline/shared/wire";
import type { Context } from "hono";
import { edge, type HonoEnv } from "../env.ts";
import { databaseUnavailable } from "../lib/db-errors.ts";
import { bearer, errorResponses, fail, json, router } from "../lib/openapi.ts";
import { checkedPrefix, deleteUnder, eventsStream } from "../lib/recording-objects.ts";
import { cachedRead } from "../lib/stale.ts";
import { requireScope } from "../middleware/auth.ts";

const A = LIMITS.api;
const MAX_FILTER_LENGTH = Math.max(LIMITS.collect.maxUrlLength, LIMITS.collect.maxReferrerLength);

const Params = z.object({ siteId: z.string().min(1).max(64) });
/** Ids are UUIDv7s minted by the aggregator; anything else (a NUL Postgres refuses) is no id. */
const RecordingParams = Params.extend({
  recordingId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, "a recording id")
    .openapi({ example: "01934f2a-7c1e-7b3d-9a2f-5e8c1d0b4a6f" }),
});

const flag = z
  .enum(["true", "false"])
  .transform((v) => v === "true")
  .optional();

/** `value` exactly, or every value starting with `value` less its final `*`. */
const exactOrPrefix = (description: string) =>
  z
    .string()
    .min(1)
    .max(MAX_FILTER_LENGTH)
    .transform((v) => (v.endsWith("*") ? { prefix: v.slice(0, -1) } : { exact: v }))
    .optional()
    .openapi({ type: "string", description });

const CURSOR = /^(\d{1,16})\.([A-Za-z0-9_-]{1,128})$/;

const ListQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(A.maxPageSize).default(25),
    cursor: z
      .string()
      .max(160)
      .regex(CURSOR, "a cursor from an earlier page's nextCursor")
      .optional()
      .openapi({ description: "The `nextCursor` of the previous page, with the same sort and filters." }),
    sort: z.enum(recordingsData.RECORDING_SORTS).default("start").openapi({
      description: "`start`: newest first; `duration`: longest first; `activity`: most active time first.",
    }),
    from: z.iso.datetime({ offset: true }).optional().openapi({ description: "Started at or after." }),
    to: z.iso.datetime({ offset: true }).optional().openapi({ description: "Started before." }),
    minDurationMs: z.coerce.number().int().min(0).max(LIMITS.recording.maxSessionDurationMs).optional(),
    maxDurationMs: z.coerce.number().int().min(0).max(LIMITS.recording.maxSessionDurationMs).optional(),
    page: exactOrPrefix("A page visited, as recorded (`/pricing`); a final `*` matches a prefix (`/docs/*`)."),
    device: z.enum(DEVICE_CLASSES).optional(),
    country: z
      .string()
      .regex(/^[A-Z][A-Z0-9]$/, "a two-letter country code such as DE (or XX, T1 as Cloudflare gives them)")
      .optional(),
    referrer: exactOrPrefix("Where the session came from; a final `*` matches a prefix (`https://news.example/*`)."),
    hasRageClicks: flag,
    hasErrors: flag,
    // No bare key for "any variant": every public flag is evaluated for every session, so it
    // would mean "recorded since the flag existed", and no index answers a prefix of an element.
    flag: z
      .string()
      .regex(FLAG_VARIANT, "a flag key and one of its variants, as key=variant")
      .optional()
      .openapi({ description: "A flag variant the session was served, as `<flag key>=<variant>` (`checkout=new`)." }),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), {
    message: "from must be before to",
    path: ["from"],
  })
  .refine((q) => q.minDurationMs === undefined || q.maxDurationMs === undefined || q.minDurationMs <= q.maxDurationMs, {
    message: "minDurationMs must not exceed maxDurationMs",
    path: ["minDurationMs"],
  });

const Summary = z
  .object({
    id: z.string(),
    sessionId: z.string(),
    startedAt: z.string(),
    endedAt: z.string(),
    durationMs: z.number().int(),
    activeMs: z.number().int().openapi({ description: "Milliseconds with pointer, key or scroll input." }),
    pages: z.array(z.string()).openapi({ description: "Distinct pages in the order first seen." }),
    flags: z.array(z.string()).openapi({
      description:
        "Every variant of the site's public flags the session was served, as `<flag key>=<variant>`, in the " +
        "order first seen; a flag flipped during the session shows each variant served.",
    }),
    clicks: z.number().int(),
    rageClicks: z.number().int(),
    errors: z.number().int().openapi({ description: "Uncaught errors the recorder saw." }),
    device: z.string(),
    country: z.string().nullable(),
    referrer: z.string().nullable(),
    bytes: z.number().int().openapi({ description: "Compressed bytes stored." }),
    chunks: z.number().int(),
  })
  .openapi("RecordingSummary");

const Recording = Summary.extend({
  firstPage: z.string(),
  updatedAt: z.string().openapi({ description: "When the index row last changed (the recording may still grow)." }),
}).openapi("Recording");

const Event = z
  .object({ type: z.number().int(), timestamp: z.number(), data: z.unknown() })
  .passthrough()
  .openapi("RrwebEvent");

function summary(r: RecordingRow): z.infer<typeof Summary> {
  return {
    id: r.id,
    sessionId: r.sessionId,
    startedAt: r.startedAt.toISOString(),
    endedAt: r.endedAt.toISOString(),
    durationMs: r.durationMs,
    activeMs: r.activeMs,
    pages: r.pages,
    flags: r.flags,
    clicks: r.clicks,
    rageClicks: r.rageClicks,
    errors: r.errors,
    device: r.device,
    country: r.country,
    referrer: r.referrer,
    bytes: r.bytes,
    chunks: r.chunks,
  };
}

/** The recording, if the caller's account owns the site and the site has it. */
async function ownedRecording(c: Context<HonoEnv>, db: Db, siteId: string, id: string) {
  const site = await sitesData.getSite(db, c.get("caller").account.id, siteId);
  return site ? recordingsData.getRecording(db, siteId, id) : null;
}

export const recordings = router();

recordings
  .openapi(
    createRoute({
      method: "get",
      path: "/sites/{siteId}/recordings",
      tags: ["recordings"],
      summary: "Find recordings",
      description:
        "A page of the site's recordings, newest first unless `sort` says otherwise; every filter given must " +
        "hold. Pass `nextCursor` back as `cursor`, with the same sort and filters, for the next page.",
      security: bearer,
      middleware: requireScope("read"),
      request: { params: Params, query: ListQuery },
      responses: {
        200: json(z.object({ items: z.array(Summary), nextCursor: z.string().nullable() }), "A page of recordings"),
        ...errorResponses(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const { siteId } = c.req.valid("param");
      const q = c.req.valid("query");
      const m = q.cursor ? CURSOR.exec(q.cursor) : null;
      const after = m ? { value: Number(m[1]), id: m[2] as string } : undefined;
      const accountId = c.get("caller").account.id;
      return cachedRead(c, async (db) => {
        const site = await sitesData.getSite(db, accountId, siteId);
        if (!site) return null;
        const rows = await recordingsData.listRecordings(db, siteId, {
          sort: q.sort,
          limit: q.limit + 1,
          after,
          filter: {
            from: q.from ? new Date(q.from) : undefined,
            to: q.to ? new Date(q.to) : undefined,
            minDurationMs: q.minDurationMs,
            maxDurationMs: q.maxDurationMs,
            page: q.page,
            device: q.device,
            country: q.country,
            referrer: q.referrer,
            hasRageClicks: q.hasRageClicks,
            hasErrors: q.hasErrors,
            flag: q.flag,
          },
        });
        const page = rows.slice(0, q.limit);
        const last = page.at(-1);
        return {
          items: page.map(summary),
          nextCursor: rows.length > q.limit && last ? `${recordingsData.sortValue(q.sort, last)}.${last.id}` : null,
        };
      });
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sites/{siteId}/recordings/{recordingId}",
      tags: ["recordings"],
      summary: "Read a recording's index row",
      security: bearer,
      middleware: requireScope("read"),
      request: { params: RecordingParams },
      responses: { 200: json(Recording, "The recording"), ...errorResponses(401, 403, 404, 503) },
    }),
    async (c) => {
      const { siteId, recordingId } = c.req.valid("param");
      return cachedRead(c, async (db) => {
        const row = await ownedRecording(c, db, siteId, recordingId);
        return row ? { ...summary(row), firstPage: row.firstPage, updatedAt: row.updatedAt.toISOString() } : null;
      });
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sites/{siteId}/recordings/{recordingId}/events",
      tags: ["recordings"],
      summary: "A recording's rrweb events",
      description:
        "Every rrweb event of the recording, in order, as one JSON array streamed from storage (the parts in " +
        "key order, joined). A recording still in progress answers what has been stored so far.",
      security: bearer,
      middleware: requireScope("read"),
      request: { params: RecordingParams },
      responses: {
        200: json(z.array(Event), "The events, in order"),
        ...errorResponses(401, 403, 404, 500, 503),
      },
    }),
    async (c) => {
      const { siteId, recordingId } = c.req.valid("param");
      let row: RecordingRow | null;
      try {
        row = await ownedRecording(c, c.get("db")(), siteId, recordingId);
      } catch (err) {
        throw databaseUnavailable(err);
      }
      if (!row) return fail(c, "NOT_FOUND", "No such recording.");
      const prefix = checkedPrefix(siteId, row.r2Prefix);
      return c.body(eventsStream(c.env.RECORDINGS, prefix), 200, {
        "Content-Type": "application/json",
        // The events never change once written, but a recording in progress grows.
        "Cache-Control": "private, no-cache",
      }) as never;
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/sites/{siteId}/recordings/{recordingId}",
      tags: ["recordings"],
      summary: "Erase a recording",
      description:
        "Stops the edge taking more of the session, deletes the recording's stored events, then its index row " +
        "(a data subject's request); summaries still on their way add nothing. A failure part way leaves the " +
        "row, so the call can be repeated.",
      security: bearer,
      middleware: requireScope("write"),
      request: { params: RecordingParams },
      responses: { 204: { description: "Erased" }, ...errorResponses(401, 403, 404, 503) },
    }),
    async (c) => {
      const { siteId, recordingId } = c.req.valid("param");
      const db = c.get("db")();
      let row: RecordingRow | null;
      try {
        row = await ownedRecording(c, db, siteId, recordingId);
      } catch (err) {
        throw databaseUnavailable(err);
      }
      if (!row) return fail(c, "NOT_FOUND", "No such recording.");
      // The edge first: a session still recording sends nothing more, and what it buffered
      // never reaches R2; then R2, then the row with its erasure mark.
      await edge(c.env).eraseRecording(siteId, row.sessionId);
      await deleteUnder(c.env.RECORDINGS, checkedPrefix(siteId, row.r2Prefix));
      try {
        await recordingsData.deleteRecording(db, siteId, recordingId);
      } catch (err) {
        throw databaseUnavailable(err);
      }
      return c.body(null, 204);
    },
  );
