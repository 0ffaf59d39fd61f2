/**
 * Applies migrations/ (drizzle-kit output) with drizzle's neon-serverless migrator, through
 * the same driver and WebSocket bridge the workers use. `pnpm db:migrate` migrates
 * DATABASE_URL, or the embedded PostgreSQL's database when it is unset; `pnpm start` reuses
 * `migrate()` with its own bridge.
 */
import { pathToFileURL } from "node:url";
import { migrate as drizzleMigrate } from "drizzle-orm/neon-serverless/migrator";
import { openDb } from "./lib/db.ts";
import { startEmbeddedPg } from "./lib/embedded-pg.ts";
import { describeError } from "./lib/errors.ts";
import { MIGRATIONS_DIR, POSTGRES_DIR } from "./lib/paths.ts";
import { startPgBridge, targetFromConnectionString } from "./lib/pg-bridge.ts";

/** Migrates the database at `connectionString` through a bridge already listening on `bridgePort`. */
export async function migrate(connectionString: string, bridgePort: number): Promise<void> {
  const { db, close } = openDb(connectionString, bridgePort);
  try {
    await drizzleMigrate(db, { migrationsFolder: MIGRATIONS_DIR });
  } finally {
    await close();
  }
}

async function main(): Promise<void> {
  const embedded = process.env.DATABASE_URL
    ? undefined
    : await startEmbeddedPg({ dataDir: POSTGRES_DIR, log: (line) => console.error(`postgres: ${line}`) });
  const connectionString = process.env.DATABASE_URL || (embedded?.connectionString as string);
  const bridge = await startPgBridge({
    port: 0,
    target: targetFromConnectionString(connectionString),
    log: (line) => console.error(`bridge: ${line}`),
  });
  try {
    console.log(`migrating ${embedded ? `embedded Postgres (${POSTGRES_DIR})` : redact(connectionString)}`);
    await migrate(connectionString, bridge.port);
    console.log("migrations applied");
  } finally {
    await bridge.close();
    await embedded?.close();
  }
}

/** The URL without its password, for logs. */
export function redact(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((err: unknown) => {
    console.error(`migration failed: ${describeError(err)}`);
    process.exit(1);
  });
}
