/**
 * A site's heatmaps: pick a page (of the site's top pages) and a device class, and see where
 * visitors click, rest the pointer, rage-click and dead-click, and how far they scroll, drawn
 * over a snapshot of that page; beside it, the most clicked elements, and the site's pages and
 * elements ranked by rage and dead clicks (each row opens its heatmap). Over the last 30 UTC days
 * or days picked, of all visitors or of those served one variant of a flag that splits heatmaps.
 * The choice is kept in the address bar. The rebuild and heat layer
 * (src/heatmap/layer.ts) load on this page only.
 */
import type { FrustrationRow, HeatDevice, Heatmap, HeatmapType, PageSnapshot, UtcDays } from "../api/index.ts";
import { ApiError } from "../api/index.ts";
import type { ViewContext } from "../context.ts";
import { field, h, messageBox } from "../lib/dom.ts";
import { errorDetail, errorMessage } from "../lib/errors.ts";
import { formatCount, formatDateTime } from "../lib/format.ts";
import {
  DEFAULT_HEAT_DAYS,
  elementPoints,
  gridPoints,
  heatDays,
  heatVariant,
  scrollBands,
  type VisitorChoice,
  visitorChoices,
} from "../lib/heatmap.ts";
import { customRange } from "../lib/range.ts";
import { paths } from "../lib/router.ts";
import { addDays } from "../lib/zone.ts";

const DEVICES: [HeatDevice, string][] = [
  ["desktop", "Desktop"],
  ["tablet", "Tablet"],
  ["mobile", "Mobile"],
];
const TYPES: [HeatmapType, string][] = [
  ["click", "Clicks"],
  ["move", "Moves"],
  ["scroll", "Scroll"],
  ["rage", "Rage clicks"],
  ["dead", "Dead clicks"],
];
/** What the summary counts, one and many. */
const NOUNS: Record<HeatmapType, [string, string]> = {
  click: ["click", "clicks"],
  move: ["pointer rest", "pointer rests"],
  scroll: ["pageview with a scroll depth", "pageviews with a scroll depth"],
  rage: ["rage click", "rage clicks"],
  dead: ["dead click", "dead clicks"],
};
const counted = (n: number, t: HeatmapType) => `${formatCount(n)} ${NOUNS[t][n === 1 ? 0 : 1]}`;
const utcMidnight = (day: string) => new Date(`${day}T00:00:00Z`);

