/**
 * The recordings routes against a real Postgres and the R2 bucket of vitest-pool-workers: the
 * list's filters, sorts and cursor paging, one row, the events streamed as one JSON array,
 * erasure, scopes and ownership; and that the list's query is served by the indexes of
 * migrations 0004, 0005, 0009 and 0010. Times are relative to the clock's now, never a calendar date.
 */
import { env } from "cloudflare:test";
import { recordingsData, schema } from "@sightline/db";
import { FLAG_LIMITS } from "@sightline/shared/limits/flags";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  api,
  createSite,
  createToken,
  db,
  type ErrorShape,
  expectMatchesDocument,
  otherAccount,
  ownerCookie,
} from "./helpers.ts";
import { bucket, events, gzip, keysUnder, seedRecordings } from "./recording-fixtures.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const LIST = "/v1/sites/{siteId}/recordings";

interface Page {
  items: { id: string; durationMs: number; activeMs: number; startedAt: string; pages: string[]; flags: string[] }[];
  nextCursor: string | null;
}

/** Sets recordings' flag variants as the aggregator's flushes leave them (seedRecordings has no flags). */
async function setFlags(rows: [{ id: string } | undefined, string[]][]): Promise<void> {
  const { db: d, close } = db();
  try {
    for (const [row, flags] of rows) {
      await d
        .update(schema.recordings)
        .set({ flags })
        .where(eq(schema.recordings.id, row?.id ?? "-"));
    }
  } finally {
    await close();
  }
}

async function list(cookie: string, siteId: string, query = ""): Promise<Page> {
  const res = await api(`/v1/sites/${siteId}/recordings${query}`, { cookie });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await expectMatchesDocument("GET", LIST, res)) as Page;
}

