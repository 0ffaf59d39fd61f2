import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: "../../wrangler.toml" },
      miniflare: {
        bindings: {
          ENVIRONMENT: "test",
          DATABASE_URL: inject<string>("databaseUrl"),
          PG_WS_PROXY: inject<string>("pgWsProxy"),
        },
      },
    })),
  ],
  test: {
    globalSetup: ["../../test/support/postgres-setup.ts"],
    include: ["test/**/*.test.ts"],
  },
});
