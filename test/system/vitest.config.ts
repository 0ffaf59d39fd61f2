/**
 * The system tier: the whole stack started as a user starts it (`scripts/start.ts`), real
 * Postgres, real Chromium. One fork, files one after another: each file owns whole services.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The real clock: the stack's workerd runs the product, which carries no test clock, and
// faketime deadlocks workerd; so TEST_NOW (honoured by the unit and workers tiers) stops here.
delete process.env.TEST_NOW;

export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["test/system/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 120_000,
    // Starting the stack builds the tracker and boots two workerd instances.
    hookTimeout: 300_000,
    teardownTimeout: 60_000,
  },
});
