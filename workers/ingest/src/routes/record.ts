/**
 * Session recordings at the edge (docs/RECORDINGS.md).
 *
 * POST /v1/record/grant: whether this session is recorded. The site's sampling (the same
 * deterministic choice as the tracker's), consent (GPC, and DNT where the site respects it) and
 * the site's daily quota of recorded sessions decide; the answer is a signed, stateless grant.
 *
 * POST /v1/record: one chunk (`<ChunkHeader JSON>\n<payload>`), with a grant for its session.
 * The payload is inflated (bounded) only to join it with the session's other chunks; the events
 * are never parsed. The chunk goes to the session's RecordingBuffer (caps, dedupe, R2), its
 * summary and the session's flag variants to the Queue for the `recordings` row. 202 without
 * touching Postgres.
 */
import { countryOf, deviceClass, referrerValue } from "@sightline/core/aggregate";
import { errorJson } from "@sightline/http";
import { SightlineError } from "@sightline/shared/errors";
import { LIMITS } from "@sightline/shared/limits";
import {
  type ChunkHeader,
  chunkHeader,
  type GrantResponse,
  grantRequest,
  sessionSampled,
} from "@sightline/shared/recording";
import type { SiteEdgeRecord } from "@sightline/shared/site";
import type { RecordingMessage } from "@sightline/shared/wire";
import type { Context } from "hono";
import { Hono } from "hono";
import { type HonoEnv, recordingEnv } from "../env.ts";
import { gunzipCapped, readBytesCapped, readTextCapped } from "../lib/body.ts";
import { flagAttributes, servedVariants } from "../lib/flags.ts";
import { checkGrant, signGrant } from "../lib/grant.ts";
import { corsFor, mediaType, preflight } from "../lib/http.ts";
import { findSite } from "../lib/sites.ts";
import type { RecordingLimit } from "../recordings/recording-buffer.ts";

const R = LIMITS.recording;
/** text/plain and octet-stream are what beacons send without a CORS preflight. */
const GRANT_TYPES = ["text/plain", "application/json"];
const CHUNK_TYPES = ["text/plain", "application/octet-stream"];
const NEWLINE = 0x0a;
/** [ and ] and the JSON whitespace around them. */
const OPEN = 0x5b;
const CLOSE = 0x5d;

export const record = new Hono<HonoEnv>();

record.options("/grant", preflight);
record.options("/", preflight);

/** The checks collect makes of a site's request: known site, registered Origin, rate limits. */
export async function siteChecks(
  c: Context<HonoEnv>,
  siteKey: string,
  cors: Record<string, string>,
): Promise<{ site: SiteEdgeRecord; origin: string } | Response> {
  const env = c.get("env");
  const site = await findSite(env.SITES, siteKey, c.get("log"));
  if (!site) return errorJson(c, "UNKNOWN_SITE", "No site has this key.", cors);
  c.get("logFields").site = site.siteId;
  const origin = c.req.header("origin");
  if (!origin) return errorJson(c, "ORIGIN_NOT_ALLOWED", "Send from a page of the site: the Origin header is missing.");
  if (!site.origins.includes(origin)) {
    return errorJson(c, "ORIGIN_NOT_ALLOWED", "This origin is not registered for the site.", cors);
  }
  const client = c.req.header("cf-connecting-ip") ?? "unknown";
  const [perSite, perClient] = await Promise.all([
    env.SITE_LIMITER.limit({ key: site.siteId }),
    env.CLIENT_LIMITER.limit({ key: `${site.siteId}:${client}` }),
  ]);
  if (!perSite.success || !perClient.success) {
    c.get("logFields").limited = perSite.success ? "client" : "site";
    return errorJson(c, "RATE_LIMITED", "Too many requests; retry later.", { ...cors, "Retry-After": "10" });
  }
  return { site, origin };
}

function notGranted(c: Context<HonoEnv>, why: string, cors: Record<string, string>) {
  c.get("logFields").refused = why;
  return errorJson(c, "RECORDING_NOT_GRANTED", `This session is not recorded (${why}).`, cors);
}

