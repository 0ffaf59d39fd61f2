export { nextFlushDelayMs, queueRetryDelaySeconds } from "./backoff.ts";
export { type Campaign, campaignOf } from "./campaign.ts";
export { countryOf } from "./country.ts";
export { dayOf, dayString, secondsToNextDay } from "./day.ts";
export type {
  DimensionHourDelta,
  FlushBatch,
  HeatDelta,
  PageHourDelta,
  RecordingDelta,
  SiteHourDelta,
  StatsSink,
} from "./delta.ts";
export { cutUserAgent, deviceClass } from "./device.ts";
export { hourOf } from "./hour.ts";
export { mergePages } from "./recording.ts";
export { batchReferrerValue, hostOf, referrerValue } from "./referrer.ts";
export { aggregatorName, parseAggregatorName } from "./shard.ts";
