/**
 * Reading and erasing the recordings index (the API's side; the aggregators write the rows).
 * Every read is scoped by site; the caller checks the site belongs to the account.
 *
 * The list walks one index in the order it sorts by, so a page costs the rows it passes
 * over, not the site's whole history: (site_id, started_at DESC, id) for start,
 * (site_id, duration_ms) and (site_id, active_ms) for the other sorts (ties on id by an
 * incremental sort), the partial indexes for "has rage clicks" / "has errors", the GIN index
 * on pages for an exact page (0004), (site_id, country | device | referrer, started_at
 * DESC, id) for those equality filters (0005), the GIN index on flags for a flag variant
 * (0009), and the trigram index on recordings_pages_text(pages) for a rare page prefix (0010;
 * a common one is checked as the sort's index yields rows).
 */
import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { Db } from "../index.ts";
import { erasedRecordings, recordings } from "../schema/recordings.ts";

export type RecordingRow = typeof recordings.$inferSelect;

export const RECORDING_SORTS = ["start", "duration", "activity"] as const;
export type RecordingSort = (typeof RECORDING_SORTS)[number];

export interface RecordingFilter {
  from?: Date;
  to?: Date;
  minDurationMs?: number;
  maxDurationMs?: number;
  /** A visited page: exact, or every page starting with `prefix`. */
  page?: { exact: string } | { prefix: string };
  device?: string;
  country?: string;
  referrer?: { exact: string } | { prefix: string };
  hasRageClicks?: boolean;
  hasErrors?: boolean;
  /** A flag variant the session was served, `<flag key>=<variant>`. */
  flag?: string;
}

/** Where the previous page stopped: the sort column's value and the id of its last row. */
export interface RecordingCursor {
  value: number;
  id: string;
}

/** `LIKE` matches its pattern's `%`, `_` and `\` literally only when escaped. */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (ch) => `\\${ch}`);
const likePrefix = (s: string) => `${likeEscape(s)}%`;

/**
 * Three ASCII letters or digits in a row surely give pg_trgm a trigram (it takes them from
 * letters and digits only; which letters beyond ASCII depends on the locale). A pattern it
 * takes none from ("/", "/-/") makes the index scan read the whole index, slower than walking
 * the site's rows.
 */
const hasTrigram = (prefix: string) => /[A-Za-z0-9]{3}/.test(prefix);

function sortColumn(sort: RecordingSort): SQL {
  switch (sort) {
    case "start":
      return sql`${recordings.startedAt}`;
    case "duration":
      return sql`${recordings.durationMs}`;
    case "activity":
      return sql`${recordings.activeMs}`;
  }
}

/** The cursor's value in the column's own type (epoch ms for started_at). */
function cursorValue(sort: RecordingSort, value: number): SQL {
  return sort === "start" ? sql`${new Date(value).toISOString()}::timestamptz` : sql`${value}::bigint`;
}

export function sortValue(sort: RecordingSort, row: RecordingRow): number {
  if (sort === "start") return row.startedAt.getTime();
  return sort === "duration" ? row.durationMs : row.activeMs;
}

function conditions(siteId: string, f: RecordingFilter): SQL[] {
  const where: SQL[] = [sql`${recordings.siteId} = ${siteId}`];
  if (f.from) where.push(sql`${recordings.startedAt} >= ${f.from.toISOString()}::timestamptz`);
  if (f.to) where.push(sql`${recordings.startedAt} < ${f.to.toISOString()}::timestamptz`);
  if (f.minDurationMs !== undefined) where.push(sql`${recordings.durationMs} >= ${f.minDurationMs}`);
  if (f.maxDurationMs !== undefined) where.push(sql`${recordings.durationMs} <= ${f.maxDurationMs}`);
  if (f.page && "exact" in f.page) {
    where.push(sql`${recordings.pages} @> ARRAY[${f.page.exact}]::text[]`);
  } else if (f.page) {
    // The trigram index of 0010 finds the rows whose joined pages contain the prefix somewhere
    // (a rare prefix); EXISTS keeps those where a page starts with it. A common prefix is
    // checked as the sort's index yields rows, until the page is full.
    if (hasTrigram(f.page.prefix)) {
      where.push(sql`recordings_pages_text(${recordings.pages}) LIKE ${`%${likeEscape(f.page.prefix)}%`}`);
    }
    where.push(
      sql`EXISTS (SELECT 1 FROM unnest(${recordings.pages}) AS p(path) WHERE p.path LIKE ${likePrefix(f.page.prefix)})`,
    );
  }
  if (f.device !== undefined) where.push(sql`${recordings.device} = ${f.device}`);
  if (f.country !== undefined) where.push(sql`${recordings.country} = ${f.country}`);
  if (f.referrer && "exact" in f.referrer) where.push(sql`${recordings.referrer} = ${f.referrer.exact}`);
  else if (f.referrer) where.push(sql`${recordings.referrer} LIKE ${likePrefix(f.referrer.prefix)}`);
  // Written as the partial indexes' predicates, so the planner can choose them.
  if (f.hasRageClicks === true) where.push(sql`${recordings.rageClicks} > 0`);
  if (f.hasRageClicks === false) where.push(sql`${recordings.rageClicks} = 0`);
  if (f.hasErrors === true) where.push(sql`${recordings.errors} > 0`);
  if (f.hasErrors === false) where.push(sql`${recordings.errors} = 0`);
  if (f.flag !== undefined) where.push(sql`${recordings.flags} @> ARRAY[${f.flag}]::text[]`);
  return where;
}

