import { app } from "./app.ts";
import { consume } from "./queue/consume.ts";
import { park } from "./queue/dead-letters.ts";

/** The dead-letter queue's name (wrangler.toml); every other batch is the ingest queue's. */
const DEAD_LETTER_QUEUE = "sightline-ingest-dlq";

export { SiteAggregator } from "./aggregator/site-aggregator.ts";
export { EdgeAdmin } from "./edge-admin.ts";
export { RecordingBuffer } from "./recordings/recording-buffer.ts";
export { VisitorSalt } from "./visitors/visitor-salt.ts";

export default {
  fetch: app.fetch,
  queue: (batch, env, ctx) => (batch.queue === DEAD_LETTER_QUEUE ? park(batch, env) : consume(batch, env, ctx)),
} satisfies ExportedHandler<Env>;
