import { unitTestConfig } from "../../test/support/unit-vitest.ts";

export default unitTestConfig();
