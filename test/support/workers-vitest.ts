/**
 * The one vitest config for workers tested inside workerd: the worker's own wrangler config,
 * test vars, and a real Postgres reached through the local WebSocket bridge.
 */
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

const setup = new URL("./postgres-setup.ts", import.meta.url).pathname;

export function workersTestConfig(wranglerConfigPath: string) {
  return defineConfig({
    plugins: [
      cloudflareTest(({ inject }) => ({
        wrangler: { configPath: wranglerConfigPath },
        miniflare: {
          bindings: {
            ENVIRONMENT: "test",
            DATABASE_URL: inject<string>("databaseUrl"),
            PG_WS_PROXY: inject<string>("pgWsProxy"),
          },
        },
      })),
    ],
    // Logs are printed for failing tests only; the suite shares two cores with workerd.
    test: { globalSetup: [setup], include: ["test/**/*.test.ts"], testTimeout: 30_000, silent: "passed-only" },
  });
}
