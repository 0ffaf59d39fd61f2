/** The UI's routes: plain paths served by the API worker's single-page fallback. */
import { FLAG_LIMITS } from "@sightline/shared/limits/flags";
import { type RangeSpec, specFromQuery, specQuery } from "./range.ts";

export type Route =
  | { name: "home" }
  | { name: "setup" }
  | { name: "login"; next: string | null }
  | { name: "sites" }
  | { name: "overview"; siteId: string; range: RangeSpec }
  | { name: "settings"; siteId: string }
  | { name: "recordings"; siteId: string; search: string }
  | { name: "recording"; siteId: string; recordingId: string }
  | { name: "heatmaps"; siteId: string; search: string }
  | { name: "flags"; siteId: string }
  /** key null: a new flag. */
  | { name: "flag"; siteId: string; key: string | null }
  | { name: "pipeline" }
  | { name: "not-found" };

const SITE_ID = "([A-Za-z0-9_-]{1,64})";
// flagSchema's key: an identifier, so `_new` (the new-flag form) can never be a flag's key.
const FLAG_KEY = `([a-z0-9][a-z0-9._-]{0,${FLAG_LIMITS.maxKeyLength - 1}})`;
const NEW_FLAG = "_new";

export function matchRoute(pathname: string, search = ""): Route {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, "") : pathname;
  const params = new URLSearchParams(search);
  if (path === "/" || path === "") return { name: "home" };
  if (path === "/setup") return { name: "setup" };
  if (path === "/login") return { name: "login", next: safeNext(params.get("next")) };
  if (path === "/sites") return { name: "sites" };
  if (path === "/pipeline") return { name: "pipeline" };
  let m = new RegExp(`^/sites/${SITE_ID}$`).exec(path);
  if (m?.[1]) return { name: "overview", siteId: m[1], range: specFromQuery(search) };
  m = new RegExp(`^/sites/${SITE_ID}/settings$`).exec(path);
  if (m?.[1]) return { name: "settings", siteId: m[1] };
  m = new RegExp(`^/sites/${SITE_ID}/recordings$`).exec(path);
  if (m?.[1]) return { name: "recordings", siteId: m[1], search };
  m = new RegExp(`^/sites/${SITE_ID}/heatmaps$`).exec(path);
  if (m?.[1]) return { name: "heatmaps", siteId: m[1], search };
  m = new RegExp(`^/sites/${SITE_ID}/flags$`).exec(path);
  if (m?.[1]) return { name: "flags", siteId: m[1] };
  m = new RegExp(`^/sites/${SITE_ID}/flags/${NEW_FLAG}$`).exec(path);
  if (m?.[1]) return { name: "flag", siteId: m[1], key: null };
  m = new RegExp(`^/sites/${SITE_ID}/flags/${FLAG_KEY}$`).exec(path);
  if (m?.[1] && m[2]) return { name: "flag", siteId: m[1], key: m[2] };
  m = new RegExp(`^/sites/${SITE_ID}/recordings/([A-Za-z0-9_-]{1,128})$`).exec(path);
  if (m?.[1] && m[2]) return { name: "recording", siteId: m[1], recordingId: m[2] };
  return { name: "not-found" };
}

/** Where to go after logging in: only a path on this origin, never another site. */
export function safeNext(next: string | null | undefined): string | null {
  if (!next?.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return null;
  if (next === "/login" || next.startsWith("/login?") || next.startsWith("/setup")) return null;
  return next;
}

export const paths = {
  sites: () => "/sites",
  pipeline: () => "/pipeline",
  login: (next?: string | null) => (next ? `/login?${new URLSearchParams({ next })}` : "/login"),
  overview: (siteId: string, range?: RangeSpec) => {
    const q = range ? specQuery(range) : "";
    return `/sites/${encodeURIComponent(siteId)}${q ? `?${q}` : ""}`;
  },
  settings: (siteId: string) => `/sites/${encodeURIComponent(siteId)}/settings`,
  recordings: (siteId: string, query = "") =>
    `/sites/${encodeURIComponent(siteId)}/recordings${query ? `?${query}` : ""}`,
  heatmaps: (siteId: string, query = "") => `/sites/${encodeURIComponent(siteId)}/heatmaps${query ? `?${query}` : ""}`,
  flags: (siteId: string) => `/sites/${encodeURIComponent(siteId)}/flags`,
  flag: (siteId: string, key: string | null) =>
    `/sites/${encodeURIComponent(siteId)}/flags/${key === null ? NEW_FLAG : encodeURIComponent(key)}`,
  recording: (siteId: string, recordingId: string) =>
    `/sites/${encodeURIComponent(siteId)}/recordings/${encodeURIComponent(recordingId)}`,
};

/** `#token=...` from the setup link; the fragment never reaches a server or a log. */
export function tokenFromHash(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, "")).get("token");
  return token?.trim() ? token.trim() : null;
}
