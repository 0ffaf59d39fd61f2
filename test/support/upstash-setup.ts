/**
 * Runs in Node before the workerd tests: the local Upstash REST server (scripts/lib/upstash-rest.ts)
 * in front of a real Redis (REDIS_URL, else 127.0.0.1:6379), with a token and a key prefix of
 * this run's own; the keys are removed afterwards. Without a reachable Redis, CI fails here
 * and elsewhere the Upstash tests are skipped (`upstashUrl` is empty).
 */
import { randomBytes, randomUUID } from "node:crypto";
import Redis from "ioredis";
import type { TestProject } from "vitest/node";
import { startUpstashRest } from "../../scripts/lib/upstash-rest.ts";
import { reachable } from "./net.ts";

declare module "vitest" {
  interface ProvidedContext {
    upstashUrl: string;
    upstashToken: string;
    /** Every Redis key a test writes starts with this. */
    upstashPrefix: string;
  }
}

export default async function setup(project: TestProject) {
  const redisUrl = process.env.REDIS_URL || "redis://127.0.0.1:6379";
  const prefix = `sightline-test:${randomUUID()}`;
  project.provide("upstashPrefix", prefix);
  if (!(await reachable(new URL(redisUrl).hostname, Number(new URL(redisUrl).port || 6379)))) {
    if (process.env.CI) throw new Error(`Redis is not reachable at ${redisUrl}; the rate limit tests need it.`);
    console.warn(`Redis is not reachable at ${redisUrl}: the Upstash rate limiter tests are skipped.`);
    project.provide("upstashUrl", "");
    project.provide("upstashToken", "");
    return;
  }
  const server = await startUpstashRest({ port: 0, redisUrl, token: randomBytes(24).toString("base64url") });
  project.provide("upstashUrl", server.url);
  project.provide("upstashToken", server.token);
  return async () => {
    await server.close();
    const redis = new Redis(redisUrl);
    try {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.unlink(...keys);
    } finally {
      redis.disconnect();
    }
  };
}
