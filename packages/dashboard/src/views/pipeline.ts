/**
 * The operator's panel ("know when things fail"): whether Postgres is up, per site whether
 * events land (last flush, what waits, failed attempts and the next try), and the dead letters
 * parked, with their replay; and the maintenance switch. Everything shown comes from
 * GET /v1/health/pipeline, POST /v1/admin/dead-letters/replay and /v1/maintenance.
 */
import type { DeadLetterCount, PipelineHealth, PipelineStatus, SitePipelineHealth } from "../api/index.ts";
import type { ViewContext } from "../context.ts";
import { busy, h, messageBox } from "../lib/dom.ts";
import { errorDetail, errorMessage } from "../lib/errors.ts";
import { formatCount, formatDateTime, formatRelative, formatTime } from "../lib/format.ts";
import { deadLetterSentence, replayAll, replaySentence, STATUS, summarize } from "../lib/pipeline.ts";
import { paths } from "../lib/router.ts";
import { maintenanceCard } from "./maintenance.ts";

const PAGE_SIZE = 50;
// Relative times ("12 seconds ago") are rewritten this often from the timestamps already shown.
const TICK_MS = 5_000;

const GLYPH: Record<PipelineStatus | "up" | "down", string> = {
  ok: "✓",
  up: "✓",
  behind: "◷",
  failing: "!",
  down: "✕",
};

export async function renderPipeline(ctx: ViewContext, main: HTMLElement): Promise<void> {
  ctx.setTitle("Pipeline");
  const error = messageBox("error");
  const updated = h("span", { class: "updated", id: "pipeline-updated" });
  const refresh = h("button", { type: "button", class: "button", id: "refresh" }, "Refresh");

  const database = h("div", { class: "state-line", id: "database-state" }, h("p", { class: "loading" }, "Checking…"));
  const list = h("ul", { class: "pipeline-list", id: "pipeline-sites" });
  const sitesBody = h("div", {}, h("p", { class: "loading" }, "Loading sites…"));
  const more = h("button", { type: "button", class: "button", hidden: true }, "Load more sites");
  const sitesSection = h(
    "section",
    { class: "pipeline-sites", "aria-labelledby": "pipeline-sites-heading", "aria-busy": "true" },
    h("h2", { id: "pipeline-sites-heading" }, "Sites"),
    sitesBody,
    more,
  );

  const deadCount = h("p", { id: "dead-letter-count", class: "dead-count" }, "–");
  const replay = h("button", { type: "button", class: "button button-primary", id: "replay" }, "Replay dead letters");
  const replayResult = h("p", { id: "replay-result", class: "replay-result", role: "status", "aria-live": "polite" });
  const replayError = messageBox("error");

  main.append(
    h(
      "div",
      { class: "page-head" },
      h("h1", { tabindex: "-1" }, "Pipeline"),
      h("div", { class: "toolbar-end" }, updated, refresh),
    ),
    h(
      "p",
      { class: "hint page-intro" },
      "Whether events travel from the ingest queue through each site's aggregator into the database.",
    ),
    error.el,
    h(
      "section",
      { class: "card", "aria-labelledby": "database-heading" },
      h("h2", { id: "database-heading" }, "Database"),
      database,
    ),
    sitesSection,
    h(
      "section",
      { class: "card", "aria-labelledby": "dead-letters-heading", id: "dead-letters" },
      h("h2", { id: "dead-letters-heading" }, "Dead letters"),
      deadCount,
      h(
        "p",
        { class: "hint", id: "replay-hint" },
        "Messages the ingest queue gave up on, for every site. A replay puts them back on the queue; events already counted are not counted twice.",
      ),
      replayError.el,
      h("div", { class: "actions" }, replay),
      replayResult,
    ),
    maintenanceCard(ctx.api, ctx.signal),
  );
  replay.setAttribute("aria-describedby", "replay-hint");

  const tick = setInterval(() => {
    const now = Date.now();
    for (const t of main.querySelectorAll<HTMLTimeElement>("time[data-relative]")) {
      t.textContent = formatRelative(t.dateTime, now);
    }
  }, TICK_MS);
  ctx.signal.addEventListener("abort", () => clearInterval(tick));

  let cursor: string | null = null;
  let count = 0;

  const showDatabase = (state: PipelineHealth["database"]) => {
    database.replaceChildren(
      stateBadge(state, state === "up" ? "Up" : "Down"),
      h(
        "p",
        {},
        state === "up"
          ? "The API reaches the database."
          : "The API cannot reach the database. Aggregators keep the events and retry; the sites below are the last list the API read.",
      ),
    );
    database.dataset.state = state;
  };

  const showDeadLetters = (d: DeadLetterCount) => {
    deadCount.textContent = deadLetterSentence(d);
    deadCount.dataset.objects = String(d.objects);
    deadCount.dataset.messages = String(d.messages);
  };

  /** One page of sites; `reset` starts again from the first. */
  const load = async (reset: boolean) => {
    const { data } = await ctx.api.pipelineHealth({
      cursor: reset ? undefined : (cursor ?? undefined),
      limit: PAGE_SIZE,
      signal: ctx.signal,
    });
    showDatabase(data.database);
    showDeadLetters(data.deadLetters);
    const now = Date.now();
    if (reset) {
      list.replaceChildren();
      count = 0;
    }
    count += data.sites.length;
    for (const site of data.sites) list.append(siteItem(site, now));
    cursor = data.nextCursor;
    more.hidden = cursor === null;
    if (count > 0) sitesBody.replaceChildren(list);
    else
      sitesBody.replaceChildren(
        h(
          "div",
          { class: "empty", id: "pipeline-empty" },
          h("p", { class: "empty-title" }, "No sites to show"),
          h(
            "p",
            {},
            data.database === "down"
              ? "The database is down and no earlier site list was kept."
              : "Add a site on the Sites page; its pipeline shows here.",
          ),
        ),
      );
    updated.textContent = `Updated ${formatTime(new Date())}`;
  };

  const reload = async () => {
    error.hide();
    try {
      await load(true);
    } catch (err) {
      if (ctx.signal.aborted) return;
      error.show(errorMessage(err), errorDetail(err));
    } finally {
      sitesSection.removeAttribute("aria-busy");
    }
  };

  refresh.addEventListener("click", () => void busy(refresh, "Refreshing…", reload));
  more.addEventListener("click", async () => {
    error.hide();
    try {
      await busy(more, "Loading…", () => load(false));
    } catch (err) {
      error.show(errorMessage(err), errorDetail(err));
    }
  });
  replay.addEventListener("click", async () => {
    replayError.hide();
    replayResult.textContent = "Replaying…";
    try {
      const total = await busy(replay, "Replaying…", () =>
        replayAll(async () => (await ctx.api.replayDeadLetters()).data, {
          onProgress: (t) => {
            if (t.more) replayResult.textContent = `Replaying… ${formatCount(t.replayed)} messages so far.`;
          },
        }),
      );
      replayResult.textContent = replaySentence(total);
      replayResult.dataset.replayed = String(total.replayed);
      replayResult.dataset.objects = String(total.objects);
    } catch (err) {
      replayResult.textContent = "";
      replayError.show(errorMessage(err), errorDetail(err));
      return;
    }
    // The counts above change with a replay.
    await reload();
  });

  await reload();
}

