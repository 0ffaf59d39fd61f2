/**
 * The one vitest config for workers tested inside workerd: the worker's own wrangler config,
 * test vars, a real Postgres reached through the local WebSocket bridge, and a local Sentry
 * envelope sink. `TEST_NOW` (an ISO
 * instant) is passed into the isolate, where `clock.ts` shifts the clock of the tests and of the
 * worker under test alike.
 */
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

const setup = new URL("./postgres-setup.ts", import.meta.url).pathname;
const upstashSetup = new URL("./upstash-setup.ts", import.meta.url).pathname;
const sentrySink = new URL("./sentry-sink.ts", import.meta.url).pathname;
const clock = new URL("./clock.ts", import.meta.url).pathname;

export interface WorkersTestOptions {
  /** Extra bindings (test-only secrets) on top of the wrangler config's vars. */
  bindings?: Record<string, string>;
  /** Other workers the one under test binds to, e.g. a stand-in for a service binding. */
  workers?: Record<string, unknown>[];
}

export function workersTestConfig(wranglerConfigPath: string, opts: WorkersTestOptions = {}) {
  return defineConfig({
    plugins: [
      cloudflareTest(({ inject }) => ({
        wrangler: { configPath: wranglerConfigPath },
        miniflare: {
          bindings: {
            ENVIRONMENT: "test",
            DATABASE_URL: inject<string>("databaseUrl"),
            PG_WS_PROXY: inject<string>("pgWsProxy"),
            // Errors go to a local envelope sink (sentry-sink.ts), over real HTTP.
            SENTRY_DSN: inject<string>("sentryDsn"),
            // Read by clock.ts through process.env (nodejs_compat); empty means the real clock.
            TEST_NOW: process.env.TEST_NOW ?? "",
            // The property tests' seed (test/support/property.ts); empty means their default.
            FC_SEED: process.env.FC_SEED ?? "",
            ...opts.bindings,
          },
          // Miniflare worker options; their full type is not exported by the pool.
          ...(opts.workers ? { workers: opts.workers as never } : {}),
        },
      })),
    ],
    // Logs are printed for failing tests only; the suite shares two cores with workerd.
    test: {
      globalSetup: [setup, upstashSetup, sentrySink],
      setupFiles: [clock],
      include: ["test/**/*.test.ts"],
      testTimeout: 30_000,
      silent: "passed-only",
      // A log line of background work (a waitUntil closing a Postgres pool) that arrives while
      // vitest tears a file's worker down is reported as an unhandled error though every test
      // passed. Only that one is let through; any other unhandled error still fails the run.
      onUnhandledError: (err) =>
        !(err.name === "EnvironmentTeardownError" && err.message.includes('"onUserConsoleLog" was pending')),
    },
  });
}
