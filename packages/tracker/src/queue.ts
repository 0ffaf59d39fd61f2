/**
 * The in-memory event queue: capped, flushed by a timer or at once when the page goes away,
 * with bounded retries. Nothing is persisted across pages.
 */
import type { TrackerConfig } from "@sightline/shared/site";
import type { WireEvent } from "@sightline/shared/wire";
import { type Batch, body, type Queued, toBatches } from "./batch.ts";
import type { Send } from "./transport.ts";

export interface QueueDeps {
  cfg: Pick<
    TrackerConfig,
    "siteKey" | "variants" | "flushIntervalMs" | "maxQueuedEvents" | "maxRetries" | "retryBaseMs"
  >;
  now: () => number;
  send: Send;
  later: (fn: () => void, ms: number) => void;
}

export function queue({ cfg, now, send, later }: QueueDeps) {
  let items: Queued[] = [];
  /** Failed batches waiting for their backoff to pass. */
  const waiting = new Set<Batch>();
  let timed = false;

  const attempt = async (b: Batch, unloading: boolean): Promise<void> => {
    // sentAt is set per attempt so the server's clock-skew correction stays right on retries.
    const outcome = await send(body(cfg, b, now()), unloading);
    if (outcome !== "retry" || b.n >= cfg.maxRetries) return;
    const delay = cfg.retryBaseMs * 2 ** b.n++;
    waiting.add(b);
    later(() => {
      if (waiting.delete(b)) void attempt(b, false);
    }, delay);
  };

  const flush = (unloading = false): Promise<void> => {
    const batches = toBatches(items, cfg, now());
    items = [];
    // The page may not come back, so retries still in backoff go now too.
    if (unloading) {
      batches.unshift(...waiting);
      waiting.clear();
    }
    return Promise.all(batches.map((b) => attempt(b, unloading))).then(() => {});
  };

  const track = (e: WireEvent, sessionId: string): void => {
    items.push({ s: sessionId, e });
    if (items.length > cfg.maxQueuedEvents) items.shift();
    if (!timed) {
      timed = true;
      later(() => {
        timed = false;
        void flush();
      }, cfg.flushIntervalMs);
    }
  };

  return { track, flush };
}
