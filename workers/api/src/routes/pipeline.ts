/**
 * The operator's view of the pipeline ("know when things fail"): per site, each aggregator
 * shard's last landed flush, backoff and what waits, and the dead letters parked in R2; and
 * the replay of those dead letters. Both go through the ingest worker's EdgeAdmin, so they
 * answer while Postgres is down (the site list then comes from its last good read).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { sitesData } from "@sightline/db";
import type { AggregatorHealth } from "@sightline/shared/site";
import { edge } from "../env.ts";
import { isConnectionError } from "../lib/db-errors.ts";
import { bearer, errorResponses, json, PageQuery, router } from "../lib/openapi.ts";
import { readCache } from "../lib/read-cache.ts";
import { requireScope } from "../middleware/auth.ts";

/** A shard that has waited this long with rows and no landed flush is "behind". */
const BEHIND_MS = 60_000;

const Shard = z
  .object({
    lastFlushAt: z.string().nullable(),
    failures: z.number().int(),
    nextFlushAt: z.string().nullable(),
    pendingRows: z.number().int(),
    pendingPageviews: z.number().int(),
    inFlight: z.boolean(),
  })
  .openapi("AggregatorShard");

const SiteHealth = z
  .object({
    id: z.string(),
    key: z.string(),
    name: z.string(),
    /** ok: nothing waits or it lands; behind: rows waiting over a minute; failing: flushes fail. */
    status: z.enum(["ok", "behind", "failing"]),
    shards: z.array(Shard),
  })
  .openapi("SitePipelineHealth");

const DeadLetters = z
  .object({ objects: z.number().int(), messages: z.number().int(), more: z.boolean() })
  .openapi("DeadLetterCount");

type SiteRef = { id: string; key: string; name: string; shards: number };

function statusOf(shards: AggregatorHealth[], now: number): z.infer<typeof SiteHealth>["status"] {
  if (shards.some((s) => s.failures > 0)) return "failing";
  const behind = shards.some((s) => s.pendingRows > 0 && now - (s.lastFlushAt ?? 0) > BEHIND_MS);
  return behind ? "behind" : "ok";
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const pipeline = router();

pipeline
  .openapi(
    createRoute({
      method: "get",
      path: "/health/pipeline",
      tags: ["operations"],
      summary: "Per site: each aggregator's last flush, backoff and pending rows; dead letters waiting",
      security: bearer,
      middleware: requireScope("admin"),
      request: { query: PageQuery },
      responses: {
        200: json(
          z.object({
            database: z.enum(["up", "down"]),
            sites: z.array(SiteHealth),
            nextCursor: z.string().nullable(),
            deadLetters: DeadLetters,
          }),
          "A page of the caller's sites, and the deployment's dead letters",
        ),
        ...errorResponses(400, 401, 403, 503),
      },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const accountId = c.get("caller").account.id;
      const cache = readCache(c.get("env"));
      const key = `pipeline-sites:${accountId}:${cursor ?? ""}:${limit}`;
      let page: { sites: SiteRef[]; nextCursor: string | null };
      let database: "up" | "down" = "up";
      try {
        const rows = await sitesData.listSites(c.get("db")(), accountId, limit + 1, cursor);
        const sites = rows.slice(0, limit).map((s) => ({ id: s.id, key: s.key, name: s.name, shards: s.shards }));
        page = { sites, nextCursor: rows.length > limit ? (sites.at(-1)?.id ?? null) : null };
        c.executionCtx.waitUntil(cache.put(key, page));
      } catch (err) {
        if (!isConnectionError(err)) throw err;
        // Postgres is down: the aggregators still answer; the site list is the last good one.
        database = "down";
        const hit = await cache.get(key);
        page = (hit?.value as typeof page | undefined) ?? { sites: [], nextCursor: null };
      }
      const admin = edge(c.env);
      const [health, deadLetters] = await Promise.all([
        admin.pipelineHealth(page.sites.map((s) => ({ siteId: s.id, shards: s.shards }))),
        admin.deadLetters(),
      ]);
      const now = Date.now();
      const sites = page.sites.map((s, i) => {
        const shards = health[i]?.shards ?? [];
        return {
          id: s.id,
          key: s.key,
          name: s.name,
          status: statusOf(shards, now),
          shards: shards.map((h) => ({ ...h, lastFlushAt: iso(h.lastFlushAt), nextFlushAt: iso(h.nextFlushAt) })),
        };
      });
      return c.json({ database, sites, nextCursor: page.nextCursor, deadLetters }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/dead-letters/replay",
      tags: ["operations"],
      summary: "Put parked dead letters back on the ingest queue (50 batches a call; call again while `more`)",
      description:
        "Deployment-wide. The aggregators drop events they already counted, so replaying twice counts each event once.",
      security: bearer,
      middleware: requireScope("admin"),
      responses: {
        200: json(
          z
            .object({
              objects: z.number().int(),
              replayed: z.number().int(),
              unreadable: z.number().int(),
              more: z.boolean(),
            })
            .openapi("DeadLetterReplay"),
          "What this call replayed",
        ),
        ...errorResponses(401, 403),
      },
    }),
    async (c) => c.json(await edge(c.env).replayDeadLetters(), 200),
  );
