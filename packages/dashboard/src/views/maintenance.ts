/**
 * Maintenance mode in the dashboard (docs/MAINTENANCE.md): the page shown while the global
 * switch, or the site's, is on (the API answers 503 MAINTENANCE), and the switches themselves:
 * the global one on the Pipeline page, a site's on its Settings page. A signed-in account can
 * end it from the page; `pnpm maintenance off [--site <id>]` does it when the dashboard cannot.
 */
import { LIMITS } from "@sightline/shared/limits";
import type { Api, Maintenance } from "../api/index.ts";
import { busy, field, h, messageBox } from "../lib/dom.ts";
import { errorDetail, errorMessage } from "../lib/errors.ts";
import { formatDateTime } from "../lib/format.ts";

// The API's own limit, read from the one table: the form cannot drift from what is enforced.
const MAX_MESSAGE = LIMITS.api.maxMaintenanceMessageLength;

/** One switch: the global one, or a site's. */
const flip = (api: Api, siteId: string | undefined, to: { on: boolean; message?: string }) =>
  siteId ? api.setSiteMaintenance(siteId, to) : api.setMaintenance(to);

/** The page in place of any view while maintenance is on: everywhere, or for the site `siteId`. */
export function renderMaintenancePage(
  main: HTMLElement,
  state: Maintenance,
  opts: { api: Api; signedIn: boolean; done: () => void; siteId?: string },
): void {
  const error = messageBox("error");
  const parts: HTMLElement[] = [
    h("h1", { tabindex: "-1" }, opts.siteId ? "This site is under maintenance" : "Sightline is under maintenance"),
    h(
      "p",
      { id: "maintenance-message" },
      state.message ||
        (opts.siteId
          ? "Its reports are paused for a moment. It goes on collecting data."
          : "The dashboard and the API are paused for a moment. Your sites go on collecting data."),
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
        await busy(off, "Ending…", () => flip(opts.api, opts.siteId, { on: false }));
        opts.done();
      } catch (err) {
        error.show(errorMessage(err), errorDetail(err));
      }
    });
    actions.append(off);
  }
  if (opts.siteId) actions.append(h("a", { href: "/sites", class: "button button-quiet" }, "All sites"));
  main.append(h("section", { class: "card", id: "maintenance-page" }, ...parts, error.el, actions));
}

/**
 * A switch: the Pipeline page's for everything, a site's Settings page's for that site. Only
 * "on" is offered here: while on, the pages that show it answer the maintenance page instead.
 */
export function maintenanceCard(api: Api, signal: AbortSignal, siteId?: string): HTMLElement {
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
      await busy(on, "Starting…", () => flip(api, siteId, { on: true, message: message.value.trim() }));
      // The API now answers 503 MAINTENANCE: reloading shows the maintenance page.
      location.reload();
    } catch (err) {
      error.show(errorMessage(err), errorDetail(err));
    }
  });
  (siteId ? api.siteMaintenance(siteId, { signal }) : api.maintenance({ signal })).then(
    ({ data }) => {
      state.textContent = data.on
        ? "On."
        : `Off: ${siteId ? "this site's reports answer" : "the API and the dashboard answer"} as usual.`;
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
      siteId
        ? "While on, the API answers this site's requests with 503 and its pages show a maintenance page; its tracking goes on being accepted and queued, and other sites are untouched. End it from that page, or with pnpm maintenance off --site <id>."
        : "While on, the API answers every request with 503 and the dashboard shows a maintenance page; the sites' tracking goes on being accepted and queued. End it from that page, or with pnpm maintenance off.",
    ),
    error.el,
    form,
  );
}