export async function renderHeatmaps(ctx: ViewContext, main: HTMLElement, siteId: string, search: string) {
  ctx.setTitle("Heatmaps");
  const q = new URLSearchParams(search);
  const device = (DEVICES.find(([d]) => d === q.get("device"))?.[0] ?? "desktop") as HeatDevice;
  const type = (TYPES.find(([t]) => t === q.get("type"))?.[0] ?? "click") as HeatmapType;
  // A range picked by hand stays in the address bar; the default moves with the clock.
  const picked = q.has("from") && q.has("to");
  const days = heatDays(search, Date.now());
  // "" all visitors, or `<flag key>=<variant>`: those served a variant of a flag that splits heatmaps.
  const variant = heatVariant(search);
  const rangeText = picked ? `${days.from} to ${days.to} (UTC)` : `last ${DEFAULT_HEAT_DAYS} days`;
  const error = messageBox("error");
  const heading = h("h1", { tabindex: "-1" }, "Heatmaps");
  main.append(h("div", { class: "page-head" }, heading), error.el);

  // Frustration is site-wide: asked for at once, shown whichever page is picked.
  const frustration = ctx.api.frustration(siteId, { ...days, variant, signal: ctx.signal }).then((r) => r.data.items);
  frustration.catch(() => {});
  // The flags that split heatmaps, for the Visitors picker; without them, all visitors only.
  const flags = ctx.api
    .listFlags(siteId, { signal: ctx.signal })
    .then((r) => r.data.items)
    .catch(() => []);
  let pages: string[] = [];
  try {
    const top = await ctx.api.pages(siteId, {
      from: utcMidnight(days.from),
      to: utcMidnight(addDays(days.to, 1)),
      limit: 25,
      signal: ctx.signal,
    });
    pages = top.data.items.map((p) => p.path);
  } catch (err) {
    if (ctx.signal.aborted) return;
    error.show(errorMessage(err), errorDetail(err));
  }
  const path = q.get("path") ?? pages[0] ?? "";
  if (path && !pages.includes(path)) pages.unshift(path);
  if (!path) {
    main.append(
      h(
        "section",
        { class: "card empty" },
        h("p", { class: "empty-title" }, "No pages yet"),
        h("p", {}, `Heatmaps appear once the site's pages have had visitors (${rangeText}).`),
      ),
    );
    return;
  }

  type Choice = { path?: string; device?: HeatDevice; type?: HeatmapType; days?: UtcDays; variant?: string };
  const href = (next: Choice) => {
    const p = new URLSearchParams({ path: next.path ?? path, device: next.device ?? device, type: next.type ?? type });
    const v = next.variant ?? variant;
    if (v) p.set("variant", v);
    const range = next.days ?? (picked ? days : null);
    if (range) {
      p.set("from", range.from);
      p.set("to", range.to);
    }
    return paths.heatmaps(siteId, p.toString());
  };
  const go = (next: Choice) => ctx.navigate(href(next));
  const pageSelect = h(
    "select",
    { name: "path" },
    pages.map((p) => h("option", { value: p }, p)),
  );
  pageSelect.value = path;
  pageSelect.addEventListener("change", () => go({ path: pageSelect.value }));
  const deviceSelect = h(
    "select",
    { name: "device" },
    DEVICES.map(([d, label]) => h("option", { value: d }, label)),
  );
  deviceSelect.value = device;
  deviceSelect.addEventListener("change", () => go({ device: deviceSelect.value as HeatDevice }));
  // Drawn at once with the choice the address holds, the flags' variants added when they come:
  // the heatmap does not wait for the list of flags.
  const visitorSelect = h("select", { name: "variant" });
  const visitorHint = h("p", { class: "hint", id: "heatmap-variant-hint" });
  const drawVisitors = (choices: VisitorChoice[]) => {
    visitorSelect.replaceChildren(...choices.map((c) => h("option", { value: c.value }, c.label)));
    visitorSelect.value = variant;
    visitorHint.textContent =
      choices.length > 1
        ? "A flag variant's visitors: counted from when its flag split heatmaps."
        : "To compare a flag's variants, tick “Split heatmaps by variant” on the flag.";
  };
  drawVisitors(visitorChoices([], variant));
  void flags.then((list) => {
    if (!ctx.signal.aborted) drawVisitors(visitorChoices(list, variant));
  });
  visitorSelect.addEventListener("change", () => go({ variant: visitorSelect.value }));
  const toggles = h(
    "div",
    { class: "segmented", role: "group", "aria-label": "Show", id: "heatmap-type" },
    TYPES.map(([t, label]) => {
      const b = h(
        "button",
        { type: "button", class: "segment", "aria-pressed": String(t === type), "data-type": t },
        label,
      );
      b.addEventListener("click", () => go({ type: t }));
      return b;
    }),
  );
  const fromInput = h("input", { type: "date", name: "from", id: "heatmap-from", value: days.from, required: true });
  const toInput = h("input", { type: "date", name: "to", id: "heatmap-to", value: days.to, required: true });
  const rangeError = h("p", { class: "range-error", role: "alert", id: "heatmap-range-error", hidden: true });
  const rangeForm = h(
    "form",
    { class: "range-form", "aria-label": "Days (UTC)", novalidate: true, id: "heatmap-range" },
    h("label", { for: "heatmap-from" }, "From"),
    fromInput,
    h("label", { for: "heatmap-to" }, "To"),
    toInput,
    h("button", { type: "submit", class: "button" }, "Apply"),
  );
  rangeForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const r = customRange(fromInput.value, toInput.value, "UTC");
    if (!r.ok) {
      rangeError.textContent = r.error;
      rangeError.hidden = false;
      return;
    }
    go({ days: r.spec });
  });
  main.append(
    h(
      "section",
      { class: "card heat-controls" },
      h(
        "div",
        { class: "field-row" },
        field("heatmap-page", "Page", pageSelect),
        field("heatmap-device", "Device", deviceSelect),
        visitorsField(visitorSelect, visitorHint),
      ),
      h("div", { class: "field" }, h("span", { class: "label" }, "Days (UTC)"), rangeForm, rangeError),
      h("div", { class: "field" }, h("span", { class: "label" }, "Show"), toggles),
    ),
  );

  const summary = h("p", { class: "hint", id: "heatmap-summary", "aria-live": "polite" });
  const stageHost = h("div", { class: "heat-host", id: "heat-host" });
  const stageCard = h("section", { class: "card", "aria-label": "Heatmap", "aria-busy": "true" }, summary, stageHost);
  const listBody = h("tbody", {});
  const listCard = h(
    "section",
    { class: "card table-card", "aria-labelledby": "heatmap-elements-heading" },
    h("h2", { id: "heatmap-elements-heading" }, "Most clicked elements"),
    h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        { id: "heatmap-elements" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Element"),
            h("th", { scope: "col", class: "num" }, "Clicks"),
            h("th", { scope: "col", class: "num" }, "Rage clicks"),
            h("th", { scope: "col", class: "num" }, "Dead clicks"),
          ),
        ),
        listBody,
      ),
    ),
  );
  const frustrationBody = h("tbody", {});
  const frustrationCard = h(
    "section",
    { class: "card table-card", "aria-labelledby": "frustration-heading" },
    h("h2", { id: "frustration-heading" }, "Where visitors get frustrated"),
    h("p", { class: "hint" }, "Every page and device, most rage and dead clicks first. Open one to see its heatmap."),
    h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        { id: "frustration" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Page"),
            h("th", { scope: "col" }, "Element"),
            h("th", { scope: "col", class: "num" }, "Rage clicks"),
            h("th", { scope: "col", class: "num" }, "Dead clicks"),
          ),
        ),
        frustrationBody,
      ),
    ),
  );
  main.append(stageCard, listCard, frustrationCard);
  // A row opens its page's heatmap of whichever frustration it has more of.
  const heatmapOf = (row: FrustrationRow) => href({ path: row.path, type: row.rage >= row.dead ? "rage" : "dead" });
  void frustration.then(
    (rows) => showFrustration(frustrationBody, rows, heatmapOf),
    (err) => {
      if (!ctx.signal.aborted) frustrationBody.append(emptyRow(`Could not load: ${errorMessage(err)}`));
    },
  );

  const ask = (t: HeatmapType) =>
    ctx.api.heatmap(siteId, { path, device, type: t, variant, ...days, signal: ctx.signal }).then((r) => r.data);
  let shown: Heatmap;
  let clicks: Heatmap;
  let rage: Heatmap;
  let dead: Heatmap;
  let snapshot: PageSnapshot | null;
  let layer: typeof import("../heatmap/layer.ts");
  try {
    [clicks, rage, dead, snapshot, layer] = await Promise.all([
      ask("click"),
      ask("rage"),
      ask("dead"),
      ctx.api
        .heatmapSnapshot(siteId, { path, device, signal: ctx.signal })
        .then((r) => r.data)
        .catch((err) => {
          if (err instanceof ApiError && err.code === "SNAPSHOT_NOT_FOUND") return null;
          throw err;
        }),
      import("../heatmap/layer.ts"),
    ]);
    shown = type === "click" ? clicks : type === "rage" ? rage : type === "dead" ? dead : await ask(type);
  } catch (err) {
    if (ctx.signal.aborted) return;
    error.show(errorMessage(err), errorDetail(err));
    return;
  } finally {
    stageCard.removeAttribute("aria-busy");
  }

  const counts = (m: Heatmap) => new Map((m.items ?? []).map((i) => [i.selector, i.count]));
  const rageBy = counts(rage);
  const deadBy = counts(dead);
  const items = clicks.items ?? [];
  if (items.length === 0) {
    listBody.append(
      h("tr", {}, h("td", { colspan: 4, class: "empty" }, "No clicks on this page for this device yet.")),
    );
  }
  for (const item of items.slice(0, 50)) {
    listBody.append(
      h(
        "tr",
        { "data-selector": item.selector },
        h("td", {}, h("code", {}, item.selector)),
        h("td", { class: "num" }, formatCount(item.count)),
        h("td", { class: "num" }, formatCount(rageBy.get(item.selector) ?? 0)),
        h("td", { class: "num" }, formatCount(deadBy.get(item.selector) ?? 0)),
      ),
    );
  }

  const whose = variant ? ` of visitors served ${variant.replace("=", ": ")}` : "";
  summary.textContent = `${counted((type === "scroll" ? shown.pageviews : shown.total) ?? 0, type)}${whose}, ${rangeText}.`;
  if (!snapshot) {
    stageHost.append(
      h(
        "div",
        { class: "empty", id: "heatmap-no-snapshot" },
        h("p", { class: "empty-title" }, "No snapshot of this page yet"),
        h(
          "p",
          {},
          "The next visitor of this page on this device takes one (with heatmaps on). The counts below are already here.",
        ),
      ),
    );
    return;
  }
  summary.textContent += ` Page as seen ${formatDateTime(snapshot.takenAt)}.`;
  const stage = layer.mountStage(stageHost, snapshot);
  if (type === "scroll") {
    stage.heat([]);
    stage.scroll(scrollBands(shown.reach ?? []));
  } else {
    stage.scroll(null);
    const points = [
      ...elementPoints(shown.items ?? [], (s) => stage.locate(s)),
      ...gridPoints(shown.grid ?? [], stage.width),
    ];
    stage.heat(points);
    stageHost.dataset.points = String(points.length);
  }
  stageHost.dataset.type = type;
}

/** The Visitors picker's field: its hint is redrawn with the choices, so it is built here, not by `field`. */
function visitorsField(select: HTMLSelectElement, hint: HTMLElement): HTMLElement {
  select.id = "heatmap-variant";
  select.setAttribute("aria-describedby", hint.id);
  return h("div", { class: "field" }, h("label", { for: select.id }, "Visitors"), select, hint);
}

const emptyRow = (text: string) => h("tr", {}, h("td", { colspan: 4, class: "empty" }, text));

/** The frustration ranking: one row per page and element, each a link to that page's heatmap. */
function showFrustration(body: HTMLElement, rows: FrustrationRow[], heatmapOf: (row: FrustrationRow) => string) {
  if (rows.length === 0) {
    body.append(emptyRow("No rage or dead clicks in these days."));
    return;
  }
  for (const row of rows) {
    body.append(
      h(
        "tr",
        { "data-path": row.path, "data-selector": row.selector },
        h("td", {}, h("a", { href: heatmapOf(row) }, row.path)),
        h("td", {}, h("code", {}, row.selector)),
        h("td", { class: "num" }, formatCount(row.rage)),
        h("td", { class: "num" }, formatCount(row.dead)),
      ),
    );
  }
}
