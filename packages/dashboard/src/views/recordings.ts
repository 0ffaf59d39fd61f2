/**
 * A site's recordings: the filters (kept in the address bar, so a filtered list can be shared
 * and survives a reload), the list a page at a time, and a link to each one's player.
 */
import { LIMITS } from "@sightline/shared/limits";
import { FLAG_LIMITS, FLAG_VARIANT } from "@sightline/shared/limits/flags";
import type { RecordingSummary } from "../api/index.ts";
import type { ViewContext } from "../context.ts";
import { busy, field, h, messageBox } from "../lib/dom.ts";
import { errorDetail, errorMessage } from "../lib/errors.ts";
import { countryName, deviceLabel, formatCount, formatDateTime } from "../lib/format.ts";
import { type FilterForm, formatDuration, formFromQuery, formToFilters, formToQuery } from "../lib/recordings.ts";
import { paths } from "../lib/router.ts";

const PAGE_SIZE = 25;

export async function renderRecordings(
  ctx: ViewContext,
  main: HTMLElement,
  siteId: string,
  search: string,
): Promise<void> {
  ctx.setTitle("Recordings");
  const heading = h("h1", { tabindex: "-1" }, "Recordings");
  const notice = messageBox("success");
  const flash = ctx.takeFlash();
  if (flash) notice.show(flash);
  const error = messageBox("error");
  const form = formFromQuery(search);
  const filters = filterForm(form, (next) => ctx.navigate(paths.recordings(siteId, formToQuery(next))));

  const body = h("tbody", {});
  const table = h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      { class: "recordings-table", id: "recording-list" },
      h("caption", { class: "visually-hidden" }, "Recordings"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "Started"),
          h("th", { scope: "col", class: "num" }, "Duration"),
          h("th", { scope: "col" }, "Pages"),
          h("th", { scope: "col", class: "num" }, "Clicks"),
          h("th", { scope: "col" }, "Signals"),
          h("th", { scope: "col" }, "Device"),
          h("th", { scope: "col" }, "Country"),
        ),
      ),
      body,
    ),
  );
  const more = h("button", { type: "button", class: "button", id: "recordings-more", hidden: true }, "Load more");
  const listSection = h(
    "section",
    { class: "card table-card", "aria-labelledby": "recordings-heading", "aria-busy": "true" },
    h("h2", { id: "recordings-heading", class: "visually-hidden" }, "Recordings found"),
    h("p", { class: "loading" }, "Loading recordings…"),
  );
  main.append(h("div", { class: "page-head" }, heading), notice.el, error.el, filters, listSection);

  const site = ctx.api.getSite(siteId, { signal: ctx.signal }).then(
    ({ data }) => {
      ctx.setTitle(`${data.name} recordings`);
      heading.textContent = `${data.name}: recordings`;
      return data;
    },
    () => null,
  );

  const query = formToFilters(form);
  let cursor: string | null = null;
  let count = 0;
  const load = async () => {
    const { data } = await ctx.api.listRecordings(siteId, {
      ...query,
      cursor: cursor ?? undefined,
      limit: PAGE_SIZE,
      signal: ctx.signal,
    });
    count += data.items.length;
    for (const r of data.items) body.append(row(siteId, r));
    cursor = data.nextCursor;
    more.hidden = cursor === null;
  };

  try {
    await load();
  } catch (err) {
    if (ctx.signal.aborted) return;
    error.show(errorMessage(err), errorDetail(err));
    return;
  } finally {
    listSection.removeAttribute("aria-busy");
    listSection.querySelector(".loading")?.remove();
  }
  if (count === 0) {
    const filtered = formToQuery(form) !== "";
    const s = await site;
    listSection.append(
      h(
        "div",
        { class: "empty", id: "recordings-empty" },
        h("p", { class: "empty-title" }, filtered ? "No recording matches these filters" : "No recordings yet"),
        h(
          "p",
          {},
          filtered
            ? "Clear a filter or widen the dates."
            : s && s.recordingSampleRate === 0
              ? "Recording is off for this site. Set a sample rate in its settings to start recording sessions."
              : "Sessions are recorded as visitors browse; a recording shows here about a minute after it starts.",
        ),
        s && s.recordingSampleRate === 0 && !filtered
          ? h("p", {}, h("a", { href: paths.settings(siteId) }, "Open the site's settings"))
          : null,
      ),
    );
    return;
  }
  listSection.append(table, h("div", { class: "actions" }, more));
  more.addEventListener("click", async () => {
    error.hide();
    try {
      await busy(more, "Loading…", load);
    } catch (err) {
      error.show(errorMessage(err), errorDetail(err));
    }
  });
}

function row(siteId: string, r: RecordingSummary): HTMLTableRowElement {
  const signals = [
    r.rageClicks > 0 ? h("span", { class: "tag tag-warn" }, `${formatCount(r.rageClicks)} rage`) : null,
    r.errors > 0 ? h("span", { class: "tag tag-error" }, `${formatCount(r.errors)} errors`) : null,
  ];
  const pages = r.pages.length > 0 ? r.pages : ["–"];
  return h(
    "tr",
    { "data-recording-id": r.id },
    h(
      "td",
      {},
      h(
        "a",
        {
          href: paths.recording(siteId, r.id),
          "aria-label": `Play the recording started ${formatDateTime(r.startedAt)}`,
        },
        formatDateTime(r.startedAt),
      ),
    ),
    h("td", { class: "num" }, formatDuration(r.durationMs)),
    h(
      "td",
      { class: "pages-cell", title: r.pages.join("\n") },
      pages[0] as string,
      r.pages.length > 1 ? h("span", { class: "more-pages" }, ` +${r.pages.length - 1}`) : null,
    ),
    h("td", { class: "num" }, formatCount(r.clicks)),
    h("td", {}, signals.some(Boolean) ? signals : "–"),
    h("td", {}, deviceLabel(r.device)),
    h("td", {}, r.country ? countryName(r.country) : "Unknown"),
  );
}

