/**
 * The snapshot chunk: takes the page's DOM as rrweb-snapshot serialises it, masked as
 * recordings are, with stylesheets inlined where the browser allows, once the page has loaded
 * and settled, and uploads it gzipped to `/v1/snapshot` under the edge's grant.
 */
import { snapshot } from "rrweb-snapshot";
import type { SnapshotJob } from "../interactions/start.ts";
import { maskOptions } from "../recorder/mask.ts";

export interface SnapshotHost {
  document: Document;
  CompressionStream?: typeof CompressionStream;
  fetch: typeof fetch;
  setTimeout(fn: () => void, ms: number): unknown;
  addEventListener(type: "load", fn: () => void): void;
}

/** After `load`, this long for late layout and fonts. */
export const SETTLE_MS = 1_000;

/** The upload body: the header line, then gzip of `{ node, width, height }`; null without a snapshot. */
export async function snapshotBody(w: SnapshotHost, job: SnapshotJob): Promise<Blob | null> {
  const node = snapshot(w.document, { ...maskOptions(job.maskAllText), slimDOM: "all", inlineStylesheet: true });
  if (!node || !w.CompressionStream) return null;
  const root = w.document.documentElement;
  const json = JSON.stringify({ node, width: root.scrollWidth, height: root.scrollHeight });
  const gzip = new Blob([json]).stream().pipeThrough(new w.CompressionStream("gzip"));
  const payload = await new Response(gzip).blob();
  const header = JSON.stringify({ v: 1, siteKey: job.siteKey, grant: job.grant, url: job.url, vw: job.vw });
  return new Blob([`${header}\n`, payload]);
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
