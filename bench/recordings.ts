/**
 * The recordings list (GET /v1/sites/{siteId}/recordings) over 100,000 index rows: the
 * statement the API runs (`recordingsData.listRecordings`), through the production driver and
 * the WebSocket bridge, with two filters at a time, as a user narrows the list. Rows are made
 * in one INSERT ... SELECT for a bench site of their own (spread over 30 days, three devices,
 * four countries, 200 pages, 1 in 37 with rage clicks, 1 in 53 with errors, 1 in 10,000 with a
 * /checkout/ page), analysed, and deleted afterwards. Target (issue 11): p50 <= 100 ms against
 * local Postgres.
 */
import { recordingsData } from "@sightline/db";
import { sql } from "drizzle-orm";
import type { BenchDb } from "./lib/db.ts";
import type { SectionHooks } from "./lib/section.ts";

const SITE = "site_recordings_bench";
const DAY_MS = 24 * 60 * 60 * 1000;

export interface RecordingsListResult {
  rows: number;
  queries: number;
  p50Ms: number;
  p95Ms: number;
  /** Per filter pair: its p50 in ms. */
  shapes: Record<string, number>;
}

export interface RecordingsListOptions extends SectionHooks {
  db: BenchDb;
  rows: number;
  /** Timed runs of each shape, after one untimed. */
  repeats: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

export async function benchRecordingsList(opts: RecordingsListOptions): Promise<RecordingsListResult> {
  const { db } = opts.db;
  const clear = () => db.execute(sql`delete from recordings where site_id = ${SITE}`);
  await clear();
  const untrack = opts.track(async () => {
    await clear();
  });
  const t0 = performance.now();
  // Seconds between two rows' starts: the rows span 30 days.
  const step = sql.raw(String((30 * DAY_MS) / 1000 / opts.rows));
  const rows = sql.raw(String(Math.trunc(opts.rows)));
  await db.execute(sql`
    insert into recordings (id, site_id, session_id, started_at, ended_at, duration_ms, active_ms,
      first_page, pages, clicks, rage_clicks, errors, device, country, referrer, bytes, chunks, r2_prefix)
    select 'bench_' || g, ${SITE}, gen_random_uuid()::text,
      now() - make_interval(secs => g * ${step}),
      now() - make_interval(secs => g * ${step}) + make_interval(secs => (g * 7919) % 1800),
      ((g * 7919::bigint) % 1800) * 1000, ((g * 104729::bigint) % 900) * 1000,
      '/p/' || (g % 200), array['/p/' || (g % 200), '/p/' || ((g * 7) % 200), '/docs/' || (g % 30)]
        || case when g % 10000 = 0 then array['/checkout/done'] else '{}' end,
      g % 20, case when g % 37 = 0 then 3 else 0 end, case when g % 53 = 0 then 1 else 0 end,
      (array['desktop', 'mobile', 'tablet'])[1 + g % 3], (array['DE', 'US', 'FR', 'GB'])[1 + g % 4],
      case when g % 5 = 0 then 'news.example' else null end, 40000, 12, 'recordings/bench/' || g || '/'
    from generate_series(1, ${rows}) g`);
  await db.execute(sql`analyze recordings`);
  opts.log(`recordings: ${opts.rows.toLocaleString("en-US")} rows in ${Math.round(performance.now() - t0)} ms`);

  const now = Date.now();
  const shapes: Record<string, recordingsData.ListOptions> = {
    "device + rage clicks": { filter: { device: "mobile", hasRageClicks: true }, sort: "start", limit: 25 },
    "exact page + min duration": {
      filter: { page: { exact: "/p/17" }, minDurationMs: 600_000 },
      sort: "start",
      limit: 25,
    },
    "last 7 days + country, by duration": {
      filter: { from: new Date(now - 7 * DAY_MS), country: "DE" },
      sort: "duration",
      limit: 25,
    },
    "page prefix + errors": { filter: { page: { prefix: "/docs/1" }, hasErrors: true }, sort: "start", limit: 25 },
    // 1 row in 10,000: without the trigram index of 0010 every row of the site is walked.
    "rare page prefix + last 30 days": {
      filter: { page: { prefix: "/checkout/" }, from: new Date(now - 30 * DAY_MS) },
      sort: "start",
      limit: 25,
    },
  };
  const all: number[] = [];
  const p50s: Record<string, number> = {};
  for (const [name, list] of Object.entries(shapes)) {
    await recordingsData.listRecordings(db, SITE, list);
    const times: number[] = [];
    for (let i = 0; i < opts.repeats; i++) {
      const t = performance.now();
      const rows = await recordingsData.listRecordings(db, SITE, list);
      times.push(performance.now() - t);
      if (rows.length === 0) throw new Error(`recordings: "${name}" found nothing`);
    }
    times.sort((a, b) => a - b);
    p50s[name] = Math.round(quantile(times, 0.5) * 10) / 10;
    all.push(...times);
  }
  all.sort((a, b) => a - b);
  await clear();
  untrack();
  return {
    rows: opts.rows,
    queries: all.length,
    p50Ms: Math.round(quantile(all, 0.5) * 10) / 10,
    p95Ms: Math.round(quantile(all, 0.95) * 10) / 10,
    shapes: p50s,
  };
}
