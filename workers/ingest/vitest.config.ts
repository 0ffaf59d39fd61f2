import { workersTestConfig } from "../../test/support/workers-vitest.ts";

export default workersTestConfig("../../wrangler.toml", {
  // A test-only secret: grants signed in the tests are worthless anywhere else.
  bindings: { RECORDING_GRANT_SECRET: "test-recording-grant-secret-0123456789abcdef" },
});
