/**
 * Steady collect load for the reliability tier: batches sent at a fixed rate whatever the
 * answer time, each with unique event ids and a session of its own, from rotating client
 * addresses (as many visitors send, and under the per-client limit), kept so a test can say
 * which were accepted and send any of them again.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { uuidv7 } from "@sightline/shared/ids";
import type { CollectBatch } from "@sightline/shared/wire";
import { DESKTOP_UA } from "../system/browser.ts";

export interface SentBatch {
  seq: number;
  batch: CollectBatch;
  address: string;
  /** HTTP status, or the fetch error's message when no answer came. */
  status: number | string;
  /** Events the ingest worker accepted (its 202 body). */
  accepted: number;
  sentAt: number;
}

export interface LoadOptions {
  ingestUrl: string;
  /** The demo site's origin, which its record allows. */
  origin: string;
  siteKey: string;
  batchesPerSecond: number;
  eventsPerBatch: number;
  /** The page of event `i` of batch `seq`, below the origin. */
  pathOf(seq: number, i: number): string;
}

/** Past this many requests without an answer, a tick is skipped (and counted) rather than queued. */
const MAX_IN_FLIGHT = 100;

export function clientAddress(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

export async function sendBatch(
  ingestUrl: string,
  origin: string,
  batch: CollectBatch,
  address: string,
): Promise<{ status: number | string; accepted: number; body: string }> {
  try {
    const res = await fetch(`${ingestUrl}/v1/collect`, {
      method: "POST",
      headers: {
        "Content-Type": "text/plain;charset=UTF-8",
        Origin: origin,
        // Node's own User-Agent reads as a bot, which counts only in the device row.
        "User-Agent": DESKTOP_UA,
        "CF-Connecting-IP": address,
      },
      body: JSON.stringify(batch),
    });
    const body = await res.text();
    const accepted = res.status === 202 ? (JSON.parse(body) as { accepted: number }).accepted : 0;
    return { status: res.status, accepted, body };
  } catch (err) {
    return { status: (err as Error).message, accepted: 0, body: "" };
  }
}

export class Load {
  readonly sent: SentBatch[] = [];
  skipped = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private seq = 0;
  startedAt = 0;
  stoppedAt = 0;

  constructor(private readonly opts: LoadOptions) {}

  get acceptedEvents(): number {
    return this.sent.reduce((n, b) => n + b.accepted, 0);
  }

  get acceptedBatches(): SentBatch[] {
    return this.sent.filter((b) => b.status === 202);
  }

  /** Answers other than 202, as "status body", for the test's message. */
  get refusals(): string[] {
    return this.sent.filter((b) => b.status !== 202).map((b) => `#${b.seq}: ${b.status}`);
  }

  makeBatch(seq: number, now = Date.now()): CollectBatch {
    const { eventsPerBatch: n, siteKey, origin } = this.opts;
    return {
      v: 1,
      siteKey,
      sessionId: uuidv7(now),
      sentAt: now,
      events: Array.from({ length: n }, (_, i) => {
        const ts = now - (n - i) * 20;
        return { type: "pageview" as const, id: uuidv7(ts), ts, url: `${origin}${this.opts.pathOf(seq, i)}` };
      }),
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.startedAt = Date.now();
    const interval = 1_000 / this.opts.batchesPerSecond;
    this.loop = (async () => {
      for (let tick = 0; this.running; tick++) {
        if (this.inFlight.size >= MAX_IN_FLIGHT) this.skipped++;
        else this.fire();
        const next = this.startedAt + (tick + 1) * interval;
        await sleep(Math.max(0, next - Date.now()));
      }
    })();
  }

  /** Stops sending and waits for the answers still due. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.stoppedAt = Date.now();
    await Promise.all(this.inFlight);
  }

  /** Batches sent per second while it ran. */
  get rate(): number {
    const end = this.stoppedAt || Date.now();
    return this.sent.length / Math.max(0.001, (end - this.startedAt) / 1_000);
  }

  private fire(): void {
    const seq = this.seq++;
    const sentAt = Date.now();
    const batch = this.makeBatch(seq, sentAt);
    const address = clientAddress(seq);
    const p = sendBatch(this.opts.ingestUrl, this.opts.origin, batch, address).then(({ status, accepted }) => {
      this.sent.push({ seq, batch, address, status, accepted, sentAt });
      this.inFlight.delete(p);
    });
    this.inFlight.add(p);
  }
}

/**
 * Bytes on disk of the SiteAggregator Durable Objects in wrangler's local state (their SQLite
 * databases with any -wal and -shm files), under `<stateDir>/ingest`; `walBytes` is the
 * write-ahead logs' share, which SQLite empties at each checkpoint.
 */
export function aggregatorStorage(stateDir: string): { bytes: number; walBytes: number; files: number } {
  const root = join(stateDir, "ingest");
  let bytes = 0;
  let walBytes = 0;
  let files = 0;
  for (const rel of readdirSync(root, { recursive: true, encoding: "utf8" })) {
    if (!rel.includes("SiteAggregator")) continue;
    const st = statSync(join(root, rel), { throwIfNoEntry: false });
    if (!st?.isFile()) continue;
    bytes += st.size;
    if (rel.endsWith("-wal")) walBytes += st.size;
    files++;
  }
  return { bytes, walBytes, files };
}
