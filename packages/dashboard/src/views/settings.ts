/** One site's settings: the install snippet, the editable fields, and deleting the site. */
import { LIMITS } from "@sightline/shared/limits";
import type { Site } from "../api/index.ts";
import type { ViewContext } from "../context.ts";
import { busy, field, h, messageBox } from "../lib/dom.ts";
import { errorDetail, errorMessage } from "../lib/errors.ts";
import { formatDateTime } from "../lib/format.ts";
import { formatOrigins } from "../lib/origins.ts";
import { readRecordingSettings } from "../lib/recordings.ts";
import { paths } from "../lib/router.ts";
import { settingsProblems } from "../lib/site-settings.ts";
import { maintenanceCard } from "./maintenance.ts";
import { checkedSiteForm } from "./site-form.ts";

export async function renderSettings(ctx: ViewContext, main: HTMLElement, siteId: string): Promise<void> {
  ctx.setTitle("Site settings");
  const heading = h("h1", { tabindex: "-1" }, "Site settings");
  const notice = messageBox("success");
  const flash = ctx.takeFlash();
  if (flash) notice.show(flash);
  const error = messageBox("error");
  const loading = h("p", { class: "loading" }, "Loading the site…");
  main.append(h("div", { class: "page-head" }, heading), notice.el, error.el, loading);
  main.setAttribute("aria-busy", "true");

  let site: Site;
  try {
    site = (await ctx.api.getSite(siteId, { signal: ctx.signal })).data;
  } catch (err) {
    if (ctx.signal.aborted) return;
    error.show(errorMessage(err), errorDetail(err));
    return;
  } finally {
    main.removeAttribute("aria-busy");
    loading.remove();
  }
  ctx.setTitle(`${site.name} settings`);
  heading.textContent = `${site.name}: settings`;
  main.append(
    installCard(site),
    generalCard(ctx, site, heading, notice),
    recordingCard(ctx, site, notice),
    maintenanceCard(ctx.api, ctx.signal, site.id),
    dangerCard(ctx, site),
  );
}

/** The API's own bounds, from the one table: the form cannot drift from what is enforced. */
const RECORDING_BOUNDS = {
  maxDailyQuota: LIMITS.recording.maxDailyQuota,
  maxRetentionDays: LIMITS.recording.maxRetentionDays,
};

function recordingCard(ctx: ViewContext, site: Site, notice: ReturnType<typeof messageBox>): HTMLElement {
  const rate = h("input", {
    type: "number",
    name: "recordingSampleRate",
    min: 0,
    max: 100,
    step: "any",
    inputmode: "decimal",
  });
  rate.value = String(Math.round(site.recordingSampleRate * 10_000) / 100);
  const quota = h("input", { type: "number", name: "recordingDailyQuota", min: 0, step: 1, inputmode: "numeric" });
  quota.value = String(site.recordingDailyQuota);
  const retention = h("input", {
    type: "number",
    name: "recordingRetentionDays",
    min: 1,
    max: RECORDING_BOUNDS.maxRetentionDays,
    step: 1,
    inputmode: "numeric",
  });
  retention.value = String(site.recordingRetentionDays);
  const mask = h("input", {
    type: "checkbox",
    name: "maskAllText",
    id: "settings-mask-all-text",
    "aria-describedby": "settings-mask-all-text-hint",
  });
  mask.checked = site.maskAllText;
  const consent = h("input", {
    type: "checkbox",
    name: "consentRequired",
    id: "settings-consent-required",
    "aria-describedby": "settings-consent-required-hint",
  });
  consent.checked = site.recordingConsent === "opt-in";
  const submit = h("button", { type: "submit", class: "button button-primary" }, "Save recording settings");
  const error = messageBox("error");
  const saved = messageBox("success");
  const fields = {
    samplePercent: rate,
    dailyQuota: quota,
    retentionDays: retention,
    maskAllText: mask,
    consentRequired: consent,
  };
  const form = h(
    "form",
    { class: "form", id: "recording-settings" },
    error.el,
    saved.el,
    h(
      "div",
      { class: "field-row" },
      field("settings-recording-rate", "Sessions recorded (%)", rate, "0 turns recording off."),
      field("settings-recording-quota", "Recordings per day", quota, "Sessions recorded per UTC day at most."),
      field("settings-recording-retention", "Keep recordings (days)", retention, "Older ones are erased."),
    ),
    h(
      "div",
      { class: "field field-check" },
      mask,
      h("label", { for: "settings-mask-all-text" }, "Mask all text in recordings"),
      h(
        "p",
        { class: "hint", id: "settings-mask-all-text-hint" },
        "Typed input, email addresses and long numbers are always masked; this hides every other text too.",
      ),
    ),
    h(
      "div",
      { class: "field field-check" },
      consent,
      h("label", { for: "settings-consent-required" }, "Record only after the visitor consents (opt-in)"),
      h(
        "p",
        { class: "hint", id: "settings-consent-required-hint" },
        "A sampled session records only once your pages call ",
        h("code", {}, "sightline('consent', true)"),
        " (your consent tool's callback); the browser remembers it for the site's later pages. Off: sessions record until ",
        h("code", {}, "sightline('consent', false)"),
        ".",
      ),
    ),
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.hide();
    saved.hide();
    notice.hide();
    const read = readRecordingSettings(
      {
        samplePercent: rate.value,
        dailyQuota: quota.value,
        retentionDays: retention.value,
        maskAllText: mask.checked,
        consentRequired: consent.checked,
      },
      RECORDING_BOUNDS,
    );
    if (!read.ok) {
      error.show(read.error);
      fields[read.field].focus();
      return;
    }
    const problems = await settingsProblems(read.body);
    if (problems.length > 0) {
      error.show(problems.map((p) => p.message).join(" "));
      const first = problems[0]?.field;
      (first === "recordingSampleRate"
        ? rate
        : first === "recordingDailyQuota"
          ? quota
          : first === "maskAllText"
            ? mask
            : first === "recordingConsent"
              ? consent
              : retention
      ).focus();
      return;
    }
    try {
      const { data } = await busy(submit, "Saving…", () => ctx.api.updateSite(site.id, read.body));
      Object.assign(site, data);
      rate.value = String(Math.round(data.recordingSampleRate * 10_000) / 100);
      saved.show("Recording settings saved.");
    } catch (err) {
      error.show(errorMessage(err), errorDetail(err));
    }
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "recording-heading" },
    h("h2", { id: "recording-heading" }, "Recordings"),
    h(
      "p",
      { class: "hint" },
      "Which sessions are recorded (and whether only after consent), how many a day, for how long they are kept, and how much is masked.",
    ),
    form,
  );
}

