/**
 * Maintenance mode in the dashboard (docs/MAINTENANCE.md): the page shown while the global
 * switch is on (the API answers 503 MAINTENANCE), and the switch itself on the Pipeline page.
 * A signed-in account can turn it off from the page; `pnpm maintenance off` does it when the
 * dashboard cannot.
 */
import { LIMITS } from "@sightline/shared/limits";
import type { Api, Maintenance } from "../api/index.ts";
import { busy, field, h, messageBox } from "../lib/dom.ts";
import { errorDetail, errorMessage } from "../lib/errors.ts";
import { formatDateTime } from "../lib/format.ts";

// The API's own limit, read from the one table: the form cannot drift from what is enforced.
const MAX_MESSAGE = LIMITS.api.maxMaintenanceMessageLength;

/** The page in place of any view while maintenance is on. */
export function renderMaintenancePage(
  main: HTMLElement,
  state: Maintenance,
  opts: { api: Api; signedIn: boolean; done: () => void },
): void {
  const error = messageBox("error");
  const parts: HTMLElement[] = [
    h("h1", { tabindex: "-1" }, "Sightline is under maintenance"),
    h(
      "p",
      { id: "maintenance-message" },
      state.message || "The dashboard and the API are paused for a moment. Your sites go on collecting data.",
    ),
  ];
  if (state.since) parts.push(h("p", { class: "hint" }, `Since ${formatDateTime(state.since)}.`));
  const retry = h("button", { type: "button", class: "button", id: "maintenance-retry" }, "Try again");
  retry.addEventListener("click", () => opts.done());
  const actions = h("div", { class: "actions" }, retry);
  if (opts.signedIn) {
    const off = h(
      "button",
      { type: "button", class: "button button-primary", id: "maintenance-off" },
      "End maintenance",
    );
    off.addEventListener("click", async () => {
      try {
        await busy(off, "Ending…", () => opts.api.setMaintenance({ on: false }));
        opts.done();
      } catch (err) {
        error.show(errorMessage(err), errorDetail(err));
      }
    });
    actions.append(off);
  }
  main.append(h("section", { class: "card", id: "maintenance-page" }, ...parts, error.el, actions));
}

/** The Pipeline page's switch: on with a note for visitors of the dashboard, or off. */
export function maintenanceCard(api: Api, signal: AbortSignal): HTMLElement {
  const state = h("p", { id: "maintenance-state" }, "Checking…");
  const message = h("input", {
    type: "text",
    name: "message",
    id: "maintenance-note",
    maxlength: String(MAX_MESSAGE),
    placeholder: "Upgrading the database; back within the hour.",
  });
  const on = h("button", { type: "submit", class: "button", id: "maintenance-on" }, "Start maintenance");
  const error = messageBox("error");
  const form = h(
    "form",
    { id: "maintenance-form" },
    field("maintenance-note", "Note on the maintenance page (optional)", message),
    on,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.hide();
    if (message.value.length > MAX_MESSAGE) {
      error.show(`Keep the note to ${MAX_MESSAGE} characters.`);
      return;
    }
    try {
      await busy(on, "Starting…", () => api.setMaintenance({ on: true, message: message.value.trim() }));
      // The API now answers 503 MAINTENANCE: reloading shows the maintenance page.
      location.reload();
    } catch (err) {
      error.show(errorMessage(err), errorDetail(err));
    }
  });
  api.maintenance({ signal }).then(
    ({ data }) => {
      state.textContent = data.on ? "On." : "Off: the API and the dashboard answer as usual.";
    },
    (err) => {
      if (!signal.aborted) state.textContent = `Unknown: ${errorMessage(err)}`;
    },
  );
  return h(
    "section",
    { class: "card", "aria-labelledby": "maintenance-heading", id: "maintenance" },
    h("h2", { id: "maintenance-heading" }, "Maintenance"),
    state,
    h(
      "p",
      { class: "hint" },
      "While on, the API answers every request with 503 and the dashboard shows a maintenance page; the sites' tracking goes on being accepted and queued. End it from that page, or with pnpm maintenance off.",
    ),
    error.el,
    form,
  );
}
