/**
 * `pnpm dead-letters [status|replay]`: the operator's command for parked dead letters, through
 * the admin API (so it works against a deployment as well as the local stack):
 *   status  GET  /v1/health/pipeline              what waits, per site and in R2
 *   replay  POST /v1/admin/dead-letters/replay    until nothing is parked (or it stops moving)
 * SIGHTLINE_API_URL (default http://localhost:8788) and SIGHTLINE_TOKEN (an API token with the
 * admin scope, made with `POST /v1/tokens`).
 */
import type { DeadLetterReplay } from "@sightline/shared/site";

const API = (process.env.SIGHTLINE_API_URL || "http://localhost:8788").replace(/\/$/, "");
const TOKEN = process.env.SIGHTLINE_TOKEN ?? "";
/** Replay calls in one run: 50 batches each, so 500 batches of up to 100 messages. */
const MAX_CALLS = 10;

async function call<T>(method: "GET" | "POST", path: string): Promise<T> {
  const res = await fetch(`${API}${path}`, { method, headers: { Authorization: `Bearer ${TOKEN}` } });
  const body = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${body.slice(0, 500)}`);
  return JSON.parse(body) as T;
}

async function main(): Promise<number> {
  const command = process.argv[2] ?? "status";
  if (!TOKEN) {
    console.error("Set SIGHTLINE_TOKEN to an API token with the admin scope.");
    return 2;
  }
  if (command === "status") {
    console.log(JSON.stringify(await call("GET", "/v1/health/pipeline"), null, 2));
    return 0;
  }
  if (command !== "replay") {
    console.error("usage: pnpm dead-letters [status|replay]");
    return 2;
  }
  const total = { objects: 0, replayed: 0, unreadable: 0 };
  for (let i = 0; i < MAX_CALLS; i++) {
    const r = await call<DeadLetterReplay>("POST", "/v1/admin/dead-letters/replay");
    total.objects += r.objects;
    total.replayed += r.replayed;
    total.unreadable += r.unreadable;
    if (!r.more || r.objects === 0) {
      console.log(
        `replayed ${total.replayed} messages from ${total.objects} parked batches; ${total.unreadable} unreadable kept`,
      );
      return 0;
    }
  }
  console.log(`replayed ${total.replayed} messages from ${total.objects} batches; more remain: run it again`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
