/**
 * UUIDv7 (RFC 9562): time-ordered ids minted by the tracker for every event and by the
 * workers for flushes. Written here rather than taken from a package because it ships in
 * the tracker, where every byte counts, and it is twenty lines.
 */
export function uuidv7(now: number = Date.now()): string {
  // Where the platform has randomUUID (workers; browsers on secure origins), keep its random
  // bits and variant and put the time and version in front: several times cheaper.
  if (typeof crypto.randomUUID === "function") {
    const r = crypto.randomUUID();
    const t = now.toString(16).padStart(12, "0");
    return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${r.slice(15)}`;
  }
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  let ms = now;
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = ((b[6] as number) & 0x0f) | 0x70;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  let h = "";
  for (let i = 0; i < 16; i++) {
    h += (b[i] as number).toString(16).padStart(2, "0");
    if (i === 3 || i === 5 || i === 7 || i === 9) h += "-";
  }
  return h;
}

/**
 * The lowest string a lowercase UUIDv7 minted at `ms` or later compares at or above: its time
 * fields, so `id < uuidv7Floor(ms)` holds exactly for the ids minted before `ms`.
 */
export function uuidv7Floor(ms: number): string {
  const t = ms.toString(16).padStart(12, "0");
  return `${t.slice(0, 8)}-${t.slice(8, 12)}`;
}

/**
 * Milliseconds since the epoch encoded in a UUIDv7 (its first twelve hex digits, either case),
 * or NaN when one of them is not a hex digit. Decoded digit by digit: it runs for every event
 * on the collect path, where slicing, joining and parseInt cost several times as much.
 */
export function uuidv7Time(id: string): number {
  let ms = 0;
  for (let i = 0; i < 13; i++) {
    if (i === 8) continue; // the dash
    const c = id.charCodeAt(i);
    const lower = c | 0x20;
    if (c >= 48 && c <= 57) ms = ms * 16 + (c - 48);
    else if (lower >= 97 && lower <= 102) ms = ms * 16 + (lower - 87);
    else return Number.NaN;
  }
  return ms;
}

export const ID_PREFIXES = {
  site: "site",
  flush: "fl",
  session: "ses",
  request: "req",
  account: "acc",
  token: "tok",
} as const;

/** A prefixed, time-sortable id such as `site_0192…`. */
export function newId(prefix: keyof typeof ID_PREFIXES, now?: number): string {
  return `${ID_PREFIXES[prefix]}_${uuidv7(now).replaceAll("-", "")}`;
}
