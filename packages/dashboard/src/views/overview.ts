/**
 * A site's traffic: totals and a chart of pageviews and sessions over the chosen range, and
 * the top pages, referrers, devices and countries. Refreshes itself while the tab is visible.
 */
import type { ApiResult, Breakdown, BreakdownRow, PageRow, Site, Timeseries } from "../api/index.ts";
import { type Chart, timeChart } from "../chart.ts";
import type { ViewContext } from "../context.ts";
import { h, messageBox } from "../lib/dom.ts";
import { errorDetail, errorMessage } from "../lib/errors.ts";
import { countryName, deviceLabel, formatCount, formatTime, referrerLabel } from "../lib/format.ts";
import { fillSeries, RANGE_KEYS, RANGE_LABELS, type RangeKey, rangeFor } from "../lib/range.ts";
import { paths } from "../lib/router.ts";

const TABLE_LIMIT = 10;
const AUTO_REFRESH_MS = 30_000;

interface TableSpec {
  id: string;
  title: string;
  column: string;
  label: (row: BreakdownRow) => string;
}

const BREAKDOWNS: Record<Breakdown, TableSpec> = {
  referrers: { id: "referrers", title: "Referrers", column: "Referrer", label: (r) => referrerLabel(r.value) },
  devices: { id: "devices", title: "Devices", column: "Device", label: (r) => deviceLabel(r.value) },
  countries: { id: "countries", title: "Countries", column: "Country", label: (r) => countryName(r.value) },
};

