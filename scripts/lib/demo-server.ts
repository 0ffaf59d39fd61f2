/**
 * The demo site: the files in demo/ over node:http, with the tracking snippet put into each
 * HTML page. Paths under /app/ get the home page, whose script renders the matching view,
 * as a single-page app's server would.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join } from "node:path";
import { DEMO_DIR } from "./paths.ts";

export interface DemoServerOptions {
  port: number;
  host?: string;
  /** The `<script>` tag that loads the tracker. */
  snippet: string;
  dir?: string;
}

export interface DemoServer {
  port: number;
  close(): Promise<void>;
}

const PLACEHOLDER = "<!-- SIGHTLINE_SNIPPET -->";
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

export function snippetFor(ingestOrigin: string, siteKey: string): string {
  return `<script async src="${ingestOrigin}/s/${encodeURIComponent(siteKey)}.js"></script>`;
}

export function startDemoServer(opts: DemoServerOptions): Promise<DemoServer> {
  const dir = opts.dir ?? DEMO_DIR;
  // Only files that exist at start, by exact name: no path from a request reaches the disk.
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    let body = readFileSync(join(dir, name));
    if (type.startsWith("text/html")) body = Buffer.from(body.toString("utf8").replace(PLACEHOLDER, opts.snippet));
    files.set(`/${name}`, { body, type });
  }

  const server = createServer((req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    const path = new URL(req.url ?? "/", "http://demo").pathname;
    const file = path === "/" || path.startsWith("/app/") ? files.get("/index.html") : files.get(path);
    if (!file) {
      res
        .writeHead(path === "/favicon.ico" ? 204 : 404, { "Content-Type": "text/plain" })
        .end(path === "/favicon.ico" ? undefined : "not found\n");
      return;
    }
    res.writeHead(200, {
      "Content-Type": file.type,
      "Content-Length": file.body.length,
      "Cache-Control": "no-store",
    });
    res.end(req.method === "HEAD" ? undefined : file.body);
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      const addr = server.address();
      resolve({
        port: typeof addr === "object" && addr ? addr.port : opts.port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
