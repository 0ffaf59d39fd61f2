import { workersTestConfig } from "../../test/support/workers-vitest.ts";

export default workersTestConfig("../../wrangler.toml");
