export { nextFlushDelayMs, queueRetryDelaySeconds } from "./backoff.ts";
export type { FlushBatch, PageHourDelta, StatsSink } from "./delta.ts";
export { hourOf } from "./hour.ts";
export { aggregatorName, parseAggregatorName } from "./shard.ts";