function installCard(site: Site): HTMLElement {
  const code = h("code", { id: "snippet" }, site.snippet);
  const status = h("span", { class: "copy-status", role: "status" });
  const copy = h("button", { type: "button", class: "button", id: "copy-snippet" }, "Copy snippet");
  copy.addEventListener("click", async () => {
    status.textContent = (await copyText(site.snippet, code)) ? "Copied" : "Select the snippet and copy it by hand";
    window.setTimeout(() => {
      status.textContent = "";
    }, 4_000);
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "install-heading" },
    h("h2", { id: "install-heading" }, "Install"),
    h("p", {}, "Paste this into every page of the site, before ", h("code", {}, "</head>"), ":"),
    h("pre", { class: "snippet" }, code),
    h("div", { class: "actions" }, copy, status),
    h(
      "dl",
      { class: "meta" },
      h("div", {}, h("dt", {}, "Site key"), h("dd", {}, h("code", { "data-testid": "site-key" }, site.key))),
      h("div", {}, h("dt", {}, "Created"), h("dd", {}, formatDateTime(site.createdAt))),
    ),
  );
}

async function copyText(text: string, source: HTMLElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard access (an insecure origin, a denied permission): select it for the user.
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
    return false;
  }
}

function generalCard(
  ctx: ViewContext,
  site: Site,
  heading: HTMLElement,
  notice: ReturnType<typeof messageBox>,
): HTMLElement {
  const name = h("input", {
    type: "text",
    name: "name",
    required: true,
    maxlength: LIMITS.api.maxNameLength,
    autocomplete: "off",
  });
  name.value = site.name;
  const origins = h("textarea", { name: "origins", rows: 3, required: true, spellcheck: "false" });
  origins.value = formatOrigins(site.origins);
  const quota = h("input", {
    type: "number",
    name: "dailyEventQuota",
    min: 1,
    max: LIMITS.api.maxDailyEventQuota,
    step: 1,
    inputmode: "numeric",
  });
  quota.value = String(site.dailyEventQuota);
  const retention = h("input", {
    type: "number",
    name: "retentionDays",
    min: 1,
    max: LIMITS.api.maxRetentionDays,
    step: 1,
    inputmode: "numeric",
  });
  retention.value = String(site.retentionDays);
  const timeZone = h(
    "select",
    { name: "timeZone" },
    timeZoneOptions(site.timeZone).map((tz) => h("option", { value: tz }, tz)),
  );
  timeZone.value = site.timeZone;
  const hashRoutes = h("input", {
    type: "checkbox",
    name: "hashRoutes",
    id: "settings-hash-routes",
    "aria-describedby": "settings-hash-routes-hint",
  });
  hashRoutes.checked = site.hashRoutes;
  const heatmaps = h("input", {
    type: "checkbox",
    name: "heatmaps",
    id: "settings-heatmaps",
    "aria-describedby": "settings-heatmaps-hint",
  });
  heatmaps.checked = site.heatmaps;
  const submit = h("button", { type: "submit", class: "button button-primary" }, "Save changes");
  const error = messageBox("error");
  const saved = messageBox("success");

  const form = h(
    "form",
    { class: "form", id: "site-settings" },
    error.el,
    saved.el,
    field("settings-name", "Name", name),
    field("settings-origins", "Allowed origins", origins, "One per line. Only pages on these origins are counted."),
    h(
      "div",
      { class: "field-row" },
      field("settings-quota", "Daily event quota", quota, "Events accepted per UTC day."),
      field("settings-retention", "Retention (days)", retention, "How long statistics are kept."),
      field("settings-time-zone", "Time zone", timeZone, "The overview's days start at midnight here."),
    ),
    h(
      "div",
      { class: "field field-check" },
      hashRoutes,
      h("label", { for: "settings-hash-routes" }, "Count hash routes (#/…) as pages"),
      h(
        "p",
        { class: "hint", id: "settings-hash-routes-hint" },
        "For single-page apps that route with #/ or #!/ links. Other fragments never count.",
      ),
    ),
    h(
      "div",
      { class: "field field-check" },
      heatmaps,
      h("label", { for: "settings-heatmaps" }, "Collect heatmaps"),
      h(
        "p",
        { class: "hint", id: "settings-heatmaps-hint" },
        "Clicks, rage clicks and how far visitors scroll. Off: the tracker sends none of them.",
      ),
    ),
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.hide();
    saved.hide();
    notice.hide();
    const read = await checkedSiteForm({ name, origins, quota, retention, timeZone, hashRoutes, heatmaps });
    if (!read.ok) {
      error.show(read.errors.join(" "));
      read.focus.focus();
      return;
    }
    try {
      const { data } = await busy(submit, "Saving…", () => ctx.api.updateSite(site.id, read.body));
      Object.assign(site, data);
      origins.value = formatOrigins(data.origins);
      heading.textContent = `${data.name}: settings`;
      ctx.setTitle(`${data.name} settings`);
      saved.show("Changes saved.");
    } catch (err) {
      error.show(errorMessage(err), errorDetail(err));
    }
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "general-heading" },
    h("h2", { id: "general-heading" }, "General"),
    form,
  );
}

