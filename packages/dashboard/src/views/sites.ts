/** The sites the account owns, and the form that adds one. */
import { LIMITS } from "@sightline/shared/limits";
import type { Site } from "../api/index.ts";
import type { ViewContext } from "../context.ts";
import { busy, field, h, messageBox } from "../lib/dom.ts";
import { errorDetail, errorMessage } from "../lib/errors.ts";
import { paths } from "../lib/router.ts";
import { checkedSiteForm } from "./site-form.ts";

const PAGE_SIZE = 50;

export async function renderSites(ctx: ViewContext, main: HTMLElement): Promise<void> {
  ctx.setTitle("Sites");
  const notice = messageBox("success");
  const flash = ctx.takeFlash();
  if (flash) notice.show(flash);
  const error = messageBox("error");
  const list = h("ul", { class: "site-list", id: "site-list" });
  const listSection = h("section", { class: "sites", "aria-labelledby": "sites-heading", "aria-busy": "true" });
  const more = h("button", { type: "button", class: "button", hidden: true }, "Load more sites");
  listSection.append(
    h("h2", { id: "sites-heading", class: "visually-hidden" }, "Your sites"),
    h("p", { class: "loading" }, "Loading sites…"),
  );

  main.append(
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, "Sites")),
    notice.el,
    error.el,
    listSection,
    createForm(ctx),
  );

  let cursor: string | null = null;
  let count = 0;
  const load = async () => {
    const { data } = await ctx.api.listSites({ cursor: cursor ?? undefined, limit: PAGE_SIZE, signal: ctx.signal });
    count += data.items.length;
    for (const site of data.items) list.append(siteItem(site));
    cursor = data.nextCursor;
    more.hidden = cursor === null;
  };

  try {
    await load();
  } catch (err) {
    if (ctx.signal.aborted) return;
    listSection.removeAttribute("aria-busy");
    listSection.querySelector(".loading")?.remove();
    error.show(errorMessage(err), errorDetail(err));
    return;
  }
  listSection.removeAttribute("aria-busy");
  listSection.querySelector(".loading")?.remove();
  if (count === 0) {
    listSection.append(
      h(
        "div",
        { class: "empty", id: "sites-empty" },
        h("p", { class: "empty-title" }, "No sites yet"),
        h("p", {}, "Add your first site below. You will get a snippet to paste into its pages."),
      ),
    );
  } else {
    listSection.append(list, more);
  }
  more.addEventListener("click", async () => {
    error.hide();
    try {
      await busy(more, "Loading…", load);
    } catch (err) {
      error.show(errorMessage(err), errorDetail(err));
    }
  });
}

function siteItem(site: Site): HTMLLIElement {
  return h(
    "li",
    { class: "card site-card", "data-site-id": site.id },
    h("h3", {}, h("a", { href: paths.overview(site.id) }, site.name)),
    h(
      "dl",
      { class: "meta" },
      h("div", {}, h("dt", {}, "Site key"), h("dd", {}, h("code", {}, site.key))),
      h(
        "div",
        {},
        h("dt", {}, "Origins"),
        h("dd", {}, site.origins.length > 0 ? site.origins.join(", ") : "None yet: nothing is counted"),
      ),
    ),
    h(
      "p",
      { class: "site-links" },
      h("a", { href: paths.overview(site.id), "aria-label": `Overview of ${site.name}` }, "Overview"),
      h("a", { href: paths.settings(site.id), "aria-label": `Settings of ${site.name}` }, "Settings"),
    ),
  );
}

function createForm(ctx: ViewContext): HTMLElement {
  const name = h("input", {
    type: "text",
    name: "name",
    autocomplete: "off",
    required: true,
    maxlength: LIMITS.api.maxNameLength,
  });
  const origins = h("textarea", { name: "origins", rows: 3, required: true, spellcheck: "false" });
  origins.placeholder = "https://example.com";
  const submit = h("button", { type: "submit", class: "button button-primary" }, "Add site");
  const error = messageBox("error");
  const form = h(
    "form",
    { class: "form", id: "create-site" },
    error.el,
    field("site-name", "Name", name),
    field(
      "site-origins",
      "Allowed origins",
      origins,
      "One per line, such as https://example.com. Only pages on these origins are counted.",
    ),
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.hide();
    const read = await checkedSiteForm({ name, origins });
    if (!read.ok) {
      error.show(read.errors.join(" "));
      read.focus.focus();
      return;
    }
    try {
      const { data } = await busy(submit, "Adding…", () => ctx.api.createSite(read.body));
      ctx.flash(`${data.name} is ready. Paste the snippet below into its pages.`);
      ctx.navigate(paths.settings(data.id));
    } catch (err) {
      error.show(errorMessage(err), errorDetail(err));
    }
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "create-heading" },
    h("h2", { id: "create-heading" }, "Add a site"),
    form,
  );
}
