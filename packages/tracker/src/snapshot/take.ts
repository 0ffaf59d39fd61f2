/**
 * The snapshot chunk: takes the page's DOM as rrweb-snapshot serialises it, masked as
 * recordings are, with stylesheets inlined where the browser allows, once the page has loaded
 * and settled, and uploads it gzipped to `/v1/snapshot` under the edge's grant.
 */
import { snapshot } from "rrweb-snapshot";
import { pageKey } from "../heatmap/page.ts";
import type { SnapshotJob } from "../interactions/start.ts";
import { maskOptions } from "../recorder/mask.ts";

export interface SnapshotHost {
  document: Document;
  location: { pathname: string; hash: string };
  CompressionStream?: typeof CompressionStream;
  fetch: typeof fetch;
  setTimeout(fn: () => void, ms: number): unknown;
  addEventListener(type: "load", fn: () => void): void;
}

/** After `load`, this long for late layout and fonts. */
export const SETTLE_MS = 1_000;
/** LIMITS.snapshot.maxBytes: the edge refuses a larger body, so it is not sent (take.test.ts holds them equal). */
export const MAX_BYTES = 2 * 1024 * 1024;

/** The header line the edge checks the grant by (SnapshotHeader), then the gzip; null over `maxBytes`. */
export function uploadBody(job: SnapshotJob, gzip: Blob, maxBytes = MAX_BYTES): Blob | null {
  const header = JSON.stringify({ v: 1, siteKey: job.siteKey, grant: job.grant, url: job.url, vw: job.vw });
  const body = new Blob([`${header}\n`, gzip]);
  return body.size > maxBytes ? null : body;
}

/**
 * The upload body for the current page: gzip of `{ node, width, height }` after its header.
 * Null when there is nothing to send: no CompressionStream, the page is no longer the one
 * granted (an SPA moved on; its DOM would be stored under the wrong page), or too large.
 */
export async function snapshotBody(w: SnapshotHost, job: SnapshotJob): Promise<Blob | null> {
  if (!w.CompressionStream || pageKey(w.location, job.hashRoutes) !== job.page) return null;
  const node = snapshot(w.document, {
    ...maskOptions(job.maskAllText),
    slimDOM: "all",
    inlineStylesheet: true,
    inlineImages: false,
  });
  if (!node) return null;
  const root = w.document.documentElement;
  const json = JSON.stringify({ node, width: root.scrollWidth, height: root.scrollHeight });
  const gzip = new Blob([json]).stream().pipeThrough(new w.CompressionStream("gzip"));
  return uploadBody(job, await new Response(gzip).blob());
}

export function take(w: SnapshotHost, job: SnapshotJob): void {
  const run = () =>
    w.setTimeout(() => {
      void snapshotBody(w, job)
        .then((body) =>
          body
            ? w.fetch(`${job.endpoint}/v1/snapshot`, {
                method: "POST",
                body,
                headers: { "Content-Type": "application/octet-stream" },
                credentials: "omit",
              })
            : undefined,
        )
        .catch(() => {});
    }, SETTLE_MS);
  if (w.document.readyState === "complete") run();
  else w.addEventListener("load", run);
}
