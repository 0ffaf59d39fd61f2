/**
 * The site forms' last check before they send: the API's own schema of a site's settings
 * (`@sightline/shared/site/settings`), so a form refuses exactly what the API would refuse. The
 * forms' own readers turn typed text into numbers and lists with friendlier messages first; this
 * holds them to the same definition as the API. The schema brings zod, so it is a chunk of its
 * own, fetched the first time a site form is submitted.
 */
import type { SiteInput } from "../api/index.ts";

export interface SettingsProblem {
  field: keyof SiteInput;
  message: string;
}

const LABELS: Record<keyof SiteInput, string> = {
  name: "Name",
  origins: "Allowed origins",
  dailyEventQuota: "Daily event quota",
  retentionDays: "Retention",
  timeZone: "Time zone",
  hashRoutes: "Hash routes",
  recordingSampleRate: "Sessions recorded",
  recordingDailyQuota: "Recordings per day",
  recordingRetentionDays: "Keep recordings",
  maskAllText: "Mask all text",
  recordingConsent: "Record only after consent",
  heatmaps: "Heatmaps",
};

/**
 * What the API's schema refuses in `body` (only the fields it holds, as a PATCH sends them).
 * None when the schema's chunk cannot be fetched (offline, or a tab older than a deploy whose
 * chunk is gone): the form sends, and the API's own check answers.
 */
export async function settingsProblems(
  body: Partial<SiteInput>,
  load: () => Promise<typeof import("@sightline/shared/site/settings")> = () =>
    import("@sightline/shared/site/settings"),
): Promise<SettingsProblem[]> {
  let schema: Awaited<ReturnType<typeof load>>["siteChangesSchema"];
  try {
    schema = (await load()).siteChangesSchema;
  } catch {
    return [];
  }
  const checked = schema.safeParse(body);
  if (checked.success) return [];
  return checked.error.issues.map((issue) => {
    const field = (issue.path[0] ?? "name") as keyof SiteInput;
    const label = LABELS[field] ?? String(field);
    let message = issue.message;
    if (issue.code === "too_big" || issue.code === "too_small") {
      const bound = Number(issue.code === "too_big" ? issue.maximum : issue.minimum).toLocaleString("en");
      const unit = issue.origin === "string" ? " characters" : issue.origin === "array" ? " entries" : "";
      message = `${issue.code === "too_big" ? "at most" : "at least"} ${bound}${unit}`;
    }
    const item = issue.path.length > 1 && typeof issue.path[1] === "number" ? ` (entry ${issue.path[1] + 1})` : "";
    return { field, message: `${label}${item}: ${message}.` };
  });
}
