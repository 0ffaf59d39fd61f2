/** Numbers, dates and breakdown values as people read them. Locale-aware, with a fixed fallback. */

export function formatCount(n: number, locale?: string): string {
  if (!Number.isFinite(n)) return "–";
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(n);
}

/** 0.25 -> "25%"; keeps one decimal for rates such as 0.125. */
export function formatRate(rate: number, locale?: string): string {
  if (!Number.isFinite(rate)) return "–";
  return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(rate);
}

/** A 0-1 rate as the percent shown in a form field (0.125 -> 12.5). */
export function rateToPercent(rate: number): number {
  return Math.round(rate * 1000) / 10;
}

/** The form field's percent back to the API's 0-1 rate, or null when it is not 0-100. */
export function percentToRate(percent: string): number | null {
  if (percent.trim() === "") return null;
  const n = Number(percent);
  if (!Number.isFinite(n) || n < 0 || n > 100) return null;
  return Math.round(n * 10) / 1000;
}

export function formatDateTime(iso: string, locale?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(d);
}

export function formatTime(d: Date, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { timeStyle: "medium" }).format(d);
}

/** Two-letter region code -> its name ("DE" -> "Germany"); unknowns stay readable. */
export function countryName(code: string, locale = "en"): string {
  const c = code.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(c) || c === "XX" || c === "ZZ") return "Unknown";
  try {
    const name = new Intl.DisplayNames([locale], { type: "region" }).of(c);
    return name && name !== c ? name : c;
  } catch {
    return c;
  }
}

export function referrerLabel(value: string): string {
  const v = value.trim();
  return v === "" || v === "(direct)" || v === "direct" ? "Direct / none" : v;
}

export function deviceLabel(value: string): string {
  const v = value.trim();
  if (v === "") return "Unknown";
  return v.charAt(0).toUpperCase() + v.slice(1);
}

/** Parses a whole, non-negative number typed into a form; null when it is not one. */
export function parseWholeNumber(text: string): number | null {
  const t = text.trim().replace(/[\s_,]/g, "");
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : null;
}

/** A UTC day ("2026-12-05") as a short date ("5 Dec" or "Dec 5", by locale). */
export function formatUtcDay(day: string, locale?: string): string {
  const t = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(t)) return day;
  return new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", timeZone: "UTC" }).format(t);
}

const LISTED_QUOTA_DAYS = 6;

/** The notice for days on which the daily event quota was reached; null when there were none. */
export function quotaNotice(days: readonly string[], locale?: string): string | null {
  if (days.length === 0) return null;
  const first = days[0] ?? "";
  const last = days.at(-1) ?? first;
  const when =
    days.length <= LISTED_QUOTA_DAYS
      ? days.map((d) => formatUtcDay(d, locale)).join(", ")
      : `${formatCount(days.length, locale)} days between ${formatUtcDay(first, locale)} and ${formatUtcDay(last, locale)}`;
  return `Daily event quota reached on ${when} (UTC) — events past it were not counted.`;
}

const RELATIVE_UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
  ["second", 1_000],
];

/** An instant against `now`: "12 seconds ago", "in 30 seconds", "now"; the ISO text if unreadable. */
export function formatRelative(iso: string, now: number, locale?: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const diff = t - now;
  const fmt = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  // Under a second either way reads as "now"; clocks of browser and worker differ by that much.
  if (Math.abs(diff) < 1_000) return fmt.format(0, "second");
  for (const [unit, ms] of RELATIVE_UNITS) {
    if (Math.abs(diff) >= ms || unit === "second") return fmt.format(Math.trunc(diff / ms), unit);
  }
  return iso;
}