export interface ListOptions {
  filter: RecordingFilter;
  sort: RecordingSort;
  limit: number;
  after?: RecordingCursor;
}

/** One page of a site's recordings, largest sort value first (newest, longest, most active). */
export async function listRecordings(db: Db, siteId: string, opts: ListOptions): Promise<RecordingRow[]> {
  return listRecordingsQuery(db, siteId, opts);
}

/** The list's statement, unexecuted (its plan is checked by a test). */
export function listRecordingsQuery(db: Db, siteId: string, opts: ListOptions) {
  const col = sortColumn(opts.sort);
  const where = conditions(siteId, opts.filter);
  if (opts.after) {
    const v = cursorValue(opts.sort, opts.after.value);
    // The first conjunct bounds the index scan; the second breaks ties on id.
    where.push(sql`${col} <= ${v}`, sql`(${col} < ${v} OR ${recordings.id} > ${opts.after.id})`);
  }
  return (
    db
      .select()
      .from(recordings)
      .where(and(...where))
      // Ties by id ascending, and NULLS LAST (the columns are never null) so the order is the
      // (site_id, started_at DESC NULLS LAST, id) index's own; the other two are walked backwards.
      .orderBy(opts.sort === "start" ? sql`${col} DESC NULLS LAST` : sql`${col} DESC`, sql`${recordings.id} ASC`)
      .limit(opts.limit)
  );
}

export async function getRecording(db: Db, siteId: string, id: string): Promise<RecordingRow | null> {
  const [row] = await db
    .select()
    .from(recordings)
    .where(and(eq(recordings.siteId, siteId), eq(recordings.id, id)))
    .limit(1);
  return row ?? null;
}

/**
 * Deletes the row and marks its session erased (erased_recordings), in one transaction: a
 * summary of the session still queued or waiting in an aggregator then writes nothing.
 */
export async function deleteRecording(db: Db, siteId: string, id: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .delete(recordings)
      .where(and(eq(recordings.siteId, siteId), eq(recordings.id, id)))
      .returning({ sessionId: recordings.sessionId });
    const [row] = rows;
    if (!row) return false;
    await tx.insert(erasedRecordings).values({ siteId, sessionId: row.sessionId }).onConflictDoNothing();
    return true;
  });
}

/**
 * Forgets erasures older than `before`, at most `n`: by then any summary of those sessions
 * has long landed or expired (the retention run passes LIMITS.recording.maxRetentionDays).
 */
export async function pruneErasedRecordings(db: Db, before: Date, n: number): Promise<number> {
  const result = await db.execute(sql`
    DELETE FROM erased_recordings WHERE ctid IN (
      SELECT ctid FROM erased_recordings WHERE erased_at < ${before.toISOString()}::timestamptz LIMIT ${n})`);
  return result.rowCount ?? 0;
}

/** A recording the retention run is to erase: its row and its R2 objects. */
export interface ExpiredRecording {
  id: string;
  siteId: string;
  r2Prefix: string;
}

/**
 * Up to `n` recordings to erase at `now`: those of deleted sites, then those that started
 * before their site's `recordingRetentionDays` (in 24-hour steps). Found per site through the
 * (site_id, started_at) index, oldest first.
 */
export async function expiredRecordings(db: Db, now: Date, n: number): Promise<ExpiredRecording[]> {
  const gone = await db.execute<{ id: string; site_id: string; r2_prefix: string }>(sql`
    SELECT t.id, t.site_id, t.r2_prefix FROM deleted_sites d CROSS JOIN LATERAL (
      SELECT id, site_id, r2_prefix FROM recordings WHERE site_id = d.site_id LIMIT ${n}
    ) t LIMIT ${n}`);
  const rows = gone.rows;
  if (rows.length < n) {
    const expired = await db.execute<{ id: string; site_id: string; r2_prefix: string }>(sql`
      SELECT t.id, t.site_id, t.r2_prefix FROM sites s CROSS JOIN LATERAL (
        SELECT id, site_id, r2_prefix FROM recordings
        WHERE site_id = s.id
          AND started_at < ${now.toISOString()}::timestamptz - s.recording_retention_days * interval '24 hours'
        ORDER BY started_at LIMIT ${n - rows.length}
      ) t LIMIT ${n - rows.length}`);
    rows.push(...expired.rows);
  }
  return rows.map((r) => ({ id: r.id, siteId: r.site_id, r2Prefix: r.r2_prefix }));
}

export async function deleteRecordingsById(db: Db, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await db.delete(recordings).where(inArray(recordings.id, ids)).returning({ id: recordings.id });
  return rows.length;
}
