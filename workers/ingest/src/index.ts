import { app } from "./app.ts";
import { consume } from "./queue/consume.ts";

export { SiteAggregator } from "./aggregator/site-aggregator.ts";
export { EdgeAdmin } from "./edge-admin.ts";
export { VisitorSalt } from "./visitors/visitor-salt.ts";

export default {
  fetch: app.fetch,
  queue: consume,
} satisfies ExportedHandler<Env>;
