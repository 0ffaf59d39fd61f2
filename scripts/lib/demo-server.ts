/**
 * The demo site: the files in demo/ over node:http, with the tracking snippet put into each
 * HTML page. Paths under /app/ get the home page, whose script renders the matching view,
 * as a single-page app's server would. `?site=<siteKey>` on any page swaps in that site's
 * snippet and keeps the parameter on the page's links, so a site made in the dashboard can
 * be browsed here (its allowed origins must include this server's origin).
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
  /** The tag for another site, for `?site=<siteKey>`; without it the parameter is refused. */
  snippetForSite?: (siteKey: string) => string;
  dir?: string;
}

export interface DemoServer {
  port: number;
  close(): Promise<void>;
}

const PLACEHOLDER = "<!-- SIGHTLINE_SNIPPET -->";
/** The same rule the start script applies to site keys; anything else never reaches a page. */
export const SITE_PARAM = /^[A-Za-z0-9_-]{8,64}$/;
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

/** A page with another site's snippet, its same-site links carrying `?site=` along. */
export function withSite(html: string, snippet: string, siteKey: string): string {
  const query = `?site=${encodeURIComponent(siteKey)}`;
  return html
    .replace(PLACEHOLDER, snippet)
    .replace(
      /(<a\b[^>]*?\shref=")(\/[^"?#]*)(")/g,
      (_m, open: string, href: string, close: string) => `${open}${href}${query}${close}`,
    );
}

export function startDemoServer(opts: DemoServerOptions): Promise<DemoServer> {
  const dir = opts.dir ?? DEMO_DIR;
  // Only files that exist at start, by exact name: no path from a request reaches the disk.
  const files = new Map<string, { body: Buffer; type: string; html?: string }>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    let body = readFileSync(join(dir, name));
    let html: string | undefined;
    if (type.startsWith("text/html")) {
      html = body.toString("utf8");
      body = Buffer.from(html.replace(PLACEHOLDER, opts.snippet));
    }
    files.set(`/${name}`, { body, type, html });
  }

  const server = createServer((req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    const url = new URL(req.url ?? "/", "http://demo");
    const path = url.pathname;
    const file = path === "/" || path.startsWith("/app/") ? files.get("/index.html") : files.get(path);
    if (!file) {
      res
        .writeHead(path === "/favicon.ico" ? 204 : 404, { "Content-Type": "text/plain" })
        .end(path === "/favicon.ico" ? undefined : "not found\n");
      return;
    }
    let body = file.body;
    const site = url.searchParams.get("site");
    if (site !== null && file.html !== undefined) {
      if (!opts.snippetForSite || !SITE_PARAM.test(site)) {
        res.writeHead(400, { "Content-Type": "text/plain" }).end("site must be a site key (8-64 of A-Z a-z 0-9 _ -)\n");
        return;
      }
      body = Buffer.from(withSite(file.html, opts.snippetForSite(site), site));
    }
    res.writeHead(200, {
      "Content-Type": file.type,
      "Content-Length": body.length,
      "Cache-Control": "no-store",
    });
    res.end(req.method === "HEAD" ? undefined : body);
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
