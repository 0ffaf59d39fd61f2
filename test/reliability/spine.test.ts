/**
 * Issue 10's `pnpm test:reliability`: the spine under a Postgres outage, redelivery and a
 * killed stack, against the local stack as `pnpm start` runs it (test/system/stack.ts). The
 * stack gets a PostgreSQL of the test's own (the embedded one of scripts/lib), which the test
 * stops and starts; wrangler's state lives in a `.sightline` of its own, kept across the kill.
 * One stack and one site for the file; the scenarios run in order.
 *
 * RELIABILITY_OUTAGE_S (default 300) is how long Postgres stays down; 60 is the short form.
 * What was measured goes to test/system/artifacts/reliability.json and the log.
 *
 * Not here: an aggregator that fails beyond the queue's retries. The stack offers no way to
 * make SiteAggregator.ingest throw without a fault switch in production code; in workerd,
 * workers/ingest/test/dead-letters.test.ts breaks one aggregator and follows its message
 * through the real local queue's retries to the DLQ, R2 and a replay that counts it once.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "../../scripts/lib/db.ts";
import { type EmbeddedPg, startEmbeddedPg } from "../../scripts/lib/embedded-pg.ts";
import { type PgBridge, startPgBridge } from "../../scripts/lib/pg-bridge.ts";
import { ARTIFACTS, descendants, isAlive, type Stack, startStack } from "../system/stack.ts";
import { aggregatorStorage, Load, type SentBatch, sendBatch } from "./load.ts";

const OUTAGE_S = Number(process.env.RELIABILITY_OUTAGE_S || 300);
// The issue asks for at least 10 a second; 12 leaves room for timer jitter on 2 cores.
const BATCHES_PER_SECOND = 12;
const EVENTS_PER_BATCH = 10;
// The requirement under test: counts caught up within 60 s of Postgres' return.
const CATCH_UP_MS = 60_000;
// Flushes run every 2 s; the queue delivers within a second or so.
const SETTLE_MS = 45_000;
const READ_EVERY_MS = 5_000;
const WARM_MS = 15_000;
const EMAIL = "reliability@example.test";
const PASSWORD = "correct horse battery staple";

type Db = ReturnType<typeof openDb>;

interface ReadAnswer {
  /** Seconds since Postgres was stopped. */
  at: number;
  path: string;
  status: number | string;
  stale: boolean;
  code?: string;
  retryAfter: string | null;
}

const report: Record<string, unknown> = { outageSeconds: OUTAGE_S, batchesPerSecond: BATCHES_PER_SECOND };

