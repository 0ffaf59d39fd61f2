/**
 * A site's traffic over a preset or a picked range of days in the site's time zone: totals,
 * a chart of pageviews and sessions, the top pages, referrers, devices, countries and
 * campaigns, and a notice for days the daily event quota cut counting short. Refreshes
 * itself while the tab is visible.
 */
import type { ApiResult, Breakdown, BreakdownRow, PageRow, Site, Timeseries } from "../api/index.ts";
import { type Chart, timeChart } from "../chart.ts";
import type { ViewContext } from "../context.ts";
import { h, messageBox } from "../lib/dom.ts";
import { errorDetail, errorMessage } from "../lib/errors.ts";
import { countryName, deviceLabel, formatCount, formatTime, quotaNotice, referrerLabel } from "../lib/format.ts";
import {
  bucketStarts,
  customRange,
  fillSeries,
  PRESET_LABELS,
  PRESETS,
  type Range,
  type RangeSpec,
  rangeDays,
  rangeFor,
} from "../lib/range.ts";
import { paths } from "../lib/router.ts";
import { isTimeZone } from "../lib/zone.ts";

const TABLE_LIMIT = 10;
const AUTO_REFRESH_MS = 30_000;

interface TableSpec {
  id: string;
  title: string;
  column: string;
  label: (row: BreakdownRow) => string;
  /** Hidden while the range has no row (a site without flags has no flag variants). */
  hideEmpty?: boolean;
}

type BreakdownTable = "referrers" | "devices" | "countries" | "flags";

const BREAKDOWNS: Record<BreakdownTable, TableSpec> = {
  referrers: { id: "referrers", title: "Referrers", column: "Referrer", label: (r) => referrerLabel(r.value) },
  devices: { id: "devices", title: "Devices", column: "Device", label: (r) => deviceLabel(r.value) },
  countries: { id: "countries", title: "Countries", column: "Country", label: (r) => countryName(r.value) },
  // `<key>=<variant>`: an experiment read beside the traffic it got.
  flags: {
    id: "flag-variants",
    title: "Flag variants",
    column: "Flag: variant",
    label: (r) => r.value.replace("=", ": "),
    hideEmpty: true,
  },
};

/** The campaign card's tabs: one utm parameter each. */
const CAMPAIGNS = [
  { kind: "utm-sources", tab: "Source", param: "utm_source" },
  { kind: "utm-mediums", tab: "Medium", param: "utm_medium" },
  { kind: "utm-campaigns", tab: "Campaign", param: "utm_campaign" },
] as const satisfies readonly { kind: Breakdown; tab: string; param: string }[];
type Campaign = (typeof CAMPAIGNS)[number];

