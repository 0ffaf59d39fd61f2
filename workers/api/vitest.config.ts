import { EDGE_STUB_WORKER } from "../../test/support/edge-stub.ts";
import { workersTestConfig } from "../../test/support/workers-vitest.ts";

export default workersTestConfig("./wrangler.toml", {
  bindings: { SETUP_TOKEN: "test-setup-token-0123456789abcdef" },
  workers: [EDGE_STUB_WORKER],
});
