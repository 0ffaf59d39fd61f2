/**
 * Recording uploads at the edge: `POST /v1/record` against the `edge` build (the production-
 * shaped limiters and a queue send that serialises and drops; the RecordingBuffer Durable
 * Object and R2 are Miniflare's), and the workerd CPU it took per KB accepted. Sessions get
 * their grant first (`POST /v1/record/grant`, not timed); then each sends its chunks in seq
 * order, 16 sessions at a time, as recorders do. A chunk is a gzipped JSON array of rrweb-shaped
 * events (incremental snapshots: mouse moves, scrolls, inputs and DOM mutations with text),
 * about 40 KB of JSON and 2 to 4 KB gzipped, like a busy 2-second chunk. Synthetic, so the
 * compression ratio is ours, not a real page's: the figure is per KB as uploaded.
 */
import { gzipSync } from "node:zlib";
import { newId, uuidv7 } from "@sightline/shared/ids";
import { LIMITS } from "@sightline/shared/limits";
import type { ChunkHeader } from "@sightline/shared/recording";
import { type SiteEdgeRecord, siteKvKey } from "@sightline/shared/site";
import { BENCH_ORIGIN, benchSiteKey } from "./lib/batch.ts";
import { startCpuWindow } from "./lib/cpu.ts";
import { type Instance, startIngest } from "./lib/miniflare.ts";
import type { SectionHooks } from "./lib/section.ts";

const CONCURRENT_SESSIONS = 16;
const SECRET = "bench-recording-grant-secret-0123456789";

export interface RecordResult {
  chunks: number;
  accepted: number;
  kbAccepted: number;
  /** workerd CPU per KB accepted (as uploaded, gzipped), µs. */
  cpuUsPerKb: number;
  cpuUsPerChunk: number;
  meanChunkBytes: number;
  /** Answers other than 202, by status (none expected). */
  refused: Record<string, number>;
}

export interface RecordOptions extends SectionHooks {
  /** The `edge` bundle. */
  scriptPath: string;
  port: number;
  sessions: number;
  chunksPerSession: number;
}

/** rrweb-shaped incremental events for one 2-second chunk starting at `t`. */
function chunkEvents(t: number, seq: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < 120; i++) {
    const ts = t + i * 16;
    switch (i % 4) {
      case 0:
        out.push({
          type: 3,
          timestamp: ts,
          data: { source: 1, positions: [{ x: 300 + i, y: 200 + seq, id: 12, timeOffset: -8 }] },
        });
        break;
      case 1:
        out.push({ type: 3, timestamp: ts, data: { source: 3, id: 1, x: 0, y: 40 * i } });
        break;
      case 2:
        out.push({
          type: 3,
          timestamp: ts,
          data: { source: 5, text: "*".repeat(i % 12), isChecked: false, id: 40 + (i % 7) },
        });
        break;
      default:
        out.push({
          type: 3,
          timestamp: ts,
          data: {
            source: 0,
            texts: [{ id: 100 + i, value: `Item ${seq}-${i}: widgets in stock, ships in ${i % 5} days` }],
            attributes: [{ id: 90 + (i % 9), attributes: { class: `card card-${i % 3} is-open` } }],
            removes: [],
            adds: [
              {
                parentId: 80,
                nextId: null,
                node: {
                  type: 2,
                  tagName: "li",
                  attributes: { class: "row", "data-i": String(i) },
                  childNodes: [],
                  id: 200 + i,
                },
              },
            ],
          },
        });
    }
  }
  return out;
}

function chunkBody(site: SiteEdgeRecord, sessionId: string, grant: string, seq: number, t: number): Uint8Array {
  const payload = gzipSync(JSON.stringify(chunkEvents(t, seq)));
  const header: ChunkHeader = {
    v: 1,
    siteKey: site.siteKey,
    sessionId,
    grant,
    seq,
    encoding: "gzip",
    summary: {
      firstTs: t,
      lastTs: t + 1_900,
      activeMs: 1_500,
      pages: ["/bench"],
      clicks: 1,
      rageClicks: 0,
      errors: 0,
      events: 120,
    },
  };
  const line = new TextEncoder().encode(`${JSON.stringify(header)}\n`);
  const body = new Uint8Array(line.length + payload.length);
  body.set(line, 0);
  body.set(payload, line.length);
  return body;
}

export async function benchRecord(opts: RecordOptions): Promise<RecordResult> {
  const site: SiteEdgeRecord = {
    siteId: newId("site"),
    siteKey: benchSiteKey("br"),
    origins: [BENCH_ORIGIN],
    shards: 1,
    respectDnt: true,
    hashRoutes: true,
    dailyEventQuota: 1_000_000,
    recordingSampleRate: 1,
    recordingDailyQuota: LIMITS.recording.maxDailyQuota,
    maskAllText: false,
    recordingConsent: "opt-out",
    heatmaps: false,
  };
  const inst: Instance = await startIngest({
    name: "record",
    port: opts.port,
    scriptPath: opts.scriptPath,
    consumer: false,
    bindings: { RECORDING_GRANT_SECRET: SECRET },
  });
  const untrack = opts.track(() => inst.dispose());
  try {
    const kv = await inst.mf.getKVNamespace("SITES");
    await kv.put(siteKvKey(site.siteKey), JSON.stringify(site));
    const headers = { Origin: BENCH_ORIGIN, "Content-Type": "text/plain" };

    // Grants and bodies first, so the timed window holds uploads only.
    const start = Date.now() - opts.chunksPerSession * 2_000;
    const sessions: { bodies: Uint8Array[] }[] = [];
    for (let s = 0; s < opts.sessions; s++) {
      const sessionId = uuidv7();
      const res = await fetch(`${inst.url}/v1/record/grant`, {
        method: "POST",
        headers,
        body: JSON.stringify({ siteKey: site.siteKey, sessionId }),
      });
      if (res.status !== 200) throw new Error(`record: grant answered ${res.status}: ${await res.text()}`);
      const { grant } = (await res.json()) as { grant: string };
      sessions.push({
        bodies: Array.from({ length: opts.chunksPerSession }, (_, seq) =>
          chunkBody(site, sessionId, grant, seq, start + seq * 2_000),
        ),
      });
    }

    let accepted = 0;
    let bytes = 0;
    const refused: Record<string, number> = {};
    let next = 0;
    const stop = startCpuWindow(inst.pids);
    await Promise.all(
      Array.from({ length: CONCURRENT_SESSIONS }, async () => {
        for (let s = next++; s < sessions.length; s = next++) {
          for (const body of sessions[s]?.bodies ?? []) {
            const res = await fetch(`${inst.url}/v1/record`, { method: "POST", headers, body });
            if (res.status === 202) {
              accepted++;
              bytes += body.byteLength;
            } else {
              refused[res.status] = (refused[res.status] ?? 0) + 1;
            }
            await res.arrayBuffer();
          }
        }
      }),
    );
    const cpu = stop();
    const chunks = opts.sessions * opts.chunksPerSession;
    opts.log(`record: ${accepted}/${chunks} chunks accepted, ${(bytes / 1024).toFixed(0)} KB`);
    return {
      chunks,
      accepted,
      kbAccepted: Math.round(bytes / 1024),
      cpuUsPerKb: Math.round((cpu.workerdUs / (bytes / 1024)) * 10) / 10,
      cpuUsPerChunk: Math.round(cpu.workerdUs / Math.max(1, accepted)),
      meanChunkBytes: Math.round(bytes / Math.max(1, accepted)),
      refused,
    };
  } finally {
    untrack();
    await inst.dispose();
  }
}
