/**
 * Errors reach Sentry for real: toucan-js posts envelopes over HTTP to the local sink that
 * test/support/sentry-sink.ts runs (SENTRY_DSN), from a route, the queue consumer and an
 * aggregator's alarm, with the request id and without secrets or personal data.
 */
import {
  createExecutionContext,
  createMessageBatch,
  env,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { uuidv7 } from "@sightline/shared/ids";
import { describe, expect, it, vi } from "vitest";
import type { SiteAggregator } from "../src/aggregator/site-aggregator.ts";
import worker from "../src/index.ts";
import { batchFor, ingestMessageFor, pageview } from "./helpers.ts";

interface SentryEvent {
  event_id: string;
  tags?: Record<string, string>;
  exception?: { values?: { value?: string }[] };
}

const SECRET_TOKEN = "sl_live_0123456789abcdefSECRET";
const CLIENT_IP = "203.0.113.77";

async function sentEvents(): Promise<SentryEvent[]> {
  const sink = new URL((env as { SENTRY_DSN?: string }).SENTRY_DSN ?? "");
  const res = await fetch(`http://${sink.host}/events`);
  return (await res.json()) as SentryEvent[];
}

/** Waits for an event whose exception message contains `marker`, and returns it raw and parsed. */
async function eventWith(marker: string): Promise<{ event: SentryEvent; raw: string }> {
  let found: SentryEvent | undefined;
  await vi.waitFor(
    async () => {
      found = (await sentEvents()).find((e) => e.exception?.values?.some((v) => v.value?.includes(marker)));
      expect(found).toBeDefined();
    },
    { timeout: 10_000, interval: 100 },
  );
  const event = found as SentryEvent;
  return { event, raw: JSON.stringify(event) };
}

function expectNothingPrivate(raw: string): void {
  expect(raw).not.toContain(SECRET_TOKEN);
  expect(raw).not.toContain(CLIENT_IP);
  expect(raw).not.toContain(env.DATABASE_URL);
  expect(raw).not.toContain("sl_session");
}

describe("Sentry", () => {
  it("receives an unexpected error of a route, with the request id and nothing private", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const marker = `kv broke ${uuidv7()}`;
    const broken = {
      ...env,
      SITES: {
        get: async () => {
          throw new Error(marker);
        },
      },
    } as unknown as Env;
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request("https://ingest.test/v1/collect", {
        method: "POST",
        body: JSON.stringify(batchFor("sentry_site_key", [pageview("/private/page?email=a@b.example")])),
        headers: {
          "Content-Type": "text/plain",
          Origin: "https://shop.example",
          Authorization: `Bearer ${SECRET_TOKEN}`,
          Cookie: `sl_session=${SECRET_TOKEN}`,
          "CF-Connecting-IP": CLIENT_IP,
        },
      }),
      broken,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    vi.restoreAllMocks();
    expect(res.status).toBe(500);
    const { event, raw } = await eventWith(marker);
    expect(event.tags?.requestId).toBe(res.headers.get("x-request-id"));
    expectNothingPrivate(raw);
    expect(raw).not.toContain("a@b.example");
  });

  it("receives an aggregator failure of the queue consumer, tagged with the aggregator", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const marker = `aggregator broke ${uuidv7()}`;
    const failing = {
      idFromName: (n: string) => n,
      get: () => ({
        ingest: async () => {
          throw new Error(marker);
        },
      }),
    };
    const message = ingestMessageFor(`site_${uuidv7()}`, [{ path: "/q" }]);
    const batch = createMessageBatch("sightline-ingest", [
      { id: "m-1", timestamp: new Date(), attempts: 1, body: message },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, { ...env, AGGREGATOR: failing } as unknown as Env, ctx);
    await waitOnExecutionContext(ctx);
    vi.restoreAllMocks();
    const { event, raw } = await eventWith(marker);
    expect(event.tags).toMatchObject({ queue: "sightline-ingest", aggregator: `${message.siteId}:0` });
    expect(raw).not.toContain(message.events[0]?.id as string);
  });

  it("receives a failed flush of an aggregator's alarm, tagged with the aggregator", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const siteId = `site_${uuidv7()}`;
    const name = `${siteId}:0`;
    const stub = env.AGGREGATOR.get(env.AGGREGATOR.idFromName(name));
    await stub.ingest(name, [ingestMessageFor(siteId, [{ path: "/alarm" }])]);
    const marker = `postgres broke ${uuidv7()}`;
    await runInDurableObject(stub, (instance: SiteAggregator) => {
      instance.sinkFactory = () => {
        throw new Error(marker);
      };
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    vi.restoreAllMocks();
    const { event, raw } = await eventWith(marker);
    expect(event.tags?.aggregator).toBe(name);
    expectNothingPrivate(raw);
  });
});