export async function renderOverview(
  ctx: ViewContext,
  main: HTMLElement,
  siteId: string,
  initial: RangeSpec,
): Promise<void> {
  ctx.setTitle("Overview");
  let spec: RangeSpec = initial;
  let chart: Chart | null = null;
  let loading: AbortController | null = null;
  let campaignLoading: AbortController | null = null;
  ctx.signal.addEventListener("abort", () => {
    loading?.abort();
    campaignLoading?.abort();
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
  const rangeButtons = PRESETS.map((key) =>
    h("button", { type: "button", class: "segment", "data-range": key, "aria-pressed": "false" }, PRESET_LABELS[key]),
  );
  const fromInput = h("input", { type: "date", name: "from", id: "range-from", required: true });
  const toInput = h("input", { type: "date", name: "to", id: "range-to", required: true });
  const apply = h("button", { type: "submit", class: "button", id: "range-apply" }, "Apply");
  const rangeError = h("p", { class: "range-error", role: "alert", id: "range-error", hidden: true });
  const rangeForm = h(
    "form",
    { class: "range-form", "aria-label": "Custom range", novalidate: true },
    h("label", { for: "range-from" }, "From"),
    fromInput,
    h("label", { for: "range-to" }, "To"),
    toInput,
    apply,
  );
  const toolbar = h(
    "div",
    { class: "toolbar" },
    h("div", { class: "segmented", role: "group", "aria-label": "Time range" }, rangeButtons),
    rangeForm,
    h("div", { class: "toolbar-end" }, updated, refresh),
  );
  const quota = h("p", {
    class: "message message-info",
    role: "status",
    hidden: true,
    id: "quota-notice",
  });

  const totalVisitors = h("dd", { "data-testid": "total-visitors" }, "–");
  const totalPageviews = h("dd", { "data-testid": "total-pageviews" }, "–");
  const totalSessions = h("dd", { "data-testid": "total-sessions" }, "–");
  const totals = h(
    "dl",
    { class: "totals" },
    h("div", { class: "total" }, h("dt", {}, "Visitors"), totalVisitors),
    h("div", { class: "total" }, h("dt", {}, "Pageviews"), totalPageviews),
    h("div", { class: "total" }, h("dt", {}, "Sessions"), totalSessions),
  );
  const totalsHint = h(
    "p",
    { class: "hint totals-hint" },
    "A visitor counts once per UTC day, so over several days a returning visitor counts once for each day.",
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
    totalsHint,
    chartBox,
    chartEmpty,
  );

  const pages = table("pages", "Top pages", "Page");
  const breakdowns = (Object.keys(BREAKDOWNS) as BreakdownTable[]).map((kind) => {
    const t = BREAKDOWNS[kind];
    return { kind, spec: t, view: table(t.id, t.title, t.column) };
  });

  let campaign: Campaign = CAMPAIGNS[0];
  const campaignTabs = CAMPAIGNS.map((c) =>
    h(
      "button",
      { type: "button", class: "segment", "data-campaign": c.kind, "aria-pressed": String(c === campaign) },
      c.tab,
    ),
  );
  const campaigns = table(
    "campaigns",
    "Campaigns",
    campaign.tab,
    h("div", { class: "segmented segmented-small", role: "group", "aria-label": "Campaign parameter" }, campaignTabs),
  );
  const fillCampaigns = (shown: Campaign, items: BreakdownRow[]) =>
    campaigns.fill(
      items.map((row) => ({ label: row.value, row })),
      `No visits tagged with ${shown.param} in this range.`,
    );

  const body = h(
    "div",
    { class: "overview", "aria-busy": "true" },
    chartCard,
    h(
      "div",
      { class: "tables" },
      pages.el,
      breakdowns.map((b) => b.view.el),
      campaigns.el,
    ),
  );
  main.append(h("div", { class: "page-head" }, heading), toolbar, rangeError, stale, error.el, quota, body);

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
  // A zone this browser does not know cannot be counted in here; UTC keeps the page usable.
  const timeZone = isTimeZone(site.timeZone) ? site.timeZone : "UTC";
  let current: Range = rangeFor(spec, new Date(), timeZone);

  /** The buttons and date fields show the range in force. */
  const showRange = () => {
    for (const b of rangeButtons) {
      b.setAttribute("aria-pressed", String("preset" in spec && b.dataset.range === spec.preset));
    }
    const days = rangeDays(current);
    fromInput.value = days.from;
    toInput.value = days.to;
  };
  const choose = (next: RangeSpec) => {
    spec = next;
    current = rangeFor(spec, new Date(), timeZone);
    rangeError.hidden = true;
    showRange();
    history.replaceState(null, "", paths.overview(siteId, spec));
    void load(false);
  };

  const loadCampaigns = async () => {
    campaignLoading?.abort();
    const controller = new AbortController();
    campaignLoading = controller;
    const signal = AbortSignal.any([ctx.signal, controller.signal]);
    campaigns.loading();
    const shown = campaign;
    try {
      const res = await ctx.api.breakdown(siteId, shown.kind, {
        from: current.from,
        to: current.to,
        limit: TABLE_LIMIT,
        signal,
      });
      if (!signal.aborted) fillCampaigns(shown, res.data.items);
    } catch {
      if (!signal.aborted) campaigns.failed();
    }
  };

  const load = async (firstTime: boolean) => {
    loading?.abort();
    campaignLoading?.abort();
    const controller = new AbortController();
    loading = controller;
    const signal = AbortSignal.any([ctx.signal, controller.signal]);
    // Presets move with the clock; a picked range stays put.
    const r = rangeFor(spec, new Date(), timeZone);
    current = r;
    const q = { from: r.from, to: r.to, limit: TABLE_LIMIT, signal };
    body.setAttribute("aria-busy", "true");
    refresh.disabled = true;
    refresh.textContent = "Refreshing…";
    if (firstTime) {
      pages.loading();
      for (const b of breakdowns) b.view.loading();
      campaigns.loading();
    }
    const shown = campaign;
    const [series, top, days, campaignRes, ...rest] = await Promise.allSettled([
      ctx.api.timeseries(siteId, { ...q, interval: r.interval }),
      ctx.api.pages(siteId, q),
      ctx.api.quotaDays(siteId, q),
      ctx.api.breakdown(siteId, shown.kind, q),
      ...breakdowns.map((b) => ctx.api.breakdown(siteId, b.kind, q)),
    ]);
    if (signal.aborted) return;
    body.removeAttribute("aria-busy");
    refresh.disabled = false;
    refresh.textContent = "Refresh";

    const results = [series, top, days, campaignRes, ...rest];
    const failed = results.find((x): x is PromiseRejectedResult => x.status === "rejected");
    if (failed) error.show(errorMessage(failed.reason), errorDetail(failed.reason));
    else error.hide();
    stale.hidden = !results.some((x) => x.status === "fulfilled" && (x.value as ApiResult<unknown>).stale);
    updated.textContent = failed ? "" : `Updated ${formatTime(new Date())}`;

    if (series.status === "fulfilled") {
      const ts: Timeseries = series.value.data;
      totalVisitors.textContent = formatCount(ts.totals.visitors);
      totalPageviews.textContent = formatCount(ts.totals.pageviews);
      totalSessions.textContent = formatCount(ts.totals.sessions);
      const filled = fillSeries(ts.points, bucketStarts(r));
      const empty = ts.totals.pageviews === 0;
      chartEmpty.hidden = !empty;
      chartBox.hidden = empty;
      if (!empty) {
        if (chart?.interval === r.interval) chart.update(filled);
        else {
          chart?.destroy();
          chart = timeChart(chartBox, filled, r.interval, timeZone);
        }
      }
    }
    if (days.status === "fulfilled") {
      const list = days.value.data.days.map((d) => d.day);
      const text = quotaNotice(list);
      quota.textContent = text ?? "";
      quota.dataset.days = list.join(" ");
      quota.hidden = text === null;
    }
    // A tab chosen meanwhile has loaded, or is loading, its own rows.
    if (shown === campaign) {
      if (campaignRes.status === "fulfilled") fillCampaigns(shown, campaignRes.value.data.items);
      else campaigns.failed();
    }
    if (top.status === "fulfilled") {
      pages.fill(top.value.data.items.map((row: PageRow) => ({ label: row.path, row })));
    } else pages.failed();
    breakdowns.forEach((b, i) => {
      const res = rest[i];
      if (res?.status === "fulfilled") {
        const items = (res.value.data as { items: BreakdownRow[] }).items;
        b.view.fill(items.map((row) => ({ label: b.spec.label(row), row })));
        if (b.spec.hideEmpty) b.view.el.hidden = items.length === 0;
      } else b.view.failed();
    });
  };

  for (const button of rangeButtons) {
    button.addEventListener("click", () => {
      const key = PRESETS.find((p) => p === button.dataset.range);
      if (!key || ("preset" in spec && spec.preset === key)) return;
      choose({ preset: key });
    });
  }
  rangeForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const picked = customRange(fromInput.value, toInput.value, timeZone);
    if (!picked.ok) {
      rangeError.textContent = picked.error;
      rangeError.hidden = false;
      (fromInput.value ? toInput : fromInput).focus();
      return;
    }
    choose(picked.spec);
  });
  for (const button of campaignTabs) {
    button.addEventListener("click", () => {
      const next = CAMPAIGNS.find((c) => c.kind === button.dataset.campaign);
      if (!next || next === campaign) return;
      campaign = next;
      for (const b of campaignTabs) b.setAttribute("aria-pressed", String(b === button));
      campaigns.setColumn(campaign.tab);
      void loadCampaigns();
    });
  }
  showRange();
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

function table(id: string, title: string, column: string, tabs?: HTMLElement) {
  const tbody = h("tbody", {});
  const columnHead = h("th", { scope: "col" }, column);
  const el = h(
    "section",
    { class: "card table-card", id: `table-${id}`, "aria-labelledby": `${id}-heading` },
    tabs
      ? h("div", { class: "card-head" }, h("h2", { id: `${id}-heading` }, title), tabs)
      : h("h2", { id: `${id}-heading` }, title),
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
            columnHead,
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
    setColumn(text: string) {
      columnHead.textContent = text;
    },
    fill(rows: Row[], empty = "No data in this range.") {
      if (rows.length === 0) return note(empty);
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