describe(`reliability: Postgres down ${OUTAGE_S} s, a batch twice, a SIGKILLed stack`, () => {
  const root = mkdtempSync(join(tmpdir(), "sightline-reliability-"));
  // As root the embedded server runs as the user postgres, who must reach its directory.
  chmodSync(root, 0o755);
  const pgDir = join(root, "postgres");
  const sightlineDir = join(root, "sightline");
  const stateDir = join(sightlineDir, "state");
  let pg: EmbeddedPg | undefined;
  let pgPort = 0;
  let bridge: PgBridge | undefined;
  let db: Db | undefined;
  let stack: Stack | undefined;
  let readToken = "";
  let adminToken = "";
  let siteId = "";
  let siteKey = "";
  let origin = "";

  beforeAll(async () => {
    pg = await startEmbeddedPg({ dataDir: pgDir });
    pgPort = pg.port;
    // Ours, so the test's reads never go through the stack's bridge.
    bridge = await startPgBridge({ port: 0, target: { host: pg.host, port: pg.port } });
    stack = await startStack("reliability", { databaseUrl: pg.connectionString, sightlineDir });
    db = openDb(pg.connectionString, bridge.port);
    siteKey = stack.siteKey;
    origin = stack.demoUrl;

    // The owner from the printed setup link, then tokens, as a dashboard user would.
    const setupToken = /#token=([A-Za-z0-9_-]+)/.exec(stack.setupUrl ?? "")?.[1];
    if (!setupToken) throw new Error("no setup link in the start output");
    const setup = await fetch(`${stack.apiUrl}/v1/setup`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ setupToken, email: EMAIL, password: PASSWORD }),
    });
    expect(setup.status).toBe(201);
    const cookie = /__Host-sl_session=[^;]+/.exec(setup.headers.get("set-cookie") ?? "")?.[0];
    if (!cookie) throw new Error("no session cookie from setup");
    const token = async (scopes: string[]) => {
      const res = await fetch(`${stack?.apiUrl}/v1/tokens`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Cookie: cookie, Origin: stack?.apiUrl ?? "" },
        body: JSON.stringify({ name: `reliability ${scopes.join(" ")}`, scopes }),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { token: string }).token;
    };
    readToken = await token(["read"]);
    adminToken = await token(["admin"]);
    const sites = await fetch(`${stack.apiUrl}/v1/sites`, { headers: { Authorization: `Bearer ${readToken}` } });
    expect(sites.status).toBe(200);
    const items = ((await sites.json()) as { items: Array<{ id: string; key: string }> }).items;
    siteId = items.find((s) => s.key === siteKey)?.id ?? "";
    expect(siteId, "the demo site, adopted by the owner").not.toBe("");
  });

  afterAll(async () => {
    await Promise.all([...loads].map((l) => l.stop()));
    writeReport();
    await db?.close();
    await stack?.stop();
    await bridge?.close();
    await pg?.close();
    rmSync(root, { recursive: true, force: true });
  });

  function writeReport(): void {
    const text = JSON.stringify(report, null, 2);
    console.log(`reliability report:\n${text}`);
    writeFileSync(join(ARTIFACTS, "reliability.json"), `${text}\n`);
  }

  function need(): { stack: Stack; db: Db } {
    if (!stack || !db) throw new Error("stack not started, or Postgres closed");
    return { stack, db };
  }

  function needStack(): Stack {
    if (!stack) throw new Error("stack not started");
    return stack;
  }

  /** Loads still sending; a failed scenario leaves its load to afterAll. */
  const loads = new Set<Load>();

  function newLoad(pathOf: (seq: number, i: number) => string): Load {
    const load = new Load({
      ingestUrl: `http://127.0.0.1:${needStack().ingestPort}`,
      origin,
      siteKey,
      batchesPerSecond: BATCHES_PER_SECOND,
      eventsPerBatch: EVENTS_PER_BATCH,
      pathOf,
    });
    loads.add(load);
    return load;
  }

  /** The site's pageviews in Postgres, from the site rows and from the page rows. */
  async function counted(): Promise<{ site: number; pages: number }> {
    const r = await need().db.db.execute(sql`
      select
        (select coalesce(sum(pageviews), 0)::int from site_stats_hourly where site_id = ${siteId}) as site,
        (select coalesce(sum(pageviews), 0)::int from page_stats_hourly where site_id = ${siteId}) as pages`);
    const row = r.rows[0] as { site: number; pages: number } | undefined;
    return { site: Number(row?.site ?? 0), pages: Number(row?.pages ?? 0) };
  }

  async function stopPostgres(): Promise<void> {
    // The test's own pool first, so no idle connection dies under it.
    await db?.close();
    db = undefined;
    await pg?.close();
    pg = undefined;
  }

  async function startPostgres(): Promise<void> {
    pg = await startEmbeddedPg({ dataDir: pgDir, port: pgPort });
    if (!bridge) throw new Error("no bridge");
    db = openDb(pg.connectionString, bridge.port);
  }

  async function apiGet(path: string, token: string | null): Promise<Response> {
    return fetch(`${needStack().apiUrl}${path}`, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(30_000),
    });
  }

  interface Shard {
    pendingRows: number;
    pendingPageviews: number;
    failures: number;
    inFlight: boolean;
  }
  async function pipelineHealth(): Promise<{
    status: number;
    database?: string;
    site?: { status: string; shards: Shard[] };
  }> {
    const res = await apiGet("/v1/health/pipeline?limit=100", adminToken);
    if (res.status !== 200) return { status: res.status };
    const body = (await res.json()) as {
      database: string;
      sites: Array<{ id: string; status: string; shards: Shard[] }>;
    };
    return { status: 200, database: body.database, site: body.sites.find((s) => s.id === siteId) };
  }

  it(
    `Postgres stopped ${OUTAGE_S} s under ${BATCHES_PER_SECOND} batches/s: every accepted event counted once within 60 s of its return; reads stale or 503; DO storage bounded`,
    async () => {
      const { stack } = need();
      const from = new Date(Date.now() - 24 * 3_600_000).toISOString();
      const to = new Date(Date.now() + 3_600_000).toISOString();
      const range = `from=${from}&to=${to}`;
      const otherRange = `from=${new Date(Date.now() - 48 * 3_600_000).toISOString()}&to=${to}`;
      const stats = `/v1/sites/${siteId}/stats`;
      // Read while Postgres is up, so a stale copy exists; the cold ones never are.
      const warmed = [
        `${stats}/timeseries?${range}&interval=hour`,
        `${stats}/pages?${range}`,
        `${stats}/referrers?${range}`,
      ];
      const cold = [`${stats}/timeseries?${otherRange}&interval=day`, `${stats}/devices?${range}`];

      const load = newLoad((_, i) => `/outage/${i % 5}`);
      load.start();
      await sleep(WARM_MS);
      await expect.poll(async () => (await counted()).site, { timeout: SETTLE_MS, interval: 1_000 }).toBeGreaterThan(0);
      for (const path of warmed) {
        const res = await apiGet(path, readToken);
        await res.arrayBuffer();
        expect(res.status, path).toBe(200);
        expect(res.headers.get("x-sightline-stale"), path).toBeNull();
      }
      // Also puts the admin token's identity in the cache for the outage's first minute.
      const upHealth = await pipelineHealth();
      expect(upHealth.status).toBe(200);
      expect(upHealth.database).toBe("up");

      const storageBefore = aggregatorStorage(stateDir);
      const acceptedBefore = load.acceptedEvents;
      const batchesBefore = load.acceptedBatches.length;
      await stopPostgres();
      const downAt = Date.now();
      const upAt = downAt + OUTAGE_S * 1_000;

      const answers: ReadAnswer[] = [];
      const readRound = async () => {
        const at = Math.round((Date.now() - downAt) / 1_000);
        await Promise.all(
          [...warmed, ...cold, "/ready"].map(async (path) => {
            try {
              const res = await apiGet(path, path === "/ready" ? null : readToken);
              const text = await res.text();
              let code: string | undefined;
              if (res.status !== 200) code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
              answers.push({
                at,
                path,
                status: res.status,
                stale: res.headers.get("x-sightline-stale") === "true",
                code,
                retryAfter: res.headers.get("retry-after"),
              });
            } catch (err) {
              answers.push({ at, path, status: (err as Error).message, stale: false, retryAfter: null });
            }
          }),
        );
      };
      let downHealth: Awaited<ReturnType<typeof pipelineHealth>> | undefined;
      while (Date.now() < upAt) {
        const tick = Date.now();
        await readRound();
        // After a few failed flushes, and within the identity cache's minute.
        if (!downHealth && tick - downAt >= 15_000) downHealth = await pipelineHealth();
        await sleep(Math.max(0, Math.min(READ_EVERY_MS - (Date.now() - tick), upAt - Date.now())));
      }
      const storageDown = aggregatorStorage(stateDir);

      await load.stop();
      await startPostgres();
      const restartedAt = Date.now();
      const accepted = load.acceptedEvents;
      const windowEvents = accepted - acceptedBefore;
      const windowBatches = load.acceptedBatches.length - batchesBefore;

      // Counted once: never above what was accepted, and all of it by the deadline.
      let caughtUpMs: number | null = null;
      let last = { site: 0, pages: 0 };
      while (Date.now() - restartedAt < CATCH_UP_MS) {
        last = await counted();
        expect(last.site, "site pageviews above the accepted events: counted twice").toBeLessThanOrEqual(accepted);
        expect(last.pages, "page pageviews above the accepted events: counted twice").toBeLessThanOrEqual(accepted);
        if (last.site === accepted && last.pages === accepted) {
          caughtUpMs = Date.now() - restartedAt;
          break;
        }
        await sleep(500);
      }
      report.outage = {
        accepted,
        acceptedDuringOutage: windowEvents,
        batchesSent: load.sent.length,
        batchesPerSecondSent: Number(load.rate.toFixed(2)),
        refused: load.refusals.length,
        skippedTicks: load.skipped,
        countedAtDeadline: caughtUpMs === null ? last : undefined,
        secondsFromRestartToCaughtUp: caughtUpMs === null ? null : caughtUpMs / 1_000,
        pipelineHealthWhileDown: downHealth,
        doStorageBytes: { before: storageBefore, endOfOutage: storageDown },
      };
      expect(load.refusals, "collect must accept while Postgres is down").toEqual([]);
      expect(load.rate).toBeGreaterThanOrEqual(10);
      expect(caughtUpMs, `counted ${JSON.stringify(last)} of ${accepted} within 60 s of the restart`).not.toBeNull();

      // And it stays once: later flushes (retries of the outage's flush ids included) add nothing.
      await sleep(10_000);
      expect(await counted()).toEqual({ site: accepted, pages: accepted });
      const storageAfter = aggregatorStorage(stateDir);
      (report.outage as Record<string, unknown>).doStorageBytes = {
        before: storageBefore,
        endOfOutage: storageDown,
        afterRecovery: storageAfter,
      };

      // Reads while down: a stale 200 where a copy was kept, else 503 SERVICE_UNAVAILABLE with
      // Retry-After; never another status. The identity cache answers for a minute only, so
      // later in a long outage the kept copies are out of reach too: 503 then.
      const wrong = answers.filter((a) => {
        const staleOk = a.status === 200 && a.stale && warmed.includes(a.path);
        const unavailable = a.status === 503 && a.code === "SERVICE_UNAVAILABLE" && a.retryAfter !== null;
        return !(staleOk || unavailable);
      });
      const tally = (pred: (a: ReadAnswer) => boolean) => answers.filter(pred).length;
      report.readsWhileDown = {
        total: answers.length,
        stale200: tally((a) => a.status === 200),
        unavailable503: tally((a) => a.status === 503),
        lastStale200AtSecond: Math.max(-1, ...answers.filter((a) => a.status === 200).map((a) => a.at)),
        other: wrong.length,
      };
      expect(wrong, "reads while Postgres was down").toEqual([]);
      const firstRound = answers.filter((a) => a.at === 0 && warmed.includes(a.path));
      expect(firstRound.map((a) => a.status)).toEqual(warmed.map(() => 200));
      expect(answers.filter((a) => cold.includes(a.path) || a.path === "/ready").every((a) => a.status === 503)).toBe(
        true,
      );

      // The operator saw the outage: the database down, the site failing, its pageviews waiting.
      expect(downHealth?.status).toBe(200);
      expect(downHealth?.database).toBe("down");
      expect(downHealth?.site?.status).toBe("failing");
      expect(downHealth?.site?.shards[0]?.pendingPageviews ?? 0).toBeGreaterThan(0);

      // Durable Object storage grew by the window's ids, sessions and deltas, no more: about
      // 50 bytes an event id and a few hundred a session and visitor row, taken four times
      // over, plus one SQLite WAL checkpoint's worth (1,000 pages of 4 KiB).
      const grown = storageDown.bytes - storageBefore.bytes;
      const bound = 4 * (windowEvents * 64 + windowBatches * 512) + 4 * 1024 * 1024;
      (report.outage as Record<string, unknown>).doStorageGrowthBound = bound;
      expect(grown).toBeLessThanOrEqual(bound);
      expect(stack.output()).not.toMatch(/Context is not finalized/);
    },
    (OUTAGE_S + 240) * 1_000,
  );

  it("the same batch sent twice, one after the other and at once, counts once", async () => {
    const { stack } = need();
    const load = newLoad((seq, i) => `/twice/${seq}/${i % 2}`);
    const ingestUrl = `http://127.0.0.1:${stack.ingestPort}`;
    const duplicatesLogged = () =>
      [...stack.output().matchAll(/"queue batch".*?"duplicates":(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    const dupBefore = duplicatesLogged();
    const base = await counted();
    const one = load.makeBatch(1);
    const two = load.makeBatch(2);
    const answers = [
      await sendBatch(ingestUrl, origin, one, "10.200.0.1"),
      await sendBatch(ingestUrl, origin, one, "10.200.0.1"),
      ...(await Promise.all([
        sendBatch(ingestUrl, origin, two, "10.200.0.2"),
        sendBatch(ingestUrl, origin, two, "10.200.0.2"),
      ])),
    ];
    // The edge cannot know a batch is a repeat: it accepts each, and the aggregator drops it.
    expect(answers.map((a) => [a.status, a.accepted])).toEqual(answers.map(() => [202, EVENTS_PER_BATCH]));
    const expected = { site: base.site + 2 * EVENTS_PER_BATCH, pages: base.pages + 2 * EVENTS_PER_BATCH };
    await expect.poll(counted, { timeout: SETTLE_MS, interval: 1_000 }).toEqual(expected);
    await sleep(8_000);
    expect(await counted()).toEqual(expected);
    // The repeats reached the aggregator and were dropped there, not lost on the way.
    await expect.poll(() => duplicatesLogged() - dupBefore, { timeout: 10_000 }).toBeGreaterThanOrEqual(20);
    report.twice = { sent: 4, counted: expected.site - base.site, duplicatesLogged: duplicatesLogged() - dupBefore };
  }, 120_000);

  /**
   * What a kill loses locally, and production would not: Miniflare keeps Queue messages in
   * the memory of workerd, so a batch answered 202 whose message the consumer had not yet
   * handed to its aggregator is gone (about the last second's worth: max_batch_timeout is 1 s).
   * Cloudflare Queues persist a message once send() resolves, and redeliver one whose consumer
   * died before acking it; the aggregator's seen ids make that redelivery count once. What the
   * platform keeps locally survives: Durable Object SQLite (seen ids, deltas not yet flushed,
   * the alarm), KV (the site's edge record) and R2, all under --persist-to.
   */
  it("SIGKILL to the whole stack mid-load, then started again on the same state and database", async () => {
    const first = need().stack;
    const load = newLoad((seq) => `/kill/${seq}`);
    const before = await counted();
    load.start();
    await sleep(WARM_MS);

    // Everything the start script runs: itself, both `wrangler dev`s and their workerd
    // (each `wrangler dev` leads a process group of its own), at once, as a crash would.
    const pids = [first.pid, ...descendants(first.pid).map((p) => Number(p.split(" ")[0]))];
    // The start script removes its wrangler registry on exit, which a kill skips: the test does.
    const registries = new Set(pids.flatMap((pid) => registryOf(pid)));
    const killedAt = Date.now();
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Gone already.
      }
    }
    await load.stop();
    await expect.poll(() => pids.filter(isAlive), { timeout: 20_000, interval: 200 }).toEqual([]);
    await first.stop();
    stack = undefined;
    for (const dir of registries) rmSync(dir, { recursive: true, force: true });
    const storageAtKill = aggregatorStorage(stateDir);
    expect(storageAtKill.files).toBeGreaterThan(0);

    // Again, as a developer would after a crash: same .sightline, same database. The start
    // script makes a demo site of a new key; this one's record must come from the kept KV.
    const restarted = await startStack("reliability-restart", { databaseUrl: pgUrl(), sightlineDir });
    stack = restarted;
    const loader = await fetch(`http://127.0.0.1:${restarted.ingestPort}/s/${siteKey}.js`);
    await loader.arrayBuffer();
    expect(loader.status, "the site's edge record, kept in local KV").toBe(200);

    const settled = async () => {
      // Asking an aggregator for its health wakes it; an alarm kept in its storage then runs.
      await expect
        .poll(
          async () => {
            const h = await pipelineHealth();
            const shard = h.site?.shards[0];
            return h.status === 200 && shard !== undefined && shard.pendingRows === 0 && !shard.inFlight;
          },
          { timeout: SETTLE_MS, interval: 1_000 },
        )
        .toBe(true);
      // The queue delivers in about a second; then a flush lands within 2 s.
      await sleep(5_000);
    };
    const perBatch = async (): Promise<Map<number, number>> => {
      const r = await need().db.db.execute(sql`
          select path, sum(pageviews)::int as n from page_stats_hourly
          where site_id = ${siteId} and path like '/kill/%' group by path`);
      return new Map(r.rows.map((row) => [Number(String(row.path).slice(6)), Number(row.n)]));
    };

    await settled();
    const afterKill = await perBatch();
    const acceptedBatches = load.acceptedBatches;
    const lost = acceptedBatches.filter((b) => (afterKill.get(b.seq) ?? 0) === 0);
    const unanswered = load.sent.filter((b) => b.status !== 202);
    const countedUnanswered = unanswered.filter((b) => (afterKill.get(b.seq) ?? 0) > 0);
    // A batch is counted whole or not at all, and never twice.
    const partial = [...afterKill].filter(([, n]) => n !== EVENTS_PER_BATCH);
    expect(partial, "batches counted partly or twice").toEqual([]);
    const countedEvents = (await counted()).pages - before.pages;
    const acceptedEvents = load.acceptedEvents;
    expect(countedEvents).toBe(
      acceptedEvents - lost.length * EVENTS_PER_BATCH + countedUnanswered.length * EVENTS_PER_BATCH,
    );
    report.sigkill = {
      batchesSent: load.sent.length,
      accepted: acceptedEvents,
      acceptedBatches: acceptedBatches.length,
      unansweredAtKill: unanswered.length,
      unansweredButCounted: countedUnanswered.length,
      countedAfterRestart: countedEvents,
      lostBatches: lost.length,
      lostEvents: lost.length * EVENTS_PER_BATCH,
      lostAcceptedWithinSecondsBeforeKill: lost.length
        ? Number(((killedAt - Math.min(...lost.map((b: SentBatch) => b.sentAt))) / 1_000).toFixed(1))
        : 0,
      doStorageAtKill: storageAtKill,
    };

    // The browser's retry, which production's durable queue makes unnecessary: every batch
    // again, same ids. The kept seen-ids drop the counted ones; the lost ones count now.
    const ingestUrl = `http://127.0.0.1:${restarted.ingestPort}`;
    const again = await Promise.all(load.sent.map((b) => sendBatch(ingestUrl, origin, b.batch, b.address)));
    expect(again.filter((a) => a.status !== 202)).toEqual([]);
    await settled();
    const afterRetry = await perBatch();
    const wrongNow = load.sent.filter((b) => afterRetry.get(b.seq) !== EVENTS_PER_BATCH).map((b) => b.seq);
    expect(wrongNow, "batches not counted exactly once after the retry").toEqual([]);
    expect((await counted()).pages - before.pages).toBe(load.sent.length * EVENTS_PER_BATCH);
  }, 600_000);

  /** The temporary wrangler registry a `wrangler dev` of the stack was given, if any. */
  function registryOf(pid: number): string[] {
    try {
      const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      const dir = env.find((e) => e.startsWith("WRANGLER_REGISTRY_PATH="))?.slice("WRANGLER_REGISTRY_PATH=".length);
      return dir && basename(dir).startsWith("sightline-registry-") ? [dir] : [];
    } catch {
      return [];
    }
  }

  function pgUrl(): string {
    if (!pg) throw new Error("Postgres is not running");
    return pg.connectionString;
  }
});