record.post("/grant", async (c) => {
  const cors = corsFor(c.req.header("origin"));
  if (!GRANT_TYPES.includes(mediaType(c))) {
    return errorJson(c, "UNSUPPORTED_MEDIA_TYPE", "Send the request as text/plain or application/json.", cors);
  }
  let text: string;
  try {
    text = await readTextCapped(c.req.raw, R.maxHeaderBytes);
  } catch (err) {
    if (err instanceof SightlineError) return errorJson(c, err.code, err.message, cors);
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return errorJson(c, "INVALID_JSON", "The body is not valid JSON.", cors);
  }
  const parsed = grantRequest.safeParse(json);
  if (!parsed.success) return errorJson(c, "VALIDATION_FAILED", "Send {siteKey, sessionId}.", cors);
  const { siteKey, sessionId, consent } = parsed.data;

  const checked = await siteChecks(c, siteKey, cors);
  if (checked instanceof Response) return checked;
  const { site } = checked;
  if (c.req.header("sec-gpc") === "1") return notGranted(c, "Global Privacy Control", cors);
  if (site.respectDnt && c.req.header("dnt") === "1") return notGranted(c, "Do Not Track", cors);
  if (!sessionSampled(sessionId, site.recordingSampleRate)) return notGranted(c, "not sampled", cors);
  // The loader tells the tracker of opt-in, but a loader cached from before the site switched
  // does not: the grant holds the line for sessions that have none yet.
  if (site.recordingConsent === "opt-in" && consent !== true) {
    c.get("logFields").refused = "no consent";
    return errorJson(
      c,
      "CONSENT_REQUIRED",
      "This site records a session only once the visitor consents: sightline('consent', true).",
      cors,
    );
  }

  const renv = recordingEnv(c.env);
  const now = Date.now();
  // Shard 0 of the site's aggregators counts the day's recorded sessions for the whole site.
  const name = `${site.siteId}:0`;
  const counter = c.get("env").AGGREGATOR.get(c.get("env").AGGREGATOR.idFromName(name));
  if (!(await counter.recordingGrant(name, sessionId, site.recordingDailyQuota, now))) {
    return notGranted(c, "daily quota reached", cors);
  }
  const expiresAt = now + R.grantTtlMs;
  const body: GrantResponse = {
    grant: await signGrant(renv.RECORDING_GRANT_SECRET, siteKey, sessionId, expiresAt),
    expiresAt,
    maxSessionBytes: R.maxSessionBytes,
    maxSessionDurationMs: R.maxSessionDurationMs,
    maskAllText: site.maskAllText,
  };
  return c.json(body, 200, cors);
});

const LIMIT_MESSAGES: Record<RecordingLimit, string> = {
  bytes: `The session has uploaded its ${R.maxSessionBytes} bytes.`,
  chunks: `The session has uploaded its ${R.maxChunksPerSession} chunks.`,
  duration: `The recording has reached its ${R.maxSessionDurationMs} ms.`,
};

