import { describe, expect, it, vi } from "vitest";
import { createApi, type DeadLetterReplay, type PipelineHealth } from "./index.ts";

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

const HEALTH: PipelineHealth = {
  database: "up",
  sites: [
    {
      id: "site_1",
      key: "key_1",
      name: "Demo",
      status: "ok",
      shards: [
        {
          lastFlushAt: "2026-12-05T10:00:00.000Z",
          failures: 0,
          nextFlushAt: null,
          pendingRows: 0,
          pendingPageviews: 0,
          inFlight: false,
        },
      ],
    },
  ],
  nextCursor: "site_1",
  deadLetters: { objects: 2, messages: 7, more: false },
};

describe("pipeline calls", () => {
  it("reads the pipeline's health a page at a time", async () => {
    const f = vi.fn<typeof fetch>(async () => json(200, HEALTH));
    const api = createApi({ fetch: f });
    const { data } = await api.pipelineHealth({ limit: 50, cursor: "site_0" });
    expect(data).toEqual(HEALTH);
    const [url, init] = f.mock.calls[0] ?? [];
    expect(url).toBe("/v1/health/pipeline?limit=50&cursor=site_0");
    expect(init?.method).toBe("GET");
    expect(init?.credentials).toBe("same-origin");

    await api.pipelineHealth();
    expect(f.mock.calls[1]?.[0]).toBe("/v1/health/pipeline");
  });

  it("replays dead letters with a POST and returns what one call did", async () => {
    const replay: DeadLetterReplay = { objects: 50, replayed: 812, unreadable: 1, more: true };
    const f = vi.fn<typeof fetch>(async () => json(200, replay));
    const { data } = await createApi({ fetch: f }).replayDeadLetters();
    expect(data).toEqual(replay);
    const [url, init] = f.mock.calls[0] ?? [];
    expect(url).toBe("/v1/admin/dead-letters/replay");
    expect(init?.method).toBe("POST");
    expect(init?.body).toBeUndefined();
  });

  it("turns a missing scope into the API's sentence", async () => {
    const f = vi.fn<typeof fetch>(async () =>
      json(403, { error: { code: "FORBIDDEN", message: "This token lacks the admin scope.", requestId: "r" } }),
    );
    const onUnauthenticated = vi.fn();
    const err = await createApi({ fetch: f, onUnauthenticated })
      .replayDeadLetters()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 403, code: "FORBIDDEN", message: "This token lacks the admin scope." });
    expect(onUnauthenticated).not.toHaveBeenCalled();
  });
});
