/**
 * The session's grant, asked of the edge by the recorder chunk rather than the core, so the
 * core stays small: once per session, the answer cached in localStorage so the session's next
 * pages reuse it until it expires. A refusal holds for the session; a 429, a 5xx or a network
 * error leaves nothing cached, so the next page asks again.
 */
import type { GrantResponse } from "@sightline/shared/recording";
import type { TrackerConfig } from "@sightline/shared/site";
import { CONSENT_KEY } from "../record.ts";
import type { SessionStore } from "../session.ts";
import { CONTENT_TYPE, type Fetch } from "../transport.ts";

/** `{s: sessionId, g: GrantResponse}`, or `g: 0` when the edge refused this session. */
export const GRANT_KEY = "sl_g";

/** What a refusal is stored as; the core reads it to skip loading the chunk again. */
export const refusal = (sid: string): string => JSON.stringify({ s: sid, g: 0 } satisfies Cached);

export interface Cached {
  s: string;
  g: GrantResponse | 0;
}

export interface GrantHost {
  readonly localStorage: SessionStore;
  fetch: Fetch;
}

/** The grant for this session, or undefined when there is none (refused, busy, or no storage). */
export async function grantFor(w: GrantHost, cfg: TrackerConfig, sid: string): Promise<GrantResponse | undefined> {
  try {
    const ls = w.localStorage;
    // JSON.parse(null) is null: nothing cached. A refusal (g: 0) has no expiresAt and holds.
    let c: Cached | null = JSON.parse(ls.getItem(GRANT_KEY) as string);
    if (!c || c.s !== sid || (c.g !== 0 && c.g.expiresAt <= Date.now())) {
      const res = await w.fetch(`${cfg.endpoint}/v1/record/grant`, {
        method: "POST",
        // consent: what an opt-in site's edge requires (absent is no answer, or withdrawn).
        body: JSON.stringify({
          siteKey: cfg.siteKey,
          sessionId: sid,
          consent: ls.getItem(CONSENT_KEY) === "1" || undefined,
        }),
        headers: { "Content-Type": CONTENT_TYPE },
        credentials: "omit",
      });
      if (res.status === 429 || res.status >= 500) return undefined;
      const body = (await res.json()) as (GrantResponse & { error?: { code?: string } }) | null;
      // Refused for want of consent (an opt-in site, a loader cached from before): asked again
      // on a later page, once the visitor consents; not kept as the session's refusal.
      if (body?.error?.code === "CONSENT_REQUIRED") return undefined;
      // Stored as `refusal(sid)` when refused: the same object, the same key order.
      c = { s: sid, g: res.status === 200 && body ? body : 0 };
      ls.setItem(GRANT_KEY, JSON.stringify(c));
    }
    return c.g || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts recording once the grant is in hand; the returned stop works before that too (consent
 * withdrawn while the grant is asked for: nothing starts).
 */
export function whenGranted(
  w: GrantHost,
  cfg: TrackerConfig,
  sid: string,
  start: (grant: GrantResponse) => () => void,
): () => void {
  let stopped = false;
  let stop: (() => void) | undefined;
  void grantFor(w, cfg, sid).then((g) => {
    if (g && !stopped) stop = start(g);
  });
  return () => {
    stopped = true;
    stop?.();
  };
}