export async function renderOverview(
  ctx: ViewContext,
  main: HTMLElement,
  siteId: string,
  initial: RangeKey,
): Promise<void> {
  ctx.setTitle("Overview");
  let range: RangeKey = initial;
  let chart: Chart | null = null;
  let loading: AbortController | null = null;
  ctx.signal.addEventListener("abort", () => {
    loading?.abort();
    chart?.destroy();
  });

  const heading = h("h1", { tabindex: "-1" }, "Overview");
  const error = messageBox("error");
  const stale = h(
    "p",
    { class: "message message-info stale", role: "status", hidden: true, id: "stale-notice" },
    "Showing cached data: the database is not reachable right now.",
  );
  const updated = h("span", { class: "updated", "aria-live": "polite" });
  const refresh = h("button", { type: "button", class: "button", id: "refresh" }, "Refresh");
  const rangeButtons = RANGE_KEYS.map((key) =>
    h(
      "button",
      { type: "button", class: "segment", "data-range": key, "aria-pressed": String(key === range) },
      RANGE_LABELS[key],
    ),
  );
  const toolbar = h(
    "div",
    { class: "toolbar" },
    h("div", { class: "segmented", role: "group", "aria-label": "Time range" }, rangeButtons),
    h("div", { class: "toolbar-end" }, updated, refresh),
  );

  const totalPageviews = h("dd", { "data-testid": "total-pageviews" }, "–");
  const totalSessions = h("dd", { "data-testid": "total-sessions" }, "–");
  const totals = h(
    "dl",
    { class: "totals" },
    h("div", { class: "total" }, h("dt", {}, "Pageviews"), totalPageviews),
    h("div", { class: "total" }, h("dt", {}, "Sessions"), totalSessions),
  );
  const chartBox = h("div", { class: "chart", role: "img", "aria-label": "Pageviews and sessions over time" });
  const chartEmpty = h(
    "div",
    { class: "empty chart-empty", hidden: true },
    h("p", { class: "empty-title" }, "No pageviews in this range yet"),
    h(
      "p",
      {},
      "Visits show up here a few seconds after they happen. Not installed yet? ",
      h("a", { href: paths.settings(siteId) }, "Get the snippet"),
      ".",
    ),
  );
  const chartCard = h(
    "section",
    { class: "card chart-card", "aria-labelledby": "chart-heading" },
    h("h2", { id: "chart-heading" }, "Traffic"),
    totals,
    chartBox,
    chartEmpty,
  );

  const pages = table("pages", "Top pages", "Page");
  const breakdowns = (Object.keys(BREAKDOWNS) as Breakdown[]).map((kind) => {
    const spec = BREAKDOWNS[kind];
    return { kind, spec, view: table(spec.id, spec.title, spec.column) };
  });

  const body = h(
    "div",
    { class: "overview", "aria-busy": "true" },
    chartCard,
    h(
      "div",
      { class: "tables" },
      pages.el,
      breakdowns.map((b) => b.view.el),
    ),
  );
  main.append(h("div", { class: "page-head" }, heading), toolbar, stale, error.el, body);

  let site: Site;
  try {
    site = (await ctx.api.getSite(siteId, { signal: ctx.signal })).data;
  } catch (err) {
    if (ctx.signal.aborted) return;
    body.remove();
    toolbar.remove();
    error.show(errorMessage(err), errorDetail(err));
    return;
  }
  heading.textContent = site.name;
  ctx.setTitle(`${site.name} overview`);

  const load = async (firstTime: boolean) => {
    loading?.abort();
    const controller = new AbortController();
    loading = controller;
    const signal = AbortSignal.any([ctx.signal, controller.signal]);
    const r = rangeFor(range, new Date());
    const q = { from: r.from, to: r.to, limit: TABLE_LIMIT, signal };
    body.setAttribute("aria-busy", "true");
    refresh.disabled = true;
    refresh.textContent = "Refreshing…";
    if (firstTime) {
      pages.loading();
      for (const b of breakdowns) b.view.loading();
    }
    const [series, top, ...rest] = await Promise.allSettled([
      ctx.api.timeseries(siteId, { ...q, interval: r.interval }),
      ctx.api.pages(siteId, q),
      ...breakdowns.map((b) => ctx.api.breakdown(siteId, b.kind, q)),
    ]);
    if (signal.aborted) return;
    body.removeAttribute("aria-busy");
    refresh.disabled = false;
    refresh.textContent = "Refresh";

    const results = [series, top, ...rest];
    const failed = results.find((x): x is PromiseRejectedResult => x.status === "rejected");
    if (failed) error.show(errorMessage(failed.reason), errorDetail(failed.reason));
    else error.hide();
    stale.hidden = !results.some((x) => x.status === "fulfilled" && (x.value as ApiResult<unknown>).stale);
    updated.textContent = failed ? "" : `Updated ${formatTime(new Date())}`;

    if (series.status === "fulfilled") {
      const ts: Timeseries = series.value.data;
      totalPageviews.textContent = formatCount(ts.totals.pageviews);
      totalSessions.textContent = formatCount(ts.totals.sessions);
      const filled = fillSeries(ts.points, r.from, r.to, r.interval);
      const empty = ts.totals.pageviews === 0;
      chartEmpty.hidden = !empty;
      chartBox.hidden = empty;
      if (!empty) {
        if (chart?.interval === r.interval) chart.update(filled);
        else {
          chart?.destroy();
          chart = timeChart(chartBox, filled, r.interval);
        }
      }
    }
    if (top.status === "fulfilled") {
      pages.fill(top.value.data.items.map((row: PageRow) => ({ label: row.path, row })));
    } else pages.failed();
    breakdowns.forEach((b, i) => {
      const res = rest[i];
      if (res?.status === "fulfilled") {
        const items = (res.value.data as { items: BreakdownRow[] }).items;
        b.view.fill(items.map((row) => ({ label: b.spec.label(row), row })));
      } else b.view.failed();
    });
  };

  for (const button of rangeButtons) {
    button.addEventListener("click", () => {
      const key = button.dataset.range;
      if (!key || key === range) return;
      range = key as RangeKey;
      for (const b of rangeButtons) b.setAttribute("aria-pressed", String(b === button));
      history.replaceState(null, "", paths.overview(siteId, range));
      void load(false);
    });
  }
  refresh.addEventListener("click", () => void load(false));
  const timer = window.setInterval(() => {
    if (document.visibilityState === "visible") void load(false);
  }, AUTO_REFRESH_MS);
  ctx.signal.addEventListener("abort", () => window.clearInterval(timer));

  await load(true);
}

interface Row {
  label: string;
  row: { pageviews: number; sessions: number };
}

function table(id: string, title: string, column: string) {
  const tbody = h("tbody", {});
  const el = h(
    "section",
    { class: "card table-card", id: `table-${id}`, "aria-labelledby": `${id}-heading` },
    h("h2", { id: `${id}-heading` }, title),
    h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, column),
            h("th", { scope: "col", class: "num" }, "Pageviews"),
            h("th", { scope: "col", class: "num" }, "Sessions"),
          ),
        ),
        tbody,
      ),
    ),
  );
  const note = (text: string) => tbody.replaceChildren(h("tr", { class: "table-note" }, h("td", { colspan: 3 }, text)));
  return {
    el,
    loading: () => note("Loading…"),
    failed: () => note("Could not load this table."),
    fill(rows: Row[]) {
      if (rows.length === 0) return note("No data in this range.");
      tbody.replaceChildren(
        ...rows.map((r) =>
          h(
            "tr",
            {},
            h("td", { class: "label", title: r.label }, r.label),
            h("td", { class: "num" }, formatCount(r.row.pageviews)),
            h("td", { class: "num" }, formatCount(r.row.sessions)),
          ),
        ),
      );
    },
  };
}
