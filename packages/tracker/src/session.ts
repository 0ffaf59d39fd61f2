/**
 * The session id, kept first-party in localStorage as `<uuidv7>.<lastSeenMs>` so tabs of one
 * site share it. When storage is missing or throws (Safari private mode, blocked cookies), the
 * id lives in memory for this page only.
 */
import { uuidv7 } from "@sightline/shared/ids";

export const SESSION_KEY = "sl_s";

export interface SessionStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Seen {
  id: string;
  at: number;
}

function parse(raw: string | null | undefined): Seen | undefined {
  const [id = "", at] = (raw ?? "").split(".");
  const t = Number(at);
  // A garbled value would make the server refuse every batch, so treat it as absent.
  return UUID_V7.test(id) && t >= 0 ? { id, at: t } : undefined;
}

/** Returns a function that yields the current session id and marks the session as active. */
export function sessions(store: () => SessionStore | undefined, idleMs: number): (now: number) => string {
  let mem: Seen | undefined;
  return (now) => {
    let s: Seen | undefined;
    try {
      s = parse(store()?.getItem(SESSION_KEY));
    } catch {}
    // Prefer whichever is fresher: another tab may have written storage, or writes may fail.
    if (!s || (mem && mem.at > s.at)) s = mem;
    const id = s && now - s.at <= idleMs ? s.id : uuidv7(now);
    mem = { id, at: now };
    try {
      store()?.setItem(SESSION_KEY, `${id}.${now}`);
    } catch {}
    return id;
  };
}