/** Every id the list answers, following nextCursor with pages of `limit`. */
async function all(cookie: string, siteId: string, query: string, limit = 2): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 50; i++) {
    const sep = query ? "&" : "?";
    const page = await list(cookie, siteId, `${query}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
    ids.push(...page.items.map((r) => r.id));
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return ids;
}

describe("GET /v1/sites/{siteId}/recordings", () => {
  it("lists newest first, pages with a cursor, and applies every filter", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Recorded");
    const now = Date.now();
    const [a, b, c, d, e] = await seedRecordings([
      { siteId: site.id, startedAt: now - 1 * HOUR, durationMs: 30_000, pages: ["/", "/pricing"], country: "DE" },
      {
        siteId: site.id,
        startedAt: now - 2 * HOUR,
        durationMs: 300_000,
        pages: ["/docs/start", "/docs/api"],
        device: "mobile",
        country: "FR",
        rageClicks: 2,
        referrer: "https://news.example/item?id=1",
      },
      { siteId: site.id, startedAt: now - 3 * HOUR, durationMs: 5_000, pages: ["/pricing"], errors: 1, country: null },
      {
        siteId: site.id,
        startedAt: now - 4 * HOUR,
        durationMs: 120_000,
        pages: ["/docs_x"],
        device: "tablet",
        referrer: "https://search.example/",
      },
      // Same start as d: the id breaks the tie, so paging neither repeats nor skips it.
      { siteId: site.id, startedAt: now - 4 * HOUR, durationMs: 120_000, pages: ["/docs"] },
    ]);
    const ids = (x: { id: string }[]) => x.map((r) => r.id);
    const [dd, ee] = [d, e].sort((x, y) => ((x?.id ?? "") < (y?.id ?? "") ? -1 : 1));
    const newest = [a, b, c, dd, ee].map((r) => r?.id);

    expect(await all(cookie, site.id, "")).toEqual(newest);
    expect(await all(cookie, site.id, "", 1)).toEqual(newest);
    const first = await list(cookie, site.id);
    expect(first.nextCursor).toBeNull();
    expect(first.items[0]).toMatchObject({ pages: ["/", "/pricing"], durationMs: 30_000 });

    const q = async (query: string) => ids((await list(cookie, site.id, `?${query}`)).items);
    expect(
      await q(`from=${new Date(now - 3.5 * HOUR).toISOString()}&to=${new Date(now - 1.5 * HOUR).toISOString()}`),
    ).toEqual([b?.id, c?.id]);
    expect(await q("minDurationMs=60000")).toEqual([b?.id, dd?.id, ee?.id]);
    expect(await q("maxDurationMs=30000")).toEqual([a?.id, c?.id]);
    expect(await q("minDurationMs=60000&maxDurationMs=120000")).toEqual([dd?.id, ee?.id]);
    expect(await q("page=/pricing")).toEqual([a?.id, c?.id]);
    expect(await q("page=/docs")).toEqual([e?.id]);
    expect(await q(`page=${encodeURIComponent("/docs/*")}`)).toEqual([b?.id]);
    // `_` in a prefix is a character, not LIKE's wildcard.
    expect(await q(`page=${encodeURIComponent("/docs_*")}`)).toEqual([d?.id]);
    expect(await q("device=mobile")).toEqual([b?.id]);
    expect(await q("device=tablet")).toEqual([d?.id]);
    expect(await q("country=FR")).toEqual([b?.id]);
    // Cloudflare's own codes (T1: Tor) are countries too.
    expect(await q("country=T1")).toEqual([]);
    expect(await q(`referrer=${encodeURIComponent("https://search.example/")}`)).toEqual([d?.id]);
    expect(await q(`referrer=${encodeURIComponent("https://news.example/*")}`)).toEqual([b?.id]);
    expect(await q("hasRageClicks=true")).toEqual([b?.id]);
    expect(await q("hasErrors=true")).toEqual([c?.id]);
    expect(await q("hasErrors=false&hasRageClicks=false&country=DE")).toEqual([a?.id, dd?.id, ee?.id]);
    expect(await q("page=/nowhere")).toEqual([]);

    // Other sorts, largest first, also paged.
    expect(await all(cookie, site.id, "?sort=duration", 2)).toEqual([b?.id, dd?.id, ee?.id, a?.id, c?.id]);
    const byActivity = await all(cookie, site.id, "?sort=activity", 1);
    expect(byActivity).toEqual([b?.id, dd?.id, ee?.id, a?.id, c?.id]);
    expect(await all(cookie, site.id, "?sort=duration&page=/pricing", 1)).toEqual([a?.id, c?.id]);
  });

  it("filters by a flag variant the session was served, and answers each item's variants", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Flagged");
    const now = Date.now();
    const [a, b, c] = await seedRecordings([
      { siteId: site.id, startedAt: now - 1 * HOUR },
      { siteId: site.id, startedAt: now - 2 * HOUR },
      { siteId: site.id, startedAt: now - 3 * HOUR },
    ]);
    // b saw checkout flip; c was recorded before the site had flags.
    const longest = `${"k".repeat(FLAG_LIMITS.maxKeyLength)}=${"v".repeat(FLAG_LIMITS.maxVariantNameLength)}`;
    await setFlags([
      [a, ["checkout=new", "banner=on"]],
      [b, ["checkout=old", "checkout=new", longest]],
    ]);

    const page = await list(cookie, site.id);
    expect(page.items.map((r) => [r.id, r.flags])).toEqual([
      [a?.id, ["checkout=new", "banner=on"]],
      [b?.id, ["checkout=old", "checkout=new", longest]],
      [c?.id, []],
    ]);
    const q = async (query: string) => (await list(cookie, site.id, `?${query}`)).items.map((r) => r.id);
    expect(await q("flag=checkout=new")).toEqual([a?.id, b?.id]);
    expect(await q(`flag=${encodeURIComponent("checkout=old")}`)).toEqual([b?.id]);
    expect(await q("flag=banner=off")).toEqual([]);
    expect(await q("flag=checkout=new&page=/nowhere")).toEqual([]);
    // A key and a variant at their longest are a variant; the list pages through a flag's sessions.
    expect(await q(`flag=${longest}`)).toEqual([b?.id]);
    expect(await all(cookie, site.id, "?flag=checkout=new", 1)).toEqual([a?.id, b?.id]);
  });

  it("matches a page prefix as the start of a page, whether the trigram index serves it or not", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Prefixed");
    const now = Date.now();
    const pages = [
      ["/docs/start", "/pricing"],
      // Holds "/docs/" but no page starts with it.
      ["/en/docs/start"],
      // `%` and `_` are characters; as LIKE's wildcards "/50%_off" would match the next one too.
      ["/50%_off/summer"],
      ["/50xyoff/x"],
      // LIKE is case-sensitive, trigrams are not.
      ["/Docs/Start"],
      // Joined, the index's text holds "/abc\ndef": no page starts with that.
      ["/abc", "def/x"],
      ["/a/b", "/back\\slash"],
      ["/-/x"],
    ];
    const seeded = await seedRecordings(
      pages.map((p, i) => ({ siteId: site.id, startedAt: now - (i + 1) * HOUR, pages: p })),
    );
    // From 3 letters or digits in a row the trigram index narrows; shorter ("/a", "/"), or
    // without any ("/-/"), each row is checked.
    for (const prefix of [
      "/docs/",
      "/docs",
      "/Docs",
      "/50%_off",
      "/50%",
      "/5",
      "/",
      "/a",
      "/-/",
      "/abc\ndef",
      "docs",
      "/back\\s",
    ]) {
      const expected = seeded.filter((_, i) => pages[i]?.some((p) => p.startsWith(prefix))).map((r) => r.id);
      const got = (await list(cookie, site.id, `?page=${encodeURIComponent(`${prefix}*`)}`)).items.map((r) => r.id);
      expect(got, prefix).toEqual(expected);
    }
  });

  it("refuses bad filters and cursors in the one error shape", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie);
    for (const query of [
      "?limit=0",
      "?limit=101",
      "?cursor=nope",
      "?sort=size",
      "?from=yesterday",
      `?from=${new Date().toISOString()}&to=${new Date(Date.now() - HOUR).toISOString()}`,
      "?minDurationMs=10&maxDurationMs=5",
      "?minDurationMs=-1",
      "?device=fridge",
      "?country=germany",
      "?hasErrors=yes",
      `?page=${"x".repeat(3000)}`,
      // A bare key ("any variant") is not a filter: every recording carries every public flag.
      "?flag=checkout",
      "?flag=checkout=",
      "?flag==new",
      "?flag=Checkout=new",
      "?flag=checkout=new=old",
      `?flag=${"k".repeat(FLAG_LIMITS.maxKeyLength + 1)}=on`,
      `?flag=checkout=${"v".repeat(FLAG_LIMITS.maxVariantNameLength + 1)}`,
      `?flag=${encodeURIComponent("checkout=new\u0000")}`,
    ]) {
      const res = await api(`/v1/sites/${site.id}/recordings${query}`, { cookie });
      expect(res.status, query).toBe(400);
      const body = (await expectMatchesDocument("GET", LIST, res)) as ErrorShape;
      expect(body.error.code).toBe("VALIDATION_FAILED");
    }
  });

  it("answers 404 for another account's site and an unknown site", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie);
    const [rec] = await seedRecordings([{ siteId: site.id, startedAt: Date.now() - HOUR, parts: ["[]"] }]);
    const other = await otherAccount();
    for (const path of [
      `/v1/sites/${site.id}/recordings`,
      `/v1/sites/${site.id}/recordings/${rec?.id}`,
      `/v1/sites/${site.id}/recordings/${rec?.id}/events`,
    ]) {
      const res = await api(path, { cookie: other.cookie });
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as ErrorShape).error.code).toBe("NOT_FOUND");
    }
    const del = await api(`/v1/sites/${site.id}/recordings/${rec?.id}`, { method: "DELETE", cookie: other.cookie });
    expect(del.status).toBe(404);
    expect(await keysUnder(rec?.prefix ?? "-")).toHaveLength(1);
    expect((await api("/v1/sites/site_missing/recordings", { cookie })).status).toBe(404);
    // A recording of another site of the same account is not found under this one.
    const second = await createSite(cookie, "Second");
    expect((await api(`/v1/sites/${second.id}/recordings/${rec?.id}`, { cookie })).status).toBe(404);
  });
});

describe("GET /v1/sites/{siteId}/recordings/{recordingId}", () => {
  it("reads the row", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie);
    const startedAt = Date.now() - 2 * HOUR;
    const [rec] = await seedRecordings([
      {
        siteId: site.id,
        startedAt,
        durationMs: 42_000,
        activeMs: 7_000,
        pages: ["/a", "/b"],
        clicks: 9,
        referrer: "https://r.example/",
        parts: ["[]"],
      },
    ]);
    await setFlags([[rec, ["checkout=new", "banner=on"]]]);
    const res = await api(`/v1/sites/${site.id}/recordings/${rec?.id}`, { cookie });
    expect(res.status).toBe(200);
    const body = await expectMatchesDocument("GET", "/v1/sites/{siteId}/recordings/{recordingId}", res);
    expect(body).toMatchObject({
      id: rec?.id,
      sessionId: rec?.sessionId,
      startedAt: new Date(startedAt).toISOString(),
      endedAt: new Date(startedAt + 42_000).toISOString(),
      durationMs: 42_000,
      activeMs: 7_000,
      pages: ["/a", "/b"],
      flags: ["checkout=new", "banner=on"],
      firstPage: "/a",
      clicks: 9,
      device: "desktop",
      country: "DE",
      referrer: "https://r.example/",
      chunks: 1,
    });
    expect(body).not.toHaveProperty("r2Prefix");
    const missing = await api(`/v1/sites/${site.id}/recordings/rec_missing`, { cookie });
    expect(missing.status).toBe(404);
  });
});

describe("GET /v1/sites/{siteId}/recordings/{recordingId}/events", () => {
  it("streams every part's events in key order as one JSON array", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie);
    const t = Date.now() - HOUR;
    const big = events(t + 10_000, 3_000); // a part larger than one decompressed chunk
    const [rec, empty, none] = await seedRecordings([
      {
        siteId: site.id,
        startedAt: t,
        parts: [
          JSON.stringify(events(t, 3)),
          "[]",
          ` \n[ ${JSON.stringify(events(t + 1000, 1)).slice(1, -1)} ]\n`,
          JSON.stringify(big),
          "[\n]",
        ],
      },
      { siteId: site.id, startedAt: t, parts: ["[]", "[ ]"] },
      { siteId: site.id, startedAt: t },
    ]);
    const res = await api(`/v1/sites/${site.id}/recordings/${rec?.id}/events`, { cookie });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const got = (await res.json()) as { timestamp: number }[];
    expect(got).toEqual([...events(t, 3), ...events(t + 1000, 1), ...big]);

    // A recording whose parts hold no event, and one with no part yet: an empty array.
    for (const r of [empty, none]) {
      const e = await api(`/v1/sites/${site.id}/recordings/${r?.id}/events`, { cookie });
      expect(e.status).toBe(200);
      expect(await e.text()).toBe("[]");
    }
  });

  it("keeps to the row's own prefix, and ends a corrupt part's stream rather than answer wrong JSON", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie);
    const t = Date.now() - HOUR;
    const [rec, neighbour] = await seedRecordings([
      { siteId: site.id, startedAt: t, parts: [JSON.stringify(events(t, 2))] },
      { siteId: site.id, startedAt: t, parts: [JSON.stringify(events(t, 5))] },
    ]);
    const res = await api(`/v1/sites/${site.id}/recordings/${rec?.id}/events`, { cookie });
    expect(((await res.json()) as unknown[]).length).toBe(2);

    await bucket().put(`${neighbour?.prefix}000001.json.gz`, await gzip('{"not":"an array"}'));
    const bad = await api(`/v1/sites/${site.id}/recordings/${neighbour?.id}/events`, { cookie });
    await expect(bad.text().then((text) => JSON.parse(text))).rejects.toThrow();
  });
});

describe("DELETE /v1/sites/{siteId}/recordings/{recordingId}", () => {
  it("erases the row and every object under its prefix, and needs the write scope", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie);
    const t = Date.now() - HOUR;
    const [rec, kept] = await seedRecordings([
      { siteId: site.id, startedAt: t, parts: ["[]", "[]", "[]"] },
      { siteId: site.id, startedAt: t, parts: ["[]"] },
    ]);
    const path = `/v1/sites/${site.id}/recordings/${rec?.id}`;
    const read = await createToken(cookie, ["read"]);
    const refused = await api(path, { method: "DELETE", token: read });
    expect(refused.status).toBe(403);
    expect(await keysUnder(rec?.prefix ?? "-")).toHaveLength(3);

    const write = await createToken(cookie, ["write"]);
    const res = await api(path, { method: "DELETE", token: write });
    expect(res.status).toBe(204);
    expect(await keysUnder(rec?.prefix ?? "-")).toEqual([]);
    // The edge was told to take nothing more of the session, and Postgres marks it erased,
    // so summaries still on their way write no row (workers/ingest/test/record.test.ts).
    const edge = env.EDGE as unknown as { recordingErased(site: string, session: string): Promise<boolean> };
    expect(await edge.recordingErased(site.id, rec?.sessionId ?? "-")).toBe(true);
    expect(await edge.recordingErased(site.id, kept?.sessionId ?? "-")).toBe(false);
    const { db: d, close } = db();
    try {
      const marks = await d.execute(sql`select session_id from erased_recordings where site_id = ${site.id}`);
      expect(marks.rows).toEqual([{ session_id: rec?.sessionId }]);
    } finally {
      await close();
    }
    expect((await api(path, { cookie })).status).toBe(404);
    expect((await api(path, { method: "DELETE", cookie })).status).toBe(404);
    // The other recording, in the same day's folder, is untouched.
    expect(await keysUnder(kept?.prefix ?? "-")).toHaveLength(1);
    expect((await api(`/v1/sites/${site.id}/recordings/${kept?.id}`, { cookie })).status).toBe(200);
  });
});

describe("the list's query plan", () => {
  type Options = Parameters<typeof recordingsData.listRecordings>[2];

  /** EXPLAIN takes no bind parameters: the test's own values, quoted. */
  function inline(text: string, params: unknown[]): string {
    return text.replace(/\$(\d+)/g, (_, n: string) => {
      const v = params[Number(n) - 1];
      return typeof v === "number" ? String(v) : `'${String(v).replaceAll("'", "''")}'`;
    });
  }

  /**
   * The plans Postgres makes for a site with 20,000 recordings, and the ids each query answers,
   * inserted and seen by ANALYZE inside one transaction that is rolled back, so the shared
   * table is left as it was. 4 rows visited /checkout/done (i = 5000, 10000...), 4 others
   * /en/checkout/done (i = 2500, 7500...).
   */
  async function plans(siteId: string, cases: Options[]): Promise<{ plan: string; ids: string[] }[]> {
    const { db: d, close } = db();
    const out: { plan: string; ids: string[] }[] = [];
    try {
      await d
        .transaction(async (tx) => {
          await tx.execute(sql`INSERT INTO recordings (id, site_id, session_id, started_at, ended_at, duration_ms,
              active_ms, first_page, pages, flags, rage_clicks, errors, device, country, r2_prefix)
            SELECT 'rec_plan_' || i, ${siteId}, gen_random_uuid()::text, now() - i * interval '2 minutes',
              now() - i * interval '2 minutes' + (i % 600) * interval '1 second', (i % 600) * 1000, (i % 300) * 1000,
              '/p' || (i % 50), ARRAY['/p' || (i % 50), '/docs/' || (i % 7)] || CASE i % 5000
                WHEN 0 THEN ARRAY['/checkout/done'] WHEN 2500 THEN ARRAY['/en/checkout/done'] ELSE '{}' END,
              ARRAY['everyone=on', CASE WHEN i % 1000 = 0 THEN 'checkout=new' ELSE 'checkout=old' END],
              (i % 20 = 0)::int, (i % 33 = 0)::int,
              (ARRAY['desktop','mobile','tablet'])[1 + i % 3], (ARRAY['DE','FR','US','GB'])[1 + i % 4], 'x/'
            FROM generate_series(1, 20000) i`);
          await tx.execute(sql`ANALYZE recordings`);
          for (const opts of cases) {
            const query = recordingsData.listRecordingsQuery(tx as never, siteId, opts).toSQL();
            const res = await tx.execute(sql.raw(`EXPLAIN ${inline(query.sql, query.params)}`));
            const rows = await recordingsData.listRecordingsQuery(tx as never, siteId, opts);
            out.push({
              plan: res.rows.map((r) => Object.values(r as object)[0]).join("\n"),
              ids: rows.map((r) => r.id),
            });
          }
          tx.rollback();
        })
        .catch((err: unknown) => {
          if (out.length < cases.length) throw err;
        });
    } finally {
      await close();
    }
    return out;
  }

  it("walks an index of migrations 0004, 0005, 0009 and 0010 for each sort and the indexed filters", async () => {
    const base = { limit: 26 };
    const cases: [Options, string | RegExp][] = [
      [{ ...base, sort: "start", filter: {} }, "Index Scan using recordings_site_id_started_at_id_index"],
      [
        { ...base, sort: "start", filter: {}, after: { value: Date.now() - 3_600_000, id: "rec_x" } },
        "Index Scan using recordings_site_id_started_at_id_index",
      ],
      // Equality filters on a value few rows have: their own indexes of 0005.
      [{ ...base, sort: "start", filter: { country: "JP" } }, "Index Scan using recordings_site_country_idx"],
      [{ ...base, sort: "start", filter: { device: "bot" } }, "Index Scan using recordings_site_device_idx"],
      [
        { ...base, sort: "start", filter: { referrer: { exact: "https://rare.example/" } } },
        "Index Scan using recordings_site_referrer_idx",
      ],
      [{ ...base, sort: "duration", filter: {} }, "Index Scan Backward using recordings_site_id_duration_ms_index"],
      [{ ...base, sort: "activity", filter: {} }, "Index Scan Backward using recordings_site_id_active_ms_index"],
      [{ ...base, sort: "start", filter: { hasErrors: true } }, "recordings_site_errors_idx"],
      [{ ...base, sort: "start", filter: { hasRageClicks: true } }, "recordings_site_rage_idx"],
      // The GIN index when the page is rare; walking the start index while it is common.
      [
        { ...base, sort: "start", filter: { page: { exact: "/pricing" } } },
        /recordings_pages_idx|recordings_site_id_started_at_id_index/,
      ],
      // A variant few sessions were served (1 in 1,000): the GIN index of 0009; one every session
      // was served: the start index, whose first rows match.
      [{ ...base, sort: "start", filter: { flag: "checkout=new" } }, "recordings_flags_idx"],
      [{ ...base, sort: "start", filter: { flag: "everyone=on" } }, "recordings_site_id_started_at_id_index"],
      // A page prefix few sessions visited: the trigram index of 0010, whatever the sort; one
      // every session visited: the sort's index, whose first rows match.
      [{ ...base, sort: "start", filter: { page: { prefix: "/checkout/" } } }, "recordings_pages_trgm_idx"],
      [{ ...base, sort: "duration", filter: { page: { prefix: "/checkout/" } } }, "recordings_pages_trgm_idx"],
      [{ ...base, sort: "start", filter: { page: { prefix: "/docs/" } } }, "recordings_site_id_started_at_id_index"],
    ];
    const got = await plans(
      `site_plan_${crypto.randomUUID().slice(0, 8)}`,
      cases.map(([o]) => o),
    );
    cases.forEach(([opts, index], i) => {
      expect(got[i]?.plan, JSON.stringify(opts)).toMatch(index);
      expect(got[i]?.plan, JSON.stringify(opts)).not.toContain("Seq Scan");
    });
  });

  it("answers a page prefix through the trigram index as the exact check does", async () => {
    const base = { limit: 26, sort: "start" } as const;
    const prefix = (p: string): Options => ({ ...base, filter: { page: { prefix: p } } });
    const [rare, underscore, percent, short, symbols, common] = await plans(
      `site_plan_${crypto.randomUUID().slice(0, 8)}`,
      // `_` and `%` are characters, not wildcards; "/c" and "/-/" give pg_trgm no trigram.
      [prefix("/checkout/"), prefix("/checkou_/"), prefix("/check%"), prefix("/c"), prefix("/-/"), prefix("/docs/1")],
    );
    expect(rare?.plan).toContain("recordings_pages_trgm_idx");
    // Newest first; /en/checkout/done holds the prefix but does not start with it.
    expect(rare?.ids).toEqual(["rec_plan_5000", "rec_plan_10000", "rec_plan_15000", "rec_plan_20000"]);
    expect(underscore?.plan).toContain("recordings_pages_trgm_idx");
    expect(underscore?.ids).toEqual([]);
    expect(percent?.ids).toEqual([]);
    // Without a trigram the index would be read whole: these walk the start index instead.
    for (const p of [short, symbols]) {
      expect(p?.plan).not.toContain("recordings_pages_text");
      expect(p?.plan).toContain("recordings_site_id_started_at_id_index");
    }
    expect(short?.ids).toEqual(rare?.ids);
    expect(symbols?.ids).toEqual([]);
    // /docs/1 is every seventh row's: the first 26 of them, newest first.
    expect(common?.plan).toContain("recordings_site_id_started_at_id_index");
    expect(common?.ids).toEqual(Array.from({ length: 26 }, (_, k) => `rec_plan_${1 + 7 * k}`));
  });
});
