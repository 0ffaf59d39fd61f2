/**
 * The recordings player: @rrweb/replay's Replayer with our own controls (play and pause,
 * speed, skip inactivity, a timeline with page changes and clicks marked). Loaded with a
 * dynamic import from the recording view only, so it is a chunk of its own and the rest of
 * the dashboard never downloads it.
 */
import { Replayer } from "@rrweb/replay";
import type { RrwebEvent } from "../api/types.ts";
import { h } from "../lib/dom.ts";
import { formatDuration, inertEvents, type TimelineMark, timelineMarks } from "../lib/recordings.ts";

export const SPEEDS = [1, 2, 4, 8] as const;

export interface Player {
  /** Seconds-free offsets: milliseconds from the first event. */
  seek(offsetMs: number): void;
  play(): void;
  pause(): void;
  readonly totalMs: number;
  readonly marks: TimelineMark[];
  destroy(): void;
}

/** Mounts a player for `events` in `host`; it is destroyed when `signal` aborts. */
export function mountPlayer(host: HTMLElement, events: RrwebEvent[], signal: AbortSignal): Player {
  const stage = h("div", { class: "player-stage", id: "player-stage" });
  const frame = h("div", { class: "player-frame" });
  stage.append(frame);
  // rrweb makes its sandboxed iframe only under a root that is in the document.
  host.append(stage);
  const replayer = new Replayer(inertEvents(events) as never, {
    root: frame,
    skipInactive: true,
    showWarning: false,
    mouseTail: false,
    // Recorded pages never run their scripts here (rrweb replays the DOM, not the code).
    UNSAFE_replayCanvas: false,
  });
  const meta = replayer.getMetaData();
  const totalMs = Math.max(0, meta.totalTime);
  const marks = timelineMarks(events);

  const play = h("button", { type: "button", class: "button button-primary", id: "player-play" }, "Play");
  const time = h("span", { class: "player-time", id: "player-time", "aria-live": "off" });
  const timeline = h("input", {
    type: "range",
    id: "player-timeline",
    min: 0,
    max: totalMs,
    step: 100,
    value: 0,
    "aria-label": "Position in the recording",
  });
  const markLayer = h(
    "div",
    { class: "player-marks", "aria-hidden": "true" },
    marks.map((m) =>
      h("span", {
        class: `player-mark player-mark-${m.kind}`,
        style: `left: ${totalMs > 0 ? (100 * Math.min(m.at, totalMs)) / totalMs : 0}%`,
        title: m.kind === "page" ? m.label : "Click",
      }),
    ),
  );
  const speed = h(
    "select",
    { id: "player-speed", "aria-label": "Speed" },
    SPEEDS.map((s) => h("option", { value: String(s) }, `${s}×`)),
  );
  const skip = h("input", { type: "checkbox", id: "player-skip" });
  skip.checked = true;
  // Shown while rrweb fast-forwards an idle stretch (no input for 10 s of recording, times the speed).
  const skipping = h(
    "span",
    { class: "player-skipping", id: "player-skipping", role: "status" },
    "Skipping inactivity",
  );
  skipping.hidden = true;
  const controls = h(
    "div",
    { class: "player-controls" },
    play,
    h("div", { class: "player-track" }, markLayer, timeline),
    time,
    h("label", { class: "player-option" }, "Speed ", speed),
    h("label", { class: "player-option", for: "player-skip" }, skip, " Skip inactivity"),
    skipping,
  );
  host.append(controls);

  let playing = false;
  let ended = false;
  const current = () => Math.min(totalMs, Math.max(0, replayer.getCurrentTime()));
  const show = () => {
    const t = current();
    timeline.value = String(t);
    time.textContent = `${formatDuration(t)} / ${formatDuration(totalMs)}`;
    host.dataset.position = String(Math.round(t));
  };
  const setState = (next: "playing" | "paused" | "ended") => {
    playing = next === "playing";
    ended = next === "ended";
    play.textContent = playing ? "Pause" : ended ? "Play again" : "Play";
    play.setAttribute("aria-pressed", String(playing));
    host.dataset.state = next;
  };

  // The recorded viewport, scaled down to the stage's width, again whenever that changes.
  let viewport = { width: 0, height: 0 };
  const fit = (width: number, height: number) => {
    if (!width || !height) return;
    viewport = { width, height };
    const scale = Math.min(1, stage.clientWidth / width);
    frame.style.width = `${width}px`;
    frame.style.height = `${height}px`;
    frame.style.transform = `scale(${scale})`;
    stage.style.height = `${Math.ceil(height * scale)}px`;
  };
  replayer.on("resize", (d) => {
    const dim = d as { width: number; height: number };
    fit(dim.width, dim.height);
  });
  let skips = 0;
  host.dataset.skips = "0";
  replayer.on("skip-start", () => {
    skipping.hidden = false;
    host.dataset.skips = String(++skips);
  });
  replayer.on("skip-end", () => {
    skipping.hidden = true;
  });
  replayer.on("finish", () => {
    skipping.hidden = true;
    setState("ended");
    show();
  });

  const resized = new ResizeObserver(() => fit(viewport.width, viewport.height));
  resized.observe(stage);

  const tick = window.setInterval(() => {
    if (playing) show();
  }, 100);

  const player: Player = {
    totalMs,
    marks,
    seek(offsetMs) {
      const t = Math.max(0, Math.min(totalMs, offsetMs));
      if (playing) replayer.play(t);
      else {
        replayer.pause(t);
        setState("paused");
      }
      show();
    },
    play() {
      replayer.play(ended ? 0 : current());
      setState("playing");
    },
    pause() {
      replayer.pause();
      setState("paused");
      show();
    },
    destroy() {
      window.clearInterval(tick);
      resized.disconnect();
      replayer.pause();
      replayer.destroy();
    },
  };

  play.addEventListener("click", () => (playing ? player.pause() : player.play()));
  timeline.addEventListener("input", () => player.seek(Number(timeline.value)));
  speed.addEventListener("change", () => replayer.setConfig({ speed: Number(speed.value) }));
  // Turned off mid-skip, rrweb goes back to the chosen speed and says so (skip-end).
  skip.addEventListener("change", () => replayer.setConfig({ skipInactive: skip.checked }));
  signal.addEventListener("abort", () => player.destroy(), { once: true });

  // The first frame, paused at the start.
  replayer.pause(0);
  const first = events.find((e) => e.type === 4)?.data as { width?: number; height?: number } | undefined;
  fit(first?.width ?? 1024, first?.height ?? 768);
  setState("paused");
  show();
  return player;
}
