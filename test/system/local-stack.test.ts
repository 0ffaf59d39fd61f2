/**
 * The pieces `pnpm start` is made of, each on its own: the Postgres bridge, migrations on a
 * real Postgres, the embedded PostgreSQL (restarts, concurrent connections, what a killed
 * run leaves behind), the site upsert, and the demo server.
 */
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { openDb } from "../../scripts/lib/db.ts";
import { snippetFor, startDemoServer } from "../../scripts/lib/demo-server.ts";
import { type EmbeddedPg, startEmbeddedPg } from "../../scripts/lib/embedded-pg.ts";
import {
  CLOSE_ADDRESS_REFUSED,
  type PgBridge,
  startPgBridge,
  targetFromConnectionString,
} from "../../scripts/lib/pg-bridge.ts";
import { upsertSiteRow } from "../../scripts/lib/sites.ts";
import { migrate } from "../../scripts/migrate.ts";
import { DATABASE_URL, isAlive, type ScratchDatabase, scratchDatabase, uniqueSiteKey } from "./stack.ts";

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
  let scratch: ScratchDatabase;

  beforeAll(async () => {
    scratch = await scratchDatabase("sl_sys");
  });
  afterAll(() => scratch.drop());

  it("applies every migration, and again changes nothing", async () => {
    await migrate(scratch.url, scratch.bridgePort);
    await migrate(scratch.url, scratch.bridgePort);
    const { db, close } = openDb(scratch.url, scratch.bridgePort);
    try {
      const tables = await db.execute(
        sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`,
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual([
        "accounts",
        "api_tokens",
        "auth_sessions",
        "deleted_sites",
        "dimension_stats_hourly",
        "erased_recordings",
        "flag_audit",
        "flags",
        "flush_log",
        "heatmap_cells",
        "heatmap_elements",
        "page_stats_hourly",
        "quota_days",
        "recordings",
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

describe("embedded PostgreSQL", () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), "sightline-postgres-")), "postgres");
  // mkdtemp makes it 0700; as root the server runs as the user postgres, who must get through.
  chmodSync(dirname(dataDir), 0o755);
  afterAll(() => rmSync(dirname(dataDir), { recursive: true, force: true }));

  async function withEmbedded(fn: (pg: EmbeddedPg, bridge: PgBridge) => Promise<void>): Promise<void> {
    const pg = await startEmbeddedPg({ dataDir });
    const bridge = await startPgBridge({ port: 0, target: { host: pg.host, port: pg.port } });
    try {
      await fn(pg, bridge);
    } finally {
      await bridge.close();
      await pg.close();
    }
  }

  it("takes the migrations, serves many connections at once and keeps data across restarts", async () => {
    const key = uniqueSiteKey("emb");
    let firstPid = 0;
    await withEmbedded(async (pg, bridge) => {
      expect(pg.host).toBe("127.0.0.1");
      expect(pg.port).toBeGreaterThan(0);
      firstPid = postmasterPid(dataDir);
      expect(isAlive(firstPid)).toBe(true);
      await migrate(pg.connectionString, bridge.port);
      const { db, close } = openDb(pg.connectionString, bridge.port);
      try {
        const id = await upsertSiteRow(db, { siteKey: key, name: "embedded", origins: [] });
        expect(id).toMatch(/^site_/);
        const version = await db.execute(sql`select current_setting('server_version_num')::int as v`);
        expect(version.rows[0]?.v).toBeGreaterThanOrEqual(180_000);
      } finally {
        await close();
      }

      // Ten connections through the bridge, each held open by pg_sleep while the others run:
      // the server must have them all open at once, as the workers' flushes and reads do.
      const clients = Array.from({ length: 10 }, () => openDb(pg.connectionString, bridge.port));
      try {
        const rows = await Promise.all(
          clients.map(async ({ db }, i) => {
            const r = await db.execute(sql`select pg_backend_pid() as pid, ${i}::int as i from pg_sleep(0.5)`);
            return r.rows[0] as { pid: number; i: number };
          }),
        );
        expect(rows.map((r) => r.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(new Set(rows.map((r) => r.pid)).size).toBe(10);
      } finally {
        await Promise.all(clients.map((c) => c.close()));
      }
    });
    // close() stopped the server and left no lock behind.
    expect(isAlive(firstPid)).toBe(false);
    expect(existsSync(join(dataDir, "postmaster.pid"))).toBe(false);

    await withEmbedded(async (pg, bridge) => {
      const { db, close } = openDb(pg.connectionString, bridge.port);
      try {
        const rows = await db.execute(sql`select name from sites where key = ${key}`);
        expect(rows.rows).toEqual([{ name: "embedded" }]);
      } finally {
        await close();
      }
    });
  });

  it("starts over a postmaster.pid left by a killed run", async () => {
    // A postmaster killed outright leaves its pid file. When that pid has since gone to another
    // live process of the server's user, Postgres refuses to start on its own. As root the
    // server runs as the user postgres, so the stand-in runs as that user too.
    await withEmbedded(async () => {});
    const asRoot = process.getuid?.() === 0;
    const standIn = spawn("sleep", ["60"], {
      stdio: "ignore",
      ...(asRoot ? { uid: Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" })) } : {}),
    });
    try {
      const pid = standIn.pid ?? 0;
      expect(isAlive(pid)).toBe(true);
      writeFileSync(join(dataDir, "postmaster.pid"), `${pid}\n${dataDir}\n`);
      await withEmbedded(async (pg, bridge) => {
        const { db, close } = openDb(pg.connectionString, bridge.port);
        try {
          expect((await db.execute(sql`select 1 as one`)).rows).toEqual([{ one: 1 }]);
        } finally {
          await close();
        }
      });
      expect(isAlive(pid), "the stand-in is not Postgres and must be left alone").toBe(true);
    } finally {
      standIn.kill();
    }
  });

  it("stops a postmaster that a killed run left serving the directory", async () => {
    const orphan = await startEmbeddedPg({ dataDir });
    const pid = postmasterPid(dataDir);
    // What a SIGKILLed `pnpm start` leaves: the server running, its lock file naming a dead process.
    writeFileSync(`${dataDir}.pid`, "999999");
    expect(isAlive(999_999)).toBe(false);
    await withEmbedded(async (pg, bridge) => {
      expect(isAlive(pid)).toBe(false);
      const { db, close } = openDb(pg.connectionString, bridge.port);
      try {
        expect((await db.execute(sql`select 1 as one`)).rows).toEqual([{ one: 1 }]);
      } finally {
        await close();
      }
    });
    await orphan.close();
  });

  it("refuses a directory another live process is serving", async () => {
    await withEmbedded(async () => {
      writeFileSync(`${dataDir}.pid`, String(process.ppid));
      await expect(startEmbeddedPg({ dataDir })).rejects.toThrow(/in use by process/);
    });
  });
});

/** The postmaster's pid, from the first line of its pid file; 0 without one. */
function postmasterPid(dataDir: string): number {
  try {
    return Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]) || 0;
  } catch {
    return 0;
  }
}

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
