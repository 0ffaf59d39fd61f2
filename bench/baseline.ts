/**
 * The baseline the pipeline is judged against: one INSERT per event, as Umami writes its
 * website_event table, through the same driver and bridge into the same Postgres. The table
 * lives in a scratch schema the bench creates and drops.
 */
import { uuidv7 } from "@sightline/shared/ids";
import { sql } from "drizzle-orm";
import { integer, pgSchema, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { type BenchDb, openDb } from "./lib/db.ts";
import type { SectionHooks } from "./lib/section.ts";

export const SCRATCH_SCHEMA = "sightline_bench";
const scratch = pgSchema(SCRATCH_SCHEMA);

/** Shaped like Umami's website_event (fewer indexes than Umami has, so the baseline is flattered). */
const benchEvents = scratch.table("bench_events", {
  eventId: uuid().primaryKey(),
  siteId: text().notNull(),
  sessionId: uuid().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull(),
  urlPath: text().notNull(),
  referrerDomain: text(),
  pageTitle: text(),
  eventType: integer().notNull(),
});

export interface BaselineOptions extends SectionHooks {
  bridgePort: number;
  admin: BenchDb;
  events: number;
  concurrency: number;
  /** createDb pools to spread the concurrency over (each holds at most 4 connections). */
  pools: number;
}

export interface BaselineResult {
  eventsPerSec: number;
  events: number;
  rows: number;
  seconds: number;
  concurrency: number;
  connections: number;
  errors: number;
}

export async function dropScratch(admin: BenchDb): Promise<void> {
  await admin.db.execute(sql.raw(`drop schema if exists ${SCRATCH_SCHEMA} cascade`));
}

export async function benchBaseline(opts: BaselineOptions): Promise<BaselineResult> {
  const { admin } = opts;
  const untrack = opts.track(() => dropScratch(admin));
  const pools: BenchDb[] = [];
  try {
    await dropScratch(admin);
    await admin.db.execute(sql.raw(`create schema ${SCRATCH_SCHEMA}`));
    await admin.db.execute(
      sql.raw(`create table ${SCRATCH_SCHEMA}.bench_events (
        event_id uuid primary key, site_id text not null, session_id uuid not null,
        created_at timestamptz not null, url_path text not null, referrer_domain text,
        page_title text, event_type integer not null)`),
    );
    // The index every per-site time-range report needs; Umami keeps several more.
    await admin.db.execute(
      sql.raw(`create index bench_events_site_time on ${SCRATCH_SCHEMA}.bench_events (site_id, created_at)`),
    );

    const siteId = "site_baseline";
    const sessions = Array.from({ length: Math.max(1, Math.floor(opts.events / 80)) }, () => uuidv7());
    const now = Date.now();
    const rows = Array.from({ length: opts.events }, (_, i) => ({
      // Minted from the event's time, as the tracker mints them.
      eventId: uuidv7(now - (opts.events - i)),
      siteId,
      sessionId: sessions[Math.floor(i / 80) % sessions.length] as string,
      createdAt: new Date(now - (opts.events - i)),
      urlPath: `/docs/page-${i % 100}`,
      referrerDomain: "www.example.com",
      pageTitle: `Bench page ${i % 100}`,
      eventType: 1,
    }));

    for (let p = 0; p < opts.pools; p++) pools.push(openDb(opts.bridgePort));
    // Open every connection before timing, as a long-running server would have them.
    await Promise.all(
      Array.from({ length: opts.concurrency }, (_, k) =>
        (pools[k % pools.length] as BenchDb).db.execute(sql`select 1`),
      ),
    );

    opts.log(
      `baseline: ${opts.events} single-row inserts, ${opts.concurrency} in flight over ${opts.pools * 4} connections`,
    );
    let next = 0;
    let errors = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: opts.concurrency }, async (_, k) => {
        const db = (pools[k % pools.length] as BenchDb).db;
        while (next < rows.length) {
          const row = rows[next++];
          if (!row) break;
          try {
            await db.insert(benchEvents).values(row);
          } catch {
            errors++;
          }
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const counted = await admin.db.execute(sql.raw(`select count(*)::bigint as n from ${SCRATCH_SCHEMA}.bench_events`));
    const n = Number((counted.rows[0] as { n: string | number } | undefined)?.n ?? 0);
    return {
      eventsPerSec: n / seconds,
      events: opts.events,
      rows: n,
      seconds,
      concurrency: opts.concurrency,
      connections: Math.min(opts.concurrency, opts.pools * 4),
      errors,
    };
  } finally {
    await Promise.all(pools.map((p) => p.close().catch(() => undefined)));
    untrack();
    await dropScratch(admin).catch((err) => opts.log(`baseline: dropping ${SCRATCH_SCHEMA} failed: ${String(err)}`));
  }
}
