/**
 * The vitest config of the unit tier (Node), one per package through its vitest.config.ts:
 * vitest's defaults plus the test clock (`TEST_NOW`, see clock.ts).
 */
import { defineConfig } from "vitest/config";

const clock = new URL("./clock.ts", import.meta.url).pathname;

export function unitTestConfig() {
  return defineConfig({ test: { setupFiles: [clock] } });
}
