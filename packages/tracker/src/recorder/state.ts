/**
 * What a recording must remember across the pages of its session, in localStorage: the next
 * seq (uploads continue 0, 1, 2... page after page), the bytes sent against the grant's cap,
 * when it started, and whether it ended for good (a cap, or the edge said no). Kept in memory
 * too, where storage throws.
 */
import type { SessionStore } from "../session.ts";

export const STATE_KEY = "sl_r";

export interface RecState {
  /** The session id. */
  s: string;
  /** The next seq. */
  q: number;
  /** Bytes uploaded so far. */
  b: number;
  /** When the recording started (epoch ms). */
  t: number;
  /** 1 once it ended for good. */
  x?: 1;
}

export function recState(store: () => SessionStore | undefined, sessionId: string, now: number) {
  const read = (): RecState | undefined => {
    try {
      const v = JSON.parse(store()?.getItem(STATE_KEY) ?? "null") as RecState | null;
      if (v && v.s === sessionId && v.q >= 0) return v;
    } catch {}
    return undefined;
  };
  let mem: RecState = read() ?? { s: sessionId, q: 0, b: 0, t: now };
  const save = () => {
    try {
      store()?.setItem(STATE_KEY, JSON.stringify(mem));
    } catch {}
  };
  /** Another tab of the session may have moved on: take the furthest of both. */
  const sync = () => {
    const v = read();
    if (v && (v.q > mem.q || v.x)) mem = v;
    return mem;
  };
  return {
    get: sync,
    /** Takes the next seq for a chunk of `bytes`. */
    take(bytes: number): number {
      const st = sync();
      const seq = st.q;
      mem = { ...st, q: seq + 1, b: st.b + bytes };
      save();
      return seq;
    },
    end(): void {
      mem = { ...sync(), x: 1 };
      save();
    },
  };
}

export type RecStateStore = ReturnType<typeof recState>;
