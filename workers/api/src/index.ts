import { app } from "./app.ts";

export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
export { RateLimiterObject } from "./ratelimit/durable-object.ts";