/** The filter form; `apply` gets the filters when it is submitted or cleared. */
function filterForm(current: FilterForm, apply: (f: FilterForm) => void): HTMLElement {
  const input = (name: string, value: string, attrs: Record<string, string | number> = {}) => {
    const el = h("input", { name, autocomplete: "off", ...attrs });
    el.value = value;
    return el;
  };
  const from = input("from", current.from, { type: "date" });
  const to = input("to", current.to, { type: "date" });
  const min = input("min", current.minSeconds, { type: "number", min: 0, step: 1, inputmode: "numeric" });
  const max = input("max", current.maxSeconds, { type: "number", min: 0, step: 1, inputmode: "numeric" });
  const page = input("page", current.page, {
    type: "text",
    maxlength: LIMITS.collect.maxUrlLength,
    placeholder: "/pricing or /docs/*",
  });
  const referrer = input("referrer", current.referrer, {
    type: "text",
    maxlength: LIMITS.collect.maxUrlLength,
    placeholder: "https://news.example/*",
  });
  const country = input("country", current.country, {
    type: "text",
    maxlength: 2,
    placeholder: "DE",
    pattern: "[A-Za-z][A-Za-z0-9]",
  });
  const flag = input("flag", current.flag, {
    type: "text",
    maxlength: FLAG_LIMITS.maxKeyLength + 1 + FLAG_LIMITS.maxVariantNameLength,
    placeholder: "new-checkout=b",
  });
  // The same check the API makes, said at the field (a pattern attribute would need the regex
  // rewritten for the browser's v-mode).
  flag.addEventListener("input", () =>
    flag.setCustomValidity(
      flag.value.trim() === "" || FLAG_VARIANT.test(flag.value.trim())
        ? ""
        : "A flag key and one of its variants, as new-checkout=b.",
    ),
  );
  const device = h(
    "select",
    { name: "device" },
    [
      ["", "Any device"],
      ["desktop", "Desktop"],
      ["mobile", "Mobile"],
      ["tablet", "Tablet"],
    ].map(([v, label]) => h("option", { value: v as string }, label as string)),
  );
  device.value = current.device;
  const sort = h(
    "select",
    { name: "sort" },
    [
      ["start", "Newest first"],
      ["duration", "Longest first"],
      ["activity", "Most active first"],
    ].map(([v, label]) => h("option", { value: v as string }, label as string)),
  );
  sort.value = current.sort;
  const check = (id: string, label: string, checked: boolean) => {
    const box = h("input", { type: "checkbox", id, name: id });
    box.checked = checked;
    return { box, el: h("div", { class: "field field-check" }, box, h("label", { for: id }, label)) };
  };
  const rage = check("filter-rage", "With rage clicks", current.rageClicks);
  const errors = check("filter-errors", "With errors", current.errors);
  const submit = h("button", { type: "submit", class: "button button-primary" }, "Apply filters");
  const clear = h("button", { type: "button", class: "button", id: "filters-clear" }, "Clear");

  const read = (): FilterForm => ({
    sort: sort.value as FilterForm["sort"],
    from: from.value,
    to: to.value,
    minSeconds: min.value.trim(),
    maxSeconds: max.value.trim(),
    page: page.value,
    device: device.value,
    country: country.value.trim().toUpperCase(),
    referrer: referrer.value,
    rageClicks: rage.box.checked,
    errors: errors.box.checked,
    flag: flag.value.trim(),
  });
  const form = h(
    "form",
    { class: "form filters", id: "recording-filters", role: "search" },
    h(
      "div",
      { class: "field-row" },
      field("filter-from", "Started from", from),
      field("filter-to", "Started until", to),
      field("filter-min", "Min. duration (s)", min),
      field("filter-max", "Max. duration (s)", max),
    ),
    h(
      "div",
      { class: "field-row" },
      field("filter-page", "Visited page", page, "Exact, or a prefix ending in *."),
      field("filter-referrer", "Referrer", referrer, "Exact, or a prefix ending in *."),
      field("filter-device", "Device", device),
      field("filter-country", "Country code", country),
    ),
    h(
      "div",
      { class: "field-row field-row-end" },
      field("filter-flag", "Flag variant", flag, "A flag and one of its variants: key=variant."),
      rage.el,
      errors.el,
      field("filter-sort", "Order", sort),
    ),
    h("div", { class: "actions" }, submit, clear),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    apply(read());
  });
  clear.addEventListener("click", () => apply({ ...read(), ...formFromQuery("") }));
  return h(
    "section",
    { class: "card", "aria-labelledby": "filters-heading" },
    h("h2", { id: "filters-heading" }, "Filters"),
    form,
  );
}
