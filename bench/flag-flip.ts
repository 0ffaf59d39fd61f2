/**
 * A flag flipped through the API, as its owner flips it (issue 13: "time from a flip in the API
 * to a changed evaluation at the local edge"). The whole local stack (`scripts/start.ts`, as
 * `pnpm start` runs it, on a scratch database): the owner is set up, a site and an on/off flag
 * are created through the API, then the flag's default is flipped `flips` times by
 * `PATCH /v1/sites/{siteId}/flags/{key}` while OFREP at the ingest worker is polled every
 * `POLL_MS`. Each flip is timed from the PATCH's start to the first changed answer: the PATCH
 * (Postgres transaction, audit row, EdgeAdmin.putFlags writing KV and clearing the cache of the
 * isolate it runs in) plus what the edge takes to answer from the new record.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { scratchDatabase, startStack } from "../test/system/stack.ts";
import type { SectionHooks } from "./lib/section.ts";

const POLL_MS = 5;
const FLIP_TIMEOUT_MS = 30_000;
const KEY = "bench-api-flip";

export interface ApiFlipResult {
  flips: number;
  pollMs: number;
  /** PATCH start to a changed OFREP answer, sorted. */
  ms: number[];
  p50Ms: number;
  maxMs: number;
  /** The PATCH's own round trip, median. */
  patchP50Ms: number;
}

export interface ApiFlipOptions extends SectionHooks {
  flips: number;
}

export async function benchApiFlip(opts: ApiFlipOptions): Promise<ApiFlipResult> {
  const scratch = await scratchDatabase("sl_bench_flip");
  const untrackDb = opts.track(() => scratch.drop());
  try {
    opts.log("flags: starting the local stack for the API flip");
    const stack = await startStack("bench-flag-flip", { databaseUrl: scratch.url });
    const untrackStack = opts.track(async () => void (await stack.stop()));
    try {
      return await flipThroughApi(opts, stack);
    } finally {
      untrackStack();
      await stack.stop();
    }
  } finally {
    untrackDb();
    await scratch.drop();
  }
}

async function flipThroughApi(
  opts: ApiFlipOptions,
  stack: Awaited<ReturnType<typeof startStack>>,
): Promise<ApiFlipResult> {
  const setupToken = stack.setupUrl ? new URL(stack.setupUrl).hash.replace(/^#token=/, "") : "";
  if (!setupToken) throw new Error("api flip: the stack printed no setup link");
  // The session cookie with the API's own Origin, as the dashboard sends it (the CSRF check).
  let cookie = "";
  const api = async (method: string, path: string, json?: unknown) => {
    const res = await fetch(`${stack.apiUrl}${path}`, {
      method,
      headers: {
        Origin: stack.apiUrl,
        ...(cookie ? { Cookie: cookie } : {}),
        ...(json === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    const set = res.headers.getSetCookie()[0];
    if (set) cookie = set.split(";")[0] as string;
    const body = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`api flip: ${method} ${path} answered ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  await api("POST", "/v1/setup", {
    setupToken,
    email: "bench@example.test",
    password: "correct horse battery staple",
  });
  const site = (await api("POST", "/v1/sites", { name: "Flip bench", origins: [stack.demoUrl] })) as {
    id: string;
    key: string;
  };
  await api("POST", `/v1/sites/${site.id}/flags`, {
    key: KEY,
    enabled: true,
    variants: { on: true, off: false },
    defaultVariant: "off",
    offVariant: "off",
  });
  const value = async (): Promise<unknown> => {
    const res = await fetch(`http://localhost:${stack.ingestPort}/ofrep/v1/evaluate/flags/${KEY}`, {
      method: "POST",
      headers: { "X-API-Key": site.key, "Content-Type": "application/json" },
      body: JSON.stringify({ context: { targetingKey: "bench-visitor" } }),
    });
    const body = (await res.json()) as { value?: unknown };
    return res.status === 200 ? body.value : undefined;
  };
  const until = async (want: boolean, t0: number) => {
    for (;;) {
      if ((await value()) === want) return performance.now() - t0;
      if (performance.now() - t0 > FLIP_TIMEOUT_MS)
        throw new Error(`api flip: not ${want} after ${FLIP_TIMEOUT_MS} ms`);
      await sleep(POLL_MS);
    }
  };
  // The creation published the flag: wait for it once, untimed.
  await until(false, performance.now());

  const ms: number[] = [];
  const patches: number[] = [];
  for (let i = 0; i < opts.flips; i++) {
    const on = i % 2 === 0;
    const t0 = performance.now();
    await api("PATCH", `/v1/sites/${site.id}/flags/${KEY}`, { defaultVariant: on ? "on" : "off" });
    patches.push(performance.now() - t0);
    ms.push(await until(on, t0));
  }
  ms.sort((a, b) => a - b);
  patches.sort((a, b) => a - b);
  const median = (xs: number[]) => xs[Math.floor(xs.length / 2)] as number;
  opts.log(
    `flags: ${opts.flips} flips through the API, p50 ${median(ms).toFixed(0)} ms, max ${ms.at(-1)?.toFixed(0)} ms`,
  );
  return {
    flips: opts.flips,
    pollMs: POLL_MS,
    ms: ms.map((x) => Math.round(x)),
    p50Ms: Math.round(median(ms)),
    maxMs: Math.round(ms.at(-1) as number),
    patchP50Ms: Math.round(median(patches)),
  };
}
