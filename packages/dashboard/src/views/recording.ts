/**
 * One recording: what its index row says (when, how long, pages, device, country) and the
 * player, whose code (rrweb's replayer) is imported only here, as a chunk of its own.
 */
import type { Recording, RrwebEvent } from "../api/index.ts";
import type { ViewContext } from "../context.ts";
import { busy, h, messageBox } from "../lib/dom.ts";
import { errorDetail, errorMessage } from "../lib/errors.ts";
import { countryName, deviceLabel, formatCount, formatDateTime } from "../lib/format.ts";
import { formatDuration, pathOf } from "../lib/recordings.ts";
import { paths } from "../lib/router.ts";

export async function renderRecording(
  ctx: ViewContext,
  main: HTMLElement,
  siteId: string,
  recordingId: string,
): Promise<void> {
  ctx.setTitle("Recording");
  const heading = h("h1", { tabindex: "-1" }, "Recording");
  const error = messageBox("error");
  const loading = h("p", { class: "loading" }, "Loading the recording…");
  main.append(
    h(
      "div",
      { class: "page-head" },
      heading,
      h("a", { href: paths.recordings(siteId), class: "button button-quiet" }, "All recordings"),
    ),
    error.el,
    loading,
  );
  main.setAttribute("aria-busy", "true");

  let row: Recording;
  let events: RrwebEvent[];
  let player: typeof import("../player/player.ts");
  try {
    // The row, the events and the player's code, all at once.
    [row, events, player] = await Promise.all([
      ctx.api.getRecording(siteId, recordingId, { signal: ctx.signal }).then((r) => r.data),
      ctx.api.recordingEvents(siteId, recordingId, { signal: ctx.signal }).then((r) => r.data),
      import("../player/player.ts"),
    ]);
  } catch (err) {
    if (ctx.signal.aborted) return;
    error.show(errorMessage(err), errorDetail(err));
    return;
  } finally {
    main.removeAttribute("aria-busy");
    loading.remove();
  }
  const title = `Recording of ${formatDateTime(row.startedAt)}`;
  ctx.setTitle(title);
  heading.textContent = title;

  const host = h("section", { class: "card player", id: "player", "aria-label": "Player" });
  main.append(host);
  if (events.length < 2) {
    host.append(
      h(
        "div",
        { class: "empty" },
        h("p", { class: "empty-title" }, "Nothing to play yet"),
        h("p", {}, "The recording's first events are still on their way to storage. Try again in a minute."),
      ),
    );
  } else {
    const p = player.mountPlayer(host, events, ctx.signal);
    main.append(pagesCard(row, p));
  }
  main.append(detailsCard(siteId, row), deleteCard(ctx, siteId, row));
}

function pagesCard(row: Recording, p: import("../player/player.ts").Player): HTMLElement {
  const changes = p.marks.filter((m) => m.kind === "page");
  const list = h(
    "ol",
    { class: "page-list", id: "player-pages" },
    changes.map((m) => {
      const jump = h(
        "button",
        { type: "button", class: "link-button", title: m.label },
        `${formatDuration(m.at)}  ${pathOf(m.label)}`,
      );
      jump.addEventListener("click", () => p.seek(m.at));
      return h("li", {}, jump);
    }),
  );
  return h(
    "section",
    { class: "card", "aria-labelledby": "pages-heading" },
    h("h2", { id: "pages-heading" }, "Pages"),
    changes.length > 0
      ? list
      : h(
          "ol",
          { class: "page-list" },
          row.pages.map((path) => h("li", {}, path)),
        ),
  );
}

function detailsCard(siteId: string, row: Recording): HTMLElement {
  const item = (label: string, value: string, testid?: string) =>
    h("div", {}, h("dt", {}, label), h("dd", testid ? { "data-testid": testid } : {}, value));
  return h(
    "section",
    { class: "card", "aria-labelledby": "details-heading" },
    h("h2", { id: "details-heading" }, "Session"),
    h(
      "dl",
      { class: "meta recording-meta" },
      item("Started", formatDateTime(row.startedAt)),
      item("Duration", formatDuration(row.durationMs), "recording-duration"),
      item("Active", formatDuration(row.activeMs)),
      item("Device", deviceLabel(row.device), "recording-device"),
      item("Country", row.country ? countryName(row.country) : "Unknown", "recording-country"),
      item("Referrer", row.referrer || "Direct / none"),
      item("Clicks", formatCount(row.clicks)),
      item("Rage clicks", formatCount(row.rageClicks)),
      item("Errors", formatCount(row.errors)),
    ),
    row.flags.length > 0
      ? h(
          "div",
          { class: "field" },
          h("h3", { id: "recording-flags-heading" }, "Flag variants served"),
          // Each opens the recordings of sessions served the same variant.
          h(
            "ul",
            { class: "chips", id: "recording-flags", "aria-labelledby": "recording-flags-heading" },
            row.flags.map((f) =>
              h(
                "li",
                {},
                h(
                  "a",
                  { class: "chip", href: paths.recordings(siteId, new URLSearchParams({ flag: f }).toString()) },
                  f,
                ),
              ),
            ),
          ),
        )
      : null,
  );
}

function deleteCard(ctx: ViewContext, siteId: string, row: Recording): HTMLElement {
  const error = messageBox("error");
  const start = h("button", { type: "button", class: "button button-danger", id: "delete-recording" }, "Delete…");
  const confirm = h("button", { type: "button", class: "button button-danger", hidden: true }, "Delete permanently");
  const cancel = h("button", { type: "button", class: "button", hidden: true }, "Cancel");
  start.addEventListener("click", () => {
    start.hidden = true;
    confirm.hidden = false;
    cancel.hidden = false;
    confirm.focus();
  });
  cancel.addEventListener("click", () => {
    start.hidden = false;
    confirm.hidden = true;
    cancel.hidden = true;
    start.focus();
  });
  confirm.addEventListener("click", async () => {
    error.hide();
    try {
      await busy(confirm, "Deleting…", () => ctx.api.deleteRecording(siteId, row.id));
      ctx.flash("The recording was deleted.");
      ctx.navigate(paths.recordings(siteId), { replace: true });
    } catch (err) {
      error.show(errorMessage(err), errorDetail(err));
    }
  });
  return h(
    "section",
    { class: "card card-danger", "aria-labelledby": "delete-recording-heading" },
    h("h2", { id: "delete-recording-heading" }, "Delete this recording"),
    h("p", {}, "Erases the recording and its index row, for example on a visitor's request. This cannot be undone."),
    error.el,
    h("div", { class: "actions" }, start, confirm, cancel),
  );
}
