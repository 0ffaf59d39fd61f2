/**
 * The pieces `pnpm start` is made of, each on its own: the Postgres bridge, migrations on a
 * real Postgres and on the embedded one, the site upsert, and the demo server.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { openDb } from "../../scripts/lib/db.ts";
import { snippetFor, startDemoServer } from "../../scripts/lib/demo-server.ts";
import { startEmbeddedPg } from "../../scripts/lib/embedded-pg.ts";
import {
  CLOSE_ADDRESS_REFUSED,
  type PgBridge,
  startPgBridge,
  targetFromConnectionString,
} from "../../scripts/lib/pg-bridge.ts";
import { upsertSiteRow } from "../../scripts/lib/sites.ts";
import { migrate } from "../../scripts/migrate.ts";
import { DATABASE_URL, uniqueSiteKey } from "./stack.ts";

function closeCode(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once("close", (code) => resolve(code));
    ws.once("error", reject);
  });
}

describe("pg bridge", () => {
  let bridge: PgBridge;
  beforeAll(async () => {
    bridge = await startPgBridge({ port: 0, target: targetFromConnectionString(DATABASE_URL) });
  });
  afterAll(() => bridge.close());

  it("carries the production driver to the configured Postgres", async () => {
    const { db, close } = openDb(DATABASE_URL, bridge.port);
    try {
      const result = await db.execute(sql`select 1 + 1 as two, current_database() as name`);
      expect(result.rows[0]).toEqual({ two: 2, name: new URL(DATABASE_URL).pathname.slice(1) });
    } finally {
      await close();
    }
  });

  it("refuses any other address: it is not an open proxy", async () => {
    const base = `ws://127.0.0.1:${bridge.port}`;
    expect(await closeCode(`${base}/v1?address=127.0.0.1:6379`)).toBe(CLOSE_ADDRESS_REFUSED);
    expect(await closeCode(`${base}/v1?address=example.com:5432`)).toBe(CLOSE_ADDRESS_REFUSED);
    expect(await closeCode(`${base}/v1`)).toBe(CLOSE_ADDRESS_REFUSED);
    const { host, port } = targetFromConnectionString(DATABASE_URL);
    expect(await closeCode(`${base}/other?address=${host}:${port}`)).toBe(CLOSE_ADDRESS_REFUSED);
  });

  it("listens on loopback only", () => {
    expect(bridge.proxy).toBe(`127.0.0.1:${bridge.port}`);
  });
});

describe("migrations on a real Postgres", () => {
  const scratch = `sl_sys_${Date.now().toString(36)}`;
  const scratchUrl = (() => {
    const u = new URL(DATABASE_URL);
    u.pathname = `/${scratch}`;
    return u.toString();
  })();
  let bridge: PgBridge;
  let admin: ReturnType<typeof openDb>;

  beforeAll(async () => {
    bridge = await startPgBridge({ port: 0, target: targetFromConnectionString(DATABASE_URL) });
    admin = openDb(DATABASE_URL, bridge.port);
    await admin.db.execute(sql.raw(`create database ${scratch}`));
  });
  afterAll(async () => {
    await admin.db.execute(sql.raw(`drop database if exists ${scratch} with (force)`));
    await admin.close();
    await bridge.close();
  });

  it("applies every migration, and again changes nothing", async () => {
    await migrate(scratchUrl, bridge.port);
    await migrate(scratchUrl, bridge.port);
    const { db, close } = openDb(scratchUrl, bridge.port);
    try {
      const tables = await db.execute(
        sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`,
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual([
        "accounts",
        "api_tokens",
        "auth_sessions",
        "dimension_stats_hourly",
        "flush_log",
        "page_stats_hourly",
        "site_stats_hourly",
        "sites",
      ]);
      const applied = await db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
      expect(applied.rows[0]?.n).toBeGreaterThan(0);

      const site = { siteKey: uniqueSiteKey("mig"), name: "x", origins: ["http://localhost:1"] };
      const first = await upsertSiteRow(db, site);
      const second = await upsertSiteRow(db, { ...site, origins: ["http://localhost:2"] });
      expect(second).toBe(first);
      const row = await db.execute(sql`select origins from sites where key = ${site.siteKey}`);
      expect(row.rows[0]?.origins).toEqual(["http://localhost:2"]);
    } finally {
      await close();
    }
  });
});

describe("embedded Postgres (PGlite)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "sightline-pglite-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("serves the wire protocol, takes the migrations and keeps data across restarts", async () => {
    const key = uniqueSiteKey("pgl");
    let pg = await startEmbeddedPg({ dataDir });
    let bridge = await startPgBridge({ port: 0, target: { host: pg.host, port: pg.port } });
    try {
      await migrate(pg.connectionString, bridge.port);
      const { db, close } = openDb(pg.connectionString, bridge.port);
      const id = await upsertSiteRow(db, { siteKey: key, name: "embedded", origins: [] });
      expect(id).toMatch(/^site_/);
      await close();
    } finally {
      await bridge.close();
      await pg.close();
    }

    pg = await startEmbeddedPg({ dataDir });
    bridge = await startPgBridge({ port: 0, target: { host: pg.host, port: pg.port } });
    try {
      const { db, close } = openDb(pg.connectionString, bridge.port);
      const rows = await db.execute(sql`select name from sites where key = ${key}`);
      await close();
      expect(rows.rows).toEqual([{ name: "embedded" }]);
    } finally {
      await bridge.close();
      await pg.close();
    }
  });
});

describe("demo server", () => {
  const snippet = snippetFor("http://localhost:8787", "demo_site_key_01");
  let base: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const demo = await startDemoServer({ port: 0, snippet });
    base = `http://127.0.0.1:${demo.port}`;
    close = demo.close;
  });
  afterAll(() => close());

  it("puts the snippet into every page", async () => {
    expect(snippet).toBe('<script async src="http://localhost:8787/s/demo_site_key_01.js"></script>');
    for (const path of ["/", "/pricing.html", "/docs.html"]) {
      const res = await fetch(base + path);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain(snippet);
      expect(html).not.toContain("SIGHTLINE_SNIPPET");
    }
  });

  it("answers client-side routes with the app shell", async () => {
    const res = await fetch(`${base}/app/settings`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("data-spa");
  });

  it("serves only its own files", async () => {
    for (const path of ["/../package.json", "/%2e%2e/package.json", "/nope.html", "/.env"]) {
      expect((await fetch(base + path)).status, path).toBe(404);
    }
    expect((await fetch(`${base}/`, { method: "POST" })).status).toBe(405);
  });
});