record.post("/", async (c) => {
  const cors = corsFor(c.req.header("origin"));
  if (!CHUNK_TYPES.includes(mediaType(c))) {
    return errorJson(c, "UNSUPPORTED_MEDIA_TYPE", "Send the chunk as text/plain or application/octet-stream.", cors);
  }
  let body: Uint8Array;
  try {
    body = await readBytesCapped(c.req.raw, R.maxChunkBytes);
  } catch (err) {
    if (err instanceof SightlineError) return errorJson(c, err.code, err.message, cors);
    throw err;
  }

  const nl = body.subarray(0, R.maxHeaderBytes + 1).indexOf(NEWLINE);
  if (nl === -1) {
    return errorJson(
      c,
      "VALIDATION_FAILED",
      `The header line is missing or longer than ${R.maxHeaderBytes} bytes.`,
      cors,
    );
  }
  let header: ChunkHeader;
  try {
    const parsed = chunkHeader.safeParse(JSON.parse(new TextDecoder().decode(body.subarray(0, nl))));
    if (!parsed.success) {
      const where = parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
        .join("; ");
      return errorJson(c, "VALIDATION_FAILED", `The header does not match the chunk contract: ${where}`, cors);
    }
    header = parsed.data;
  } catch {
    return errorJson(c, "INVALID_JSON", "The header line is not valid JSON.", cors);
  }
  const s = header.summary;
  const now = Date.now();
  if (
    s.lastTs < s.firstTs ||
    s.lastTs > now + LIMITS.collect.maxClockSkewMs ||
    s.firstTs < now - LIMITS.collect.maxEventAgeMs
  ) {
    return errorJson(
      c,
      "VALIDATION_FAILED",
      "The chunk's timestamps are out of order or out of the accepted window.",
      cors,
    );
  }

  const checked = await siteChecks(c, header.siteKey, cors);
  if (checked instanceof Response) return checked;
  const { site, origin } = checked;
  const renv = recordingEnv(c.env);
  const grant = await checkGrant(renv.RECORDING_GRANT_SECRET, header.grant, header.siteKey, header.sessionId, now);
  if (grant !== "ok") return notGranted(c, `grant ${grant}`, cors);

  let events: string;
  try {
    const payload = body.subarray(nl + 1);
    const raw = header.encoding === "gzip" ? await gunzipCapped(payload, R.maxInflatedChunkBytes) : payload;
    events = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(raw).trim();
  } catch (err) {
    if (err instanceof SightlineError) return errorJson(c, err.code, err.message, cors);
    return errorJson(c, "VALIDATION_FAILED", "The payload is not UTF-8 text.", cors);
  }
  if (events.charCodeAt(0) !== OPEN || events.charCodeAt(events.length - 1) !== CLOSE) {
    return errorJson(c, "VALIDATION_FAILED", "The payload is not a JSON array of events.", cors);
  }

  const buffer = renv.RECORDING_BUFFER.get(renv.RECORDING_BUFFER.idFromName(`${site.siteId}:${header.sessionId}`));
  const stored = await buffer.append({
    siteId: site.siteId,
    sessionId: header.sessionId,
    seq: header.seq,
    events,
    bytes: body.byteLength,
    firstTs: s.firstTs,
    lastTs: s.lastTs,
  });
  if (stored.status === "erased") {
    return errorJson(c, "RECORDING_NOT_GRANTED", "This recording was deleted; it takes no more chunks.", cors);
  }
  if (stored.status === "limit") {
    c.get("logFields").limit = stored.limit;
    return errorJson(c, "RECORDING_LIMIT_REACHED", LIMIT_MESSAGES[stored.limit], cors);
  }

  // Sent for a repeated seq too: the first attempt may have stored the chunk and failed to
  // queue; the aggregator counts a session's seq once.
  const referrer = header.referrer === undefined ? undefined : referrerValue(header.referrer, origin);
  const country = countryOf(c.req.header("cf-ipcountry") ?? c.req.raw.cf?.country);
  const device = deviceClass(c.req.header("user-agent") ?? "");
  // Evaluated here, as the loader did on the page, with the chunk's first page: a chunk does not
  // carry the page's variants as a batch does (servedVariants says why).
  const flags = await servedVariants(
    c,
    site.siteKey,
    header.sessionId,
    s.pages[0] ?? "/",
    flagAttributes(country, device),
  );
  const message: RecordingMessage = {
    kind: "recording",
    v: 1,
    siteId: site.siteId,
    shards: site.shards,
    sessionId: header.sessionId,
    receivedAt: now,
    seq: header.seq,
    bytes: body.byteLength,
    country,
    device,
    ...(referrer === undefined ? {} : { referrer }),
    r2Prefix: stored.r2Prefix,
    summary: s,
    ...(flags === undefined ? {} : { flags }),
  };
  try {
    await c.get("env").INGEST_QUEUE.send(message, { contentType: "json" });
  } catch (cause) {
    throw new SightlineError("SERVICE_UNAVAILABLE", "The chunk could not be queued; retry shortly.", {
      retry: true,
      cause,
    });
  }
  c.get("logFields").seq = header.seq;
  return c.json({ seq: header.seq, duplicate: stored.status === "duplicate" }, 202, cors);
});
