/**
 * The reliability tier (`pnpm test:reliability`, not part of `pnpm test`): the local stack as
 * `pnpm start` runs it, on a PostgreSQL of the test's own that the test stops and starts,
 * under steady load. Minutes long: RELIABILITY_OUTAGE_S (default 300) is the outage.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// As in the system tier: the stack's workerd runs on the real clock.
delete process.env.TEST_NOW;

export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["test/reliability/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
    // Each scenario sets its own timeout from the outage length.
    testTimeout: 600_000,
    hookTimeout: 300_000,
    teardownTimeout: 60_000,
  },
});