/** The browser's zones, with UTC and the site's own zone should the list lack them. */
function timeZoneOptions(current: string): string[] {
  const known = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return [...new Set(["UTC", current, ...known])].sort((a, b) =>
    a === "UTC" ? -1 : b === "UTC" ? 1 : a.localeCompare(b),
  );
}

function dangerCard(ctx: ViewContext, site: Site): HTMLElement {
  const error = messageBox("error");
  const start = h("button", { type: "button", class: "button button-danger", id: "delete-site" }, "Delete site…");
  const confirmInput = h("input", { type: "text", name: "confirm", autocomplete: "off", spellcheck: "false" });
  const confirmButton = h(
    "button",
    { type: "submit", class: "button button-danger", disabled: true },
    "Delete permanently",
  );
  const cancel = h("button", { type: "button", class: "button" }, "Cancel");
  const confirmForm = h(
    "form",
    { class: "form confirm", hidden: true },
    field("delete-confirm", `Type “${site.name}” to confirm`, confirmInput),
    h("div", { class: "actions" }, confirmButton, cancel),
  );
  const matches = () => confirmInput.value.trim() === site.name;
  confirmInput.addEventListener("input", () => {
    confirmButton.disabled = !matches();
  });
  start.addEventListener("click", () => {
    confirmForm.hidden = false;
    start.hidden = true;
    confirmInput.focus();
  });
  cancel.addEventListener("click", () => {
    confirmForm.hidden = true;
    start.hidden = false;
    confirmInput.value = "";
    confirmButton.disabled = true;
    start.focus();
  });
  confirmForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!matches()) return;
    error.hide();
    try {
      await busy(confirmButton, "Deleting…", () => ctx.api.deleteSite(site.id));
      ctx.flash(`${site.name} was deleted.`);
      ctx.navigate(paths.sites(), { replace: true });
    } catch (err) {
      error.show(errorMessage(err), errorDetail(err));
    }
  });
  return h(
    "section",
    { class: "card card-danger", "aria-labelledby": "danger-heading" },
    h("h2", { id: "danger-heading" }, "Delete this site"),
    h(
      "p",
      {},
      "Deleting removes the site and all its statistics, and its recordings within the hour. Its snippet stops counting at once. This cannot be undone.",
    ),
    error.el,
    start,
    confirmForm,
  );
}