function stateBadge(state: PipelineStatus | "up" | "down", label: string): HTMLSpanElement {
  return h(
    "span",
    { class: `state state-${state}`, "data-testid": "state" },
    h("span", { class: "state-glyph", "aria-hidden": "true" }, GLYPH[state]),
    label,
  );
}

function when(iso: string, now: number): HTMLTimeElement {
  return h("time", { datetime: iso, title: formatDateTime(iso), "data-relative": true }, formatRelative(iso, now));
}

function row(label: string, value: Node | string, testid: string): HTMLDivElement {
  return h("div", {}, h("dt", {}, label), h("dd", { "data-testid": testid }, value));
}

function siteItem(site: SitePipelineHealth, now: number): HTMLLIElement {
  const s = summarize(site);
  const status = STATUS[site.status];
  const headingId = `pipeline-site-${site.id}`;
  return h(
    "li",
    { class: `card pipeline-site pipeline-${site.status}`, "data-site-id": site.id, "data-status": site.status },
    h(
      "div",
      { class: "card-head" },
      h("h3", { id: headingId }, h("a", { href: paths.overview(site.id) }, site.name)),
      h("span", {}, h("span", { class: "visually-hidden" }, "Status: "), stateBadge(site.status, status.label)),
    ),
    h("p", { class: "hint state-description" }, status.description),
    h(
      "dl",
      { class: "meta pipeline-meta" },
      row("Last flush", s.lastFlushAt ? when(s.lastFlushAt, now) : "None since the aggregator started", "last-flush"),
      row("Pending pageviews", formatCount(s.pendingPageviews), "pending-pageviews"),
      s.failures > 0 ? row("Failed attempts", formatCount(s.failures), "failures") : null,
      s.failures > 0 ? row("Next try", s.nextFlushAt ? when(s.nextFlushAt, now) : "Not planned", "next-try") : null,
      s.shards > 1 ? row("Shards", formatCount(s.shards), "shards") : null,
    ),
  );
}
