/**
 * Calendar days in an IANA time zone, with nothing but Intl: a day's local midnight as a UTC
 * instant, the day an instant falls on. Days are ISO dates ("2026-11-20"), which is also what
 * `<input type="date">` reads and writes.
 */

export type Day = string;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock time in `timeZone` at instant `t`, read as if it were UTC. */
function wallClock(t: number, timeZone: string): number {
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(t)) {
    if (part.type !== "literal") p[part.type] = Number(part.value);
  }
  return Date.UTC(p.year ?? 1970, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
}

/** How far `timeZone` is ahead of UTC at instant `t`, in ms. */
export function offsetMs(t: number, timeZone: string): number {
  const whole = Math.floor(t / 1000) * 1000;
  return wallClock(whole, timeZone) - whole;
}

export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** "2026-11-20" for a real calendar date, else null. */
export function parseDay(text: string | null | undefined): Day | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text ?? "");
  if (!m) return null;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(t).toISOString().slice(0, 10) === text ? text : null;
}

const dayMs = (day: Day) => Date.parse(`${day}T00:00:00Z`);
const fromMs = (t: number): Day => new Date(t).toISOString().slice(0, 10);

export function addDays(day: Day, n: number): Day {
  return fromMs(dayMs(day) + n * DAY);
}

/** Whole days from `a` to `b`. */
export function daysBetween(a: Day, b: Day): number {
  return Math.round((dayMs(b) - dayMs(a)) / DAY);
}

/** The day in `timeZone` that instant `t` falls on. */
export function dayOf(t: number, timeZone: string): Day {
  return fromMs(wallClock(t, timeZone));
}

/**
 * The UTC instant at which `day` begins in `timeZone`, as Postgres' `date_trunc('day', ...,
 * zone)` has it: where midnight happens twice (a clock set back at midnight) the later one,
 * where it never happens (a clock set forward over it) the first instant after the gap.
 */
export function startOfDay(day: Day, timeZone: string): Date {
  const local = dayMs(day);
  const candidates = [offsetMs(local - DAY, timeZone), offsetMs(local + DAY, timeZone)].map((o) => local - o);
  const real = candidates.filter((t) => wallClock(t, timeZone) === local);
  return new Date(Math.max(...(real.length > 0 ? real : candidates)));
}
