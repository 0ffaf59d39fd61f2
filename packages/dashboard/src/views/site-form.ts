/** Reading the site form's fields into an API body, with messages for what does not parse. */
import type { SiteInput } from "../api/index.ts";
import { parseWholeNumber } from "../lib/format.ts";
import { parseOrigins } from "../lib/origins.ts";
import { settingsProblems } from "../lib/site-settings.ts";

export interface SiteFields {
  name: HTMLInputElement;
  origins: HTMLTextAreaElement;
  quota?: HTMLInputElement;
  retention?: HTMLInputElement;
  timeZone?: HTMLSelectElement;
  hashRoutes?: HTMLInputElement;
  heatmaps?: HTMLInputElement;
}

export type SiteFormResult = { ok: true; body: SiteInput } | { ok: false; errors: string[]; focus: HTMLElement };

export function readSiteForm(f: SiteFields): SiteFormResult {
  const name = f.name.value.trim();
  if (!name) return { ok: false, errors: ["Give the site a name."], focus: f.name };
  const parsed = parseOrigins(f.origins.value);
  if (parsed.errors.length > 0) return { ok: false, errors: parsed.errors, focus: f.origins };
  if (parsed.origins.length === 0) {
    return { ok: false, errors: ["Add at least one origin, such as https://example.com."], focus: f.origins };
  }
  const body: SiteInput = { name, origins: parsed.origins };
  if (f.quota) {
    const quota = parseWholeNumber(f.quota.value);
    if (quota === null || quota < 1)
      return { ok: false, errors: ["Daily event quota is a whole number of events."], focus: f.quota };
    body.dailyEventQuota = quota;
  }
  if (f.retention) {
    const days = parseWholeNumber(f.retention.value);
    if (days === null || days < 1)
      return { ok: false, errors: ["Retention is a whole number of days."], focus: f.retention };
    body.retentionDays = days;
  }
  if (f.timeZone?.value) body.timeZone = f.timeZone.value;
  if (f.hashRoutes) body.hashRoutes = f.hashRoutes.checked;
  if (f.heatmaps) body.heatmaps = f.heatmaps.checked;
  return { ok: true, body };
}

/** The form read, then held to the API's own schema of the settings (lib/site-settings.ts). */
export async function checkedSiteForm(f: SiteFields): Promise<SiteFormResult> {
  const read = readSiteForm(f);
  if (!read.ok) return read;
  const problems = await settingsProblems(read.body);
  if (problems.length === 0) return read;
  const byField: Partial<Record<string, HTMLElement | undefined>> = {
    name: f.name,
    origins: f.origins,
    dailyEventQuota: f.quota,
    retentionDays: f.retention,
    timeZone: f.timeZone,
  };
  const first = problems[0]?.field;
  return {
    ok: false,
    errors: problems.map((p) => p.message),
    focus: (first && byField[first]) || f.name,
  };
}
