/**
 * Runs in Node before the workerd tests: a small Sentry stand-in that takes envelopes as
 * Sentry's ingest does (`POST /api/<project>/envelope/`, newline-delimited JSON: an envelope
 * header, then item header and payload pairs) and keeps their events, so tests see what the
 * workers really sent over HTTP through toucan-js. `GET /events` lists them, newest last.
 * The workers get `SENTRY_DSN` pointing here (workers-vitest.ts).
 */
import { createServer } from "node:http";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  interface ProvidedContext {
    sentryDsn: string;
  }
}

/** Envelopes beyond this are refused: a runaway test must not fill the memory. */
const MAX_EVENTS = 2_000;

export default async function setup(project: TestProject) {
  const events: unknown[] = [];
  const server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/events") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(events));
      return;
    }
    if (req.method !== "POST" || !/^\/api\/\d+\/envelope\/?/.test(req.url ?? "")) {
      res.writeHead(404).end();
      return;
    }
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => {
      const lines = body.split("\n").filter((l) => l.trim() !== "");
      // lines[0] is the envelope header; then item header, payload, item header, payload...
      for (let i = 1; i + 1 < lines.length; i += 2) {
        const header = JSON.parse(lines[i] as string) as { type?: string };
        if (header.type === "event" && events.length < MAX_EVENTS) events.push(JSON.parse(lines[i + 1] as string));
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  project.provide("sentryDsn", `http://public@127.0.0.1:${port}/1`);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
