/**
 * Visitor hashes at the edge: stable for one client on one day, different across sites,
 * addresses and days, synchronous once the isolate has the day's salt, and a User-Agent cut
 * at LIMITS.isolate.maxUserAgentChars before it is hashed or remembered.
 */
import { env } from "cloudflare:test";
import { LIMITS } from "@sightline/shared/limits";
import { describe, expect, it } from "vitest";
import { visitorOf } from "../src/visitors/visitor.ts";

const UA =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const DAY = 86_400_000;

describe("visitorOf", () => {
  it("gives one visitor per site, address and User-Agent, answering at once once the salt is known", async () => {
    const now = Date.now();
    const first = await visitorOf(env.VISITOR_SALT, now, "site_a", "203.0.113.7", UA);
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    // The salt is now known in this isolate: no promise for the next request.
    const again = visitorOf(env.VISITOR_SALT, now, "site_a", "203.0.113.7", UA);
    expect(again).toBe(first);
    expect(visitorOf(env.VISITOR_SALT, now, "site_b", "203.0.113.7", UA)).not.toBe(first);
    expect(visitorOf(env.VISITOR_SALT, now, "site_a", "203.0.113.8", UA)).not.toBe(first);
    expect(visitorOf(env.VISITOR_SALT, now, "site_a", "203.0.113.7", `${UA} Edg/131`)).not.toBe(first);
    // The next day has its own salt, so the same client is a new visitor.
    expect(await visitorOf(env.VISITOR_SALT, now + DAY, "site_a", "203.0.113.7", UA)).not.toBe(first);
  });

  it("hashes only the first maxUserAgentChars of a User-Agent", async () => {
    const now = Date.now();
    const long = UA.padEnd(LIMITS.isolate.maxUserAgentChars, "x");
    const a = await visitorOf(env.VISITOR_SALT, now, "site_a", "203.0.113.7", `${long}A`);
    const b = await visitorOf(env.VISITOR_SALT, now, "site_a", "203.0.113.7", `${long}B`.repeat(20));
    expect(a).toBe(b);
    expect(await visitorOf(env.VISITOR_SALT, now, "site_a", "203.0.113.7", long.slice(0, -1))).not.toBe(a);
  });
});
