/**
 * A site's feature flags: each with its on/off switch (a PATCH of `enabled`, put back with the
 * reason when the API refuses it), what it serves in one line and when it last changed. This
 * module and the editor are one lazily loaded chunk: they carry zod, for the shared flagSchema.
 */
import type { Flag } from "../api/index.ts";
import type { ViewContext } from "../context.ts";
import { h, messageBox } from "../lib/dom.ts";
import { errorDetail, errorMessage } from "../lib/errors.ts";
import { flagSummary } from "../lib/flags.ts";
import { formatDateTime } from "../lib/format.ts";
import { paths } from "../lib/router.ts";

export { renderFlagEditor } from "./flag-editor.ts";

export async function renderFlags(ctx: ViewContext, main: HTMLElement, siteId: string): Promise<void> {
  ctx.setTitle("Flags");
  const notice = messageBox("success");
  const flash = ctx.takeFlash();
  if (flash) notice.show(flash);
  const error = messageBox("error");
  const create = h("a", { href: paths.flag(siteId, null), class: "button button-primary", id: "new-flag" }, "New flag");
  const loading = h("p", { class: "loading" }, "Loading flags…");
  main.append(
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, "Flags"), create),
    notice.el,
    error.el,
    loading,
  );
  main.setAttribute("aria-busy", "true");

  let flags: Flag[];
  try {
    flags = (await ctx.api.listFlags(siteId, { signal: ctx.signal })).data.items;
  } catch (err) {
    if (ctx.signal.aborted) return;
    error.show(errorMessage(err), errorDetail(err));
    return;
  } finally {
    main.removeAttribute("aria-busy");
    loading.remove();
  }

  if (flags.length === 0) {
    main.append(
      h(
        "section",
        { class: "card empty", id: "flags-empty" },
        h("p", { class: "empty-title" }, "No flags yet"),
        h(
          "p",
          {},
          "A flag turns a feature on or off, or splits visitors between variants, without a deploy. Your pages read it with sightline.flag(key, fallback), servers over OFREP.",
        ),
        h("p", {}, h("a", { href: paths.flag(siteId, null), class: "button" }, "Create the first flag")),
      ),
    );
    return;
  }
  main.append(
    h(
      "section",
      { class: "card", "aria-label": "Flags" },
      h(
        "ul",
        { class: "flag-list", id: "flag-list" },
        flags.map((flag) => flagItem(ctx, siteId, flag, notice, error)),
      ),
    ),
  );
}

type Box = ReturnType<typeof messageBox>;

function flagItem(ctx: ViewContext, siteId: string, flag: Flag, notice: Box, error: Box): HTMLElement {
  const summary = h("p", { class: "flag-summary" }, flagSummary(flag));
  const updated = h("time", { datetime: flag.updatedAt }, formatDateTime(flag.updatedAt));
  const toggle = flagSwitch(flag.key, flag.enabled);
  let inFlight = false;
  toggle.el.addEventListener("click", async () => {
    if (inFlight) return;
    inFlight = true;
    const next = !flag.enabled;
    const words = next ? "on" : "off";
    notice.hide();
    error.hide();
    toggle.set(next);
    toggle.el.setAttribute("aria-busy", "true");
    try {
      const { data } = await ctx.api.updateFlag(siteId, flag.key, { enabled: next });
      Object.assign(flag, data);
      toggle.set(data.enabled);
      summary.textContent = flagSummary(data);
      updated.dateTime = data.updatedAt;
      updated.textContent = formatDateTime(data.updatedAt);
      notice.show(`${flag.key} is ${words}.`);
    } catch (err) {
      toggle.set(flag.enabled);
      error.show(`${flag.key} was not turned ${words}: ${errorMessage(err)}`, errorDetail(err));
    } finally {
      inFlight = false;
      toggle.el.removeAttribute("aria-busy");
    }
  });
  return h(
    "li",
    { class: "flag-item", "data-key": flag.key },
    toggle.el,
    h(
      "div",
      { class: "flag-main" },
      h("h2", { class: "flag-key" }, h("a", { href: paths.flag(siteId, flag.key) }, flag.key)),
      flag.description ? h("p", { class: "flag-description" }, flag.description) : null,
      summary,
    ),
    h("p", { class: "flag-updated" }, "Changed ", updated),
  );
}

/** A real switch: a button with role=switch whose aria-checked is the flag's state. */
function flagSwitch(key: string, on: boolean): { el: HTMLButtonElement; set(on: boolean): void } {
  const state = h("span", { class: "switch-state" });
  const el = h(
    "button",
    { type: "button", role: "switch", class: "switch", "aria-label": key, "data-switch": key },
    h("span", { class: "switch-track", "aria-hidden": "true" }, h("span", { class: "switch-knob" })),
    state,
  );
  const set = (value: boolean) => {
    el.setAttribute("aria-checked", String(value));
    state.textContent = value ? "On" : "Off";
  };
  set(on);
  return { el, set };
}
