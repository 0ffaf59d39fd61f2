import { gunzipSync } from "node:zlib";
import { LIMITS } from "@sightline/shared/limits";
import { type ChunkHeader, chunkHeader } from "@sightline/shared/recording";
import { describe, expect, it } from "vitest";
import { browserGzip, frame, jsonArray, MAX_PAYLOAD_BYTES, runs } from "./chunk.ts";

const header: ChunkHeader = {
  v: 1,
  siteKey: "site_key_1",
  sessionId: "0190a5c4-1234-7abc-8def-0123456789ab",
  grant: "g.sig",
  seq: 3,
  encoding: "gzip",
  summary: { firstTs: 1, lastTs: 2, activeMs: 0, pages: ["/"], clicks: 0, rageClicks: 0, errors: 0, events: 2 },
};

/** What the edge does: the header up to the first newline, the payload after it. */
function unframe(body: Uint8Array): { header: unknown; payload: Uint8Array } {
  const nl = body.indexOf(10);
  return { header: JSON.parse(new TextDecoder().decode(body.subarray(0, nl))), payload: body.subarray(nl + 1) };
}

describe("chunk body", () => {
  it("is the header's JSON line, a newline, and the payload bytes as they are", async () => {
    const events = ['{"type":4,"timestamp":1,"data":{"href":"https://site.test/\\n"}}', '{"type":2,"timestamp":2}'];
    const gzip = browserGzip(globalThis);
    expect(gzip).toBeDefined();
    const payload = (await gzip?.(jsonArray(events))) ?? new Uint8Array();
    const { header: h, payload: p } = unframe(frame(header, payload));
    expect(chunkHeader.parse(h)).toEqual(header);
    expect(JSON.parse(gunzipSync(p).toString("utf8"))).toEqual(events.map((e) => JSON.parse(e)));
  });

  it("stays within the edge's limits: header line and payload", () => {
    const long = "/p".padEnd(LIMITS.collect.maxUrlLength, "x");
    const big: ChunkHeader = {
      ...header,
      grant: "g".repeat(512),
      referrer: `https://r.test/${"y".repeat(2_000)}`,
      summary: { ...header.summary, pages: Array(50).fill(long) },
    };
    const { header: h } = unframe(frame(big, new Uint8Array()));
    const line = frame(big, new Uint8Array()).length - 1;
    expect(line).toBeLessThan(LIMITS.recording.maxHeaderBytes);
    expect(chunkHeader.parse(h).summary.pages).toEqual([long.slice(0, 512)]);
    // An ordinary header is left as it is.
    expect(unframe(frame(header, new Uint8Array())).header).toEqual(header);
    expect(MAX_PAYLOAD_BYTES + LIMITS.recording.maxHeaderBytes).toBe(LIMITS.recording.maxChunkBytes);
  });

  it("has no gzip where the browser has no CompressionStream", () => {
    expect(browserGzip({})).toBeUndefined();
  });
});

describe("runs", () => {
  it("splits events in order so that each payload fits, counting UTF-8 bytes", () => {
    const ascii = `"${"a".repeat(30_000)}"`;
    // 20,000 characters, 40,000 bytes: counted in characters, it would share a run with the first.
    const wide = `"${"é".repeat(20_000)}"`;
    const jsons = [ascii, wide, ascii, ascii, "1", "2"];
    const rs = runs(jsons);
    expect(rs).toEqual([
      [0, 1],
      [1, 2],
      [2, 6],
    ]);
    for (const [a, b] of rs) expect(jsonArray(jsons.slice(a, b)).length).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
  });

  it("gives an event larger than a chunk a run of its own", () => {
    const huge = `"${"x".repeat(MAX_PAYLOAD_BYTES)}"`;
    expect(runs(["1", huge, "2"])).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    expect(runs([])).toEqual([]);
  });
});
